"""Export: a driving range rendered into a video, a GIF/WebP or a folder of PNGs, never half-written.

The target's name picks the format (`core.video.formats`: ``.mp4``, ``.mov``, ``.webm``, ``.gif``,
``.webp``; no extension: a folder of PNGs), and `OutputOptions` what goes in it:

* the composite (the photo with the reenacted head), as before;
* ``alpha``: the head over transparency, its matte the renderer's own region weight (`RenderedFrame.matte`:
  where the reenacted head replaces the photo, feathered), so laid over the photo it gives the composite
  back. MP4 cannot carry it and is refused, naming the formats that can, before any work;
* ``layers``: the composite, the head over transparency and the matte alone, in one pass, frame-aligned
  (`core.video.layers`: ``<name>_face`` and ``<name>_matte`` beside the target), committed all or none;
* ``loop``: a seamless loop (`core.faces.loop`: crossfade or ping-pong, of the length asked for) made
  from the exported range's motion; the loop point is measured (`ExportResult.loop`).

The network runs on the calling thread in batches (`Reenactor.run_model`) while the full-resolution
picture (`Reenactor.compose`) and encoding run on a writer thread, so the two overlap. Everything is
written to temporary files beside the targets and renamed only when complete; cancelling or any error
leaves nothing behind. Formats with sound (MP4, MOV, WebM) carry the driving video's audio for the
exported range; a loop is silent (the sound would jump where the picture does not).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.atomic import check_writable_dir
from core.config import RenderOptions
from core.errors import ConfigError, OutputError
from core.faces.loop import LOOP_MODES, LoopCheck, LoopMode, check_loop, make_loop
from core.progress import CancelToken, Progress, ProgressStream
from core.safety import refuse_overwriting_inputs
from core.video.formats import OUTPUT_FORMATS, check_output_format, output_kind
from core.video.layers import LayerKind, layer_paths

if TYPE_CHECKING:
    from core.pipeline import Reenactor
    from core.render import ModelFrame
    from core.video.layers import LayeredWriter


@dataclass(frozen=True)
class OutputOptions:
    """What an export writes besides its format: the head over transparency (``alpha``), the three
    layers (``layers``: composite, face over transparency, matte), a seamless ``loop`` ("crossfade" or
    "pingpong", None: the range as it is) of ``loop_length`` frames (None: as long as the range allows)."""

    alpha: bool = False
    layers: bool = False
    loop: LoopMode | None = None
    loop_length: int | None = None

    def __post_init__(self) -> None:
        if self.alpha and self.layers:
            raise ConfigError(
                "layers already include the face over transparency (<name>_face): ask for alpha or for layers, not both"
            )
        if self.loop is not None and self.loop not in LOOP_MODES:
            raise ConfigError(f"unknown loop mode {self.loop!r}: use {' or '.join(LOOP_MODES)}")
        if self.loop_length is not None:
            if self.loop is None:
                raise ConfigError("a loop length needs a loop mode (crossfade or pingpong)")
            if not 2 <= self.loop_length <= 100_000:
                raise ConfigError(f"the loop length must be 2 to 100000 frames, got {self.loop_length}")


@dataclass(frozen=True)
class ExportResult:
    output: Path
    frames: int
    seconds: float
    frames_per_s: float
    skipped_frames: tuple[int, ...]
    audio: bool
    size: tuple[int, int]
    files: dict[str, Path] | None = None  # every file written, by layer ("composite", "face", "matte")
    loop: LoopCheck | None = None  # the loop point measured, for a loop


def output_targets(target: str | Path, output: OutputOptions = OutputOptions()) -> dict[LayerKind, Path]:
    """The files an export to ``target`` writes, by layer: the composite, or the face over transparency
    (``alpha``), or all three layers beside each other (``layers``)."""
    target = Path(target)
    if output.layers:
        return layer_paths(target)
    return {"face" if output.alpha else "composite": target}


def check_target(target: str | Path, output: OutputOptions = OutputOptions()) -> dict[LayerKind, Path]:
    """Fail before any work when an output cannot be written (unknown format, alpha in a format that
    cannot carry it, a missing or read-only folder, a folder where a file is named); the files to write."""
    targets = output_targets(target, output)
    for kind, path in targets.items():
        check_output_format(path, alpha=kind == "face")
        check_writable_dir(path.parent if str(path.parent) else Path("."), "output")
        if path.suffix and path.is_dir():
            raise OutputError(f"{path} is a folder: pick a file name")
    return targets


def export(
    reenactor: Reenactor,
    target: str | Path,
    options: RenderOptions,
    start: int = 0,
    stop: int | None = None,
    quality: int = 80,
    batch: int = 8,
    cancel: CancelToken | None = None,
    output: OutputOptions = OutputOptions(),
) -> ProgressStream[ExportResult]:
    """Render frames start..stop-1 into `target` (and its layers); yields Progress per batch, returns an
    ExportResult.

    `quality` is 0-100 (MP4/WebM CRF, WebP quality, GIF palette); every export carries the writer's
    metadata tag marking it as synthetic.
    """
    from core.render import photo_background
    from core.video.layers import LayeredWriter

    targets = check_target(target, output)
    source, driving = reenactor._require()
    for path in targets.values():  # the app's path too, not only render's
        refuse_overwriting_inputs(path, [driving.video_path], "the export")
    stop = driving.frame_count if stop is None else stop
    if not 0 <= start < stop <= driving.frame_count:
        raise ConfigError(f"frame range {start}..{stop} is outside the driving sequence (0..{driving.frame_count})")
    loop_check: LoopCheck | None = None
    looped: np.ndarray | None = None
    if output.loop is not None:
        # The loop reshapes the motion the export renders: the transformed landmarks of the range.
        motion = reenactor.transformed_landmarks(options)[start:stop]
        looped, _plan = make_loop(motion, output.loop, output.loop_length)
        loop_check = check_loop(looped, reference=motion)
        skipped: tuple[int, ...] = ()  # held landmarks stand in for unreadable frames: the loop stays whole
        wanted = list(range(len(looped)))
        audio_source = None
    else:
        skipped = tuple(i for i in driving.bad_frames if start <= i < stop)
        wanted = [i for i in range(start, stop) if i not in skipped]
        carries_sound = any(OUTPUT_FORMATS[output_kind(path)].audio_codec for path in targets.values())
        audio_source = driving.video_path if carries_sound else None
    if not wanted:
        raise ConfigError("every frame in that range is unreadable in the driving video: choose another range")
    geometry = reenactor.output_geometry(options)
    background = photo_background(source.photo, geometry) if "face" in targets else None
    began = time.perf_counter()
    with LayeredWriter(
        targets,
        fps=driving.fps,
        size=geometry.size,
        background=background,
        quality=quality,
        audio_source=audio_source,
        audio_start_s=driving.time_of(start),
        audio_end_s=driving.time_of(stop - 1) + 1.0 / driving.fps,
    ) as writer:
        sink = _WriterThread(_frame_writer(writer, reenactor, options))
        try:
            for chunk_start in range(0, len(wanted), batch):
                if cancel is not None:
                    cancel.check()
                chunk = wanted[chunk_start : chunk_start + batch]
                landmarks = None if looped is None else looped[chunk]
                sink.put(list(zip(chunk, reenactor.run_model(chunk, options, landmarks), strict=True)))
                yield Progress(chunk_start + len(chunk), len(wanted), f"frame {chunk[-1]}")
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        audio = any(w.has_audio for w in writer.writers.values())
    seconds = time.perf_counter() - began
    return ExportResult(
        output=Path(target),
        frames=sink.written,
        seconds=seconds,
        frames_per_s=sink.written / seconds if seconds > 0 else 0.0,
        skipped_frames=skipped,
        audio=audio,
        size=geometry.size,
        files=dict(targets),
        loop=loop_check,
    )


def _frame_writer(
    writer: LayeredWriter, reenactor: Reenactor, options: RenderOptions
) -> Callable[[int, ModelFrame], None]:
    """One frame's picture at full resolution, given to every layer with its matte."""

    def write(index: int, frame: ModelFrame) -> None:
        rendered = reenactor.compose(index, frame, options)
        writer.write(rendered.image, rendered.matte)

    return write


class _WriterThread:
    """Composes (full-resolution pictures) and encodes batches on a thread; errors surface on the caller's
    side."""

    def __init__(self, write: Callable[[int, ModelFrame], None], depth: int = 2):
        self.write = write
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.written = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                frames = self.queue.get()
                if frames is None or self._stop.is_set():
                    return
                for index, frame in frames:
                    self.write(index, frame)
                    self.written += 1
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread, re-raised there
            self.error = err

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, frames: object) -> None:
        while True:
            self._check()
            try:
                self.queue.put(frames, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self.put(None)
        self.thread.join()
        self._check()

    def abort(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        self.thread.join(timeout=30)
