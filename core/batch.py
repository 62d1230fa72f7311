"""Batch rendering: every portrait with every driver, one output per pair in a folder, resumable.

**What is a batch.** SOURCE and DRIVING each name one input, a folder, or a list file (``.txt``: one
path a line, ``#`` comments, relative paths from the list's folder). A SOURCE folder means every photo
in it. A DRIVING folder is *one* driver when it holds numbered frames (``shot_0001.png``, ...; see
`core.video.image_sequence`): a folder of frames is an image-sequence driver, never a batch. Any other
DRIVING folder is a batch of drivers: the videos, performance files (``.json``) and folders of numbered
frames in it. A folder holding both numbered frames and videos or performances is refused (it could
mean either). A SOURCE or DRIVING that names several inputs makes the render a batch.

**Outputs.** Pair (``a.jpg``, ``talk.mp4``) goes to ``OUT/a__talk<ext>`` (a folder ``OUT/a__talk`` for
PNG frames), layers beside it (`core.export.output_targets`). Two pairs that would share a name, an output
that is, links to or holds one of the inputs (a list may name an earlier render), or a format that cannot
carry the alpha asked for, are refused before any work.

**Resuming and failures.** A pair whose outputs all exist is skipped (unless ``overwrite``): each output
is written atomically, so an interrupted batch left only whole files and resumes where it stopped. A pair
that fails with a user error (no face in the portrait, an unreadable video, a range the driver is too
short for) is reported with its reason and the others still render.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from core.config import RenderOptions
from core.errors import ConfigError, InputError, OutputError, UserError
from core.export import OutputOptions, check_target, export, output_targets
from core.progress import CancelToken, Progress, ProgressStream
from core.video.formats import OUTPUT_FORMATS, OUTPUT_KINDS, check_output_format

if TYPE_CHECKING:
    from core.faces.driving import DrivingSequence
    from core.pipeline import Reenactor
    from core.video.layers import LayerKind

log = logging.getLogger(__name__)

LIST_SUFFIX = ".txt"
BUILTIN = "builtin"
PairStatus = Literal["rendered", "existing", "failed"]


# -- inputs ---------------------------------------------------------------------------------------------------
def _natural_key(name: str) -> tuple[list[Any], str]:
    """Names by their stem with numbers as numbers (``b2`` before ``b10``, ``a`` before ``a2``), then suffix."""
    import re

    stem, suffix = os.path.splitext(name)
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", stem)], suffix.lower()


def _entries(folder: Path) -> list[Path]:
    """The visible entries of a folder, in natural order (``b2`` before ``b10``)."""
    try:
        names = [name for name in os.listdir(folder) if not name.startswith(".")]
    except OSError as err:
        raise InputError(f"cannot read the folder {folder}: {err.strerror or err}") from err
    return [folder / name for name in sorted(names, key=_natural_key)]


def _listed(list_file: Path) -> list[str]:
    """The paths a list file names (relative ones from its folder; ``builtin`` as is)."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the list {list_file}: {getattr(err, 'strerror', None) or err}") from err
    entries = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not entries:
        raise InputError(f"the list {list_file} names no file")
    return [e if e == BUILTIN else os.path.normpath(list_file.parent / Path(e).expanduser()) for e in entries]


def _is_list(path: Path) -> bool:
    return path.suffix.lower() == LIST_SUFFIX and path.is_file()


def _is_driver_file(path: Path) -> bool:
    from core.video.info import VIDEO_SUFFIXES

    return path.is_file() and (path.suffix.lower() in VIDEO_SUFFIXES or path.name.lower().endswith(".json"))


def is_driver_sequence(folder: str | Path) -> bool:
    """True when a DRIVING folder is one image-sequence driver (it holds numbered frames); `ConfigError`
    when it also holds videos or performances, which would make it a batch of drivers too."""
    from core.video.image_sequence import is_image_sequence

    folder = Path(folder)
    if not is_image_sequence(folder):
        return False
    others = [p.name for p in _entries(folder) if _is_driver_file(p)]
    if others:
        raise ConfigError(
            f"the folder {folder} holds numbered frames and also {others[0]}: put the frames of an image "
            "sequence in a folder of their own, or the videos and performances of a batch in another"
        )
    return True


def _is_source_batch(source: Path) -> bool:
    return source.is_dir() or _is_list(source)


def _is_driving_batch(driving: Path) -> bool:
    if _is_list(driving):
        return True
    return driving.is_dir() and driving.suffix.lower() != ".json" and not is_driver_sequence(driving)


def is_batch(source: str | Path, driving: str | Path) -> bool:
    """Whether SOURCE and DRIVING name several pairs: a folder of photos, a list, or a folder of drivers."""
    return _is_source_batch(Path(source)) or (str(driving) != BUILTIN and _is_driving_batch(Path(driving)))


def source_inputs(value: str | Path) -> list[Path]:
    """The portraits SOURCE names: itself, the photos of a folder, or a list's entries."""
    from core.faces.image_io import IMAGE_SUFFIXES

    path = Path(value)
    if _is_list(path):
        return [Path(p) for p in _listed(path)]
    if path.is_dir():
        photos = [p for p in _entries(path) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not photos:
            raise InputError(f"the folder {path} holds no photo ({', '.join(IMAGE_SUFFIXES)})")
        return photos
    return [path]


def driving_inputs(value: str | Path) -> list[str]:
    """The drivers DRIVING names: itself (a video, a performance, ``builtin``, a folder of numbered
    frames), the drivers in a folder, or a list's entries."""
    if str(value) == BUILTIN:
        return [BUILTIN]
    path = Path(value)
    if _is_list(path):
        return _listed(path)
    if not _is_driving_batch(path):
        return [str(path)]
    drivers = [str(p) for p in _entries(path) if _is_driver_file(p) or (p.is_dir() and is_driver_sequence(p))]
    if not drivers:
        raise InputError(
            f"the folder {path} holds no driver: videos, performance files (.json) or folders of numbered frames"
        )
    return drivers


def input_stem(path: str | Path) -> str:
    """The part of an input's name an output is named after (``talk`` for ``talk.mp4``,
    ``smile`` for ``smile.performance.json``, a folder's own name)."""
    name = Path(path).name
    for suffix in (".performance.json", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name if Path(path).is_dir() else (Path(name).stem or name)


# -- the plan -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchPair:
    """One portrait with one driver, and the files it writes (the main output first)."""

    source: Path
    driving: str
    targets: dict[LayerKind, Path]

    @property
    def output(self) -> Path:
        return next(iter(self.targets.values()))

    @property
    def name(self) -> str:
        return f"{Path(self.source).name} + {Path(self.driving).name}"

    def finished(self) -> bool:
        """Every output of the pair exists (written whole: outputs are renamed into place when complete)."""
        return all(path.exists() for path in self.targets.values())


def plan_batch(
    sources: Sequence[str | Path],
    drivings: Sequence[str],
    out: str | Path,
    kind: str = "mp4",
    output: OutputOptions | None = None,
) -> list[BatchPair]:
    """Every (source, driving) pair with its outputs in the folder ``out`` (made when missing); refuses,
    before any work, a format unknown or without the alpha asked for, two pairs sharing a name, and an
    output that would replace or hold one of the sources or drivers."""
    if kind not in OUTPUT_KINDS:
        raise ConfigError(f"unknown format {kind!r}: use {', '.join(OUTPUT_KINDS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file: a batch writes one output per pair into a folder; give a folder")
    if not out.exists() and out.suffix.lower() in {f.suffix for f in OUTPUT_FORMATS.values() if f.suffix}:
        raise OutputError(f"{out.name}: a batch writes one output per pair into a folder; give a folder, and --format")
    output = output or OutputOptions()
    suffix = OUTPUT_FORMATS[kind].suffix
    check_output_format(out / f"x{suffix}", alpha=output.alpha)
    pairs: list[BatchPair] = []
    taken: dict[Path, str] = {}
    for source in sources:
        for driving in drivings:
            main = out / f"{input_stem(source)}__{input_stem(driving)}{suffix}"
            pair = BatchPair(Path(source), str(driving), output_targets(main, output))
            for path in pair.targets.values():
                if path in taken:
                    raise ConfigError(
                        f"{taken[path]} and {pair.name} would both be written to {path.name}: "
                        "rename one of the inputs"
                    )
                taken[path] = pair.name
            pairs.append(pair)
    if not pairs:
        raise InputError("nothing to render: no source or no driver")
    _refuse_overwriting_inputs(pairs, [*sources, *drivings])
    return pairs


def _refuse_overwriting_inputs(pairs: Sequence[BatchPair], inputs: Iterable[str | Path]) -> None:
    """`OutputError` for a pair whose output is, links to or holds one of the inputs the lists and folders
    expanded to (a list may name an earlier render), or lies inside an input folder of numbered frames."""
    from core.safety import refuse_overwriting_inputs

    existing = list(dict.fromkeys(str(p) for p in inputs if str(p) != BUILTIN and os.path.lexists(p)))
    folders = [p for p in existing if os.path.isdir(p)]
    files = {_identity(p) for p in existing} - {None}
    for pair in pairs:
        for path in pair.targets.values():
            # Only an output folder, or an output file that is one of the inputs' files (same inode: the
            # path, a link, a hard link), is compared with every input: a resumed batch of many pairs plans
            # at once. Any other output can only be wrong by landing in an input folder.
            whole = path.is_dir() or _identity(path) in files
            try:
                refuse_overwriting_inputs(path, existing if whole else folders, "its output")
            except OutputError as err:
                raise OutputError(f"{pair.name}: {err}") from None


def prepare_out_folder(out: str | Path, pairs: Iterable[BatchPair]) -> None:
    """Make the output folder (its parent must exist) and check every target can be written there."""
    from core.atomic import check_writable_dir

    out = Path(out)
    if not out.exists():
        check_writable_dir(out.parent if str(out.parent) else Path("."), "output")
        try:
            out.mkdir()
        except OSError as err:
            raise OutputError(f"cannot make the output folder {out}: {err.strerror or err}") from err
    for pair in pairs:
        for path in pair.targets.values():
            check_target(path)


def _identity(path: str | Path) -> tuple[int, int] | None:
    """The file a path names, links followed (device, inode); None when there is none."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


# -- running it -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchSettings:
    """How every pair is rendered: the render and output options, the frame range (``stop`` None or
    beyond a driver: to its end), and which faces."""

    options: RenderOptions = field(default_factory=RenderOptions)
    output: OutputOptions = field(default_factory=OutputOptions)
    quality: int = 80
    batch: int = 8
    start: int = 0
    stop: int | None = None
    face_index: int = 0
    driving_face_index: int = 0
    fps: float | None = None  # the rate of folders of numbered frames (default 25)
    overwrite: bool = False


@dataclass(frozen=True)
class PairOutcome:
    pair: BatchPair
    status: PairStatus
    reason: str = ""
    frames: int = 0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": str(self.pair.source), "driving": self.pair.driving, "output": str(self.pair.output)}
        if self.status == "failed":
            data["reason"] = self.reason
        else:
            data.update(status=self.status, frames=self.frames, files={k: str(p) for k, p in self.pair.targets.items()})
        return data


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[PairOutcome, ...]
    seconds: float

    def of(self, status: PairStatus) -> list[PairOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[PairOutcome]:
        return self.of("failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """``outputs`` (rendered now or already there) and ``failed`` (each with its reason), for --json."""
        return {
            "ok": self.ok,
            "pairs": len(self.outcomes),
            "rendered": len(self.of("rendered")),
            "existing": len(self.of("existing")),
            "outputs": [o.to_dict() for o in self.outcomes if o.status != "failed"],
            "failed": [o.to_dict() for o in self.failed],
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        """The report a person reads: counts, then one line per failed pair with its reason."""
        lines = [
            f"{len(self.of('rendered'))} rendered, {len(self.of('existing'))} already there, "
            f"{len(self.failed)} failed, of {len(self.outcomes)} pairs in {self.seconds:.1f} s"
        ]
        lines += [f"  failed: {o.pair.name}: {o.reason}" for o in self.failed]
        return "\n".join(lines)


def run_batch(
    pairs: Sequence[BatchPair],
    reenactor: Reenactor | Callable[[], Reenactor],
    settings: BatchSettings,
    cancel: CancelToken | None = None,
) -> ProgressStream[BatchResult]:
    """Render every pair in order (each source prepared once, each video analysed once); yields Progress
    (done: pairs finished, payload: the overall fraction as a float, which the CLI's bar and the app's
    follow; the message names the pair) and returns the BatchResult. ``reenactor`` may be
    a function making one, called only when a pair is left to render. `Cancelled` stops it at once: the
    output being written is removed, finished ones stay (a later run resumes)."""
    began = time.perf_counter()
    make = reenactor if callable(reenactor) else None
    outcomes: list[PairOutcome] = []
    drivers: dict[str, DrivingSequence | str] = {}  # videos analysed once: the sequence, or why it failed
    source_state: tuple[Path | None, str] = (None, "")  # the source set on the reenactor, or why it failed
    total = len(pairs)
    for k, pair in enumerate(pairs):
        if cancel is not None:
            cancel.check()
        if not settings.overwrite and pair.finished():
            outcomes.append(PairOutcome(pair, "existing"))
            yield Progress(k + 1, total, f"{pair.name}: already there", (k + 1) / total)
            continue
        if make is not None:
            reenactor, make = make(), None
        try:
            if source_state[0] != pair.source:
                source_state = (pair.source, "")
                try:
                    reenactor.set_source(pair.source, face_index=settings.face_index)
                except UserError as err:
                    source_state = (pair.source, str(err))
            if source_state[1]:
                raise _Failed(source_state[1])
            split = 0.5 if _is_video(pair.driving) and pair.driving not in drivers else 0.0  # analysis, then export
            sequence = yield from _driver(pair, reenactor, settings, drivers, cancel, (k, total, split))
            reenactor.set_driving(sequence)
            stop = sequence.frame_count if settings.stop is None else min(settings.stop, sequence.frame_count)
            stream = export(
                reenactor, pair.output, settings.options, settings.start, stop, quality=settings.quality,
                batch=settings.batch, cancel=cancel, output=settings.output,
            )
            result = yield from _within(stream, pair, (k, total), split, 1.0)
            outcomes.append(PairOutcome(pair, "rendered", frames=result.frames))
        except (UserError, _Failed) as err:
            log.warning("%s failed: %s", pair.name, err)
            outcomes.append(PairOutcome(pair, "failed", str(err)))
        yield Progress(k + 1, total, f"{pair.name}: {outcomes[-1].status}", (k + 1) / total)
    return BatchResult(tuple(outcomes), time.perf_counter() - began)


class _Failed(Exception):
    """A pair that cannot render for a reason already found (its source, or its driver, failed before)."""


def _driver(
    pair: BatchPair,
    reenactor: Reenactor,
    settings: BatchSettings,
    drivers: dict[str, DrivingSequence | str],
    cancel: CancelToken | None,
    place: tuple[int, int, float],
) -> ProgressStream[DrivingSequence]:
    """The pair's driving sequence: a video's analysis is made once for every source (or its failure kept),
    a performance is expanded on each source."""
    from core.faces.driving import read_driving

    known = drivers.get(pair.driving)
    if isinstance(known, str):
        raise _Failed(known)
    if known is not None:
        return known
    source = reenactor.source
    stream = read_driving(
        pair.driving, source.landmarks, reenactor.resolution, reenactor.detector,
        settings.driving_face_index, settings.fps, cancel,
    )
    is_video = _is_video(pair.driving)
    k, total, split = place
    try:
        sequence = yield from _within(stream, pair, (k, total), 0.0, split)
    except UserError as err:
        if is_video:
            drivers[pair.driving] = str(err)
        raise
    if is_video:
        drivers[pair.driving] = sequence
    return sequence


def _is_video(driving: str) -> bool:
    """A driver analysed from its frames (a video or a folder of frames), not a performance."""
    return driving != BUILTIN and not driving.lower().endswith(".json")


def _within(
    stream: ProgressStream[Any], pair: BatchPair, place: tuple[int, int], low: float, high: float
) -> ProgressStream[Any]:
    """Run an inner stream (analysis, export), its progress shown as the ``low..high`` part of pair ``k``'s
    (``place``: k and the pair count), its result returned; the inner stream is closed if this one is (so
    its temporary output goes)."""
    k, total = place
    try:
        while True:
            try:
                item = next(stream)
            except StopIteration as stop:
                return stop.value
            fraction = low + (high - low) * item.fraction
            yield Progress(k, total, f"{pair.name}: {item.message}", (k + fraction) / total)
    finally:
        stream.close()
