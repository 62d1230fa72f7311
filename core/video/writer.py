"""`VideoWriter`: stream frames into an MP4, MOV, WebM, animated GIF, animated WebP or a folder of PNGs.

The target's name picks the kind (`core.video.formats`): ``.mp4``, ``.mov``, ``.webm``, ``.gif``,
``.webp``, or a path without extension (or an existing folder) for ``frame_00000.png``, ... With
``alpha=True`` the frames carry transparency (every kind but MP4, which is refused before anything is
written). Everything is written to a temporary file (or folder) beside the target and renamed onto it
only when complete: an exception or ``cancel()`` leaves no output and never touches an existing file
at the target. Every export carries a tag saying it is synthetic (`core.video.tags`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.atomic import aside_name, atomic_path, check_writable_dir, describe_os_error, temporary_folder
from core.errors import Cancelled, OutputError
from core.progress import CancelToken
from core.video.alpha import with_alpha
from core.video.formats import OUTPUT_FORMATS, check_output_format
from core.video.sinks import EncodedSink, GifSink, PngSink, WebpSink
from core.video.tags import synthetic_metadata

log = logging.getLogger(__name__)

_PNG_NAME = re.compile(r"frame_\d{5,}\.png")


def _as_rate(fps: float | Fraction) -> Fraction:
    rate = Fraction(fps).limit_denominator(1001) if isinstance(fps, float) else Fraction(fps)
    if rate <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return rate


class VideoWriter:
    """Write frames of one size to ``path``; use as a context manager (or call ``close()``).

    ``size`` is (width, height) of the frames given to ``write``. MP4 is H.264 yuv420p, which needs
    even dimensions: an odd width or height is padded by one row/column repeating the edge pixels
    (101x77 is stored as 102x78), never resized. The other kinds keep the exact size.

    ``alpha``: frames carry transparency (``write(rgba)`` or ``write(rgb, matte)``); see
    `core.video.sinks` for what each kind stores. MP4 cannot: asking for it raises `OutputError`
    naming the kinds that can, before any file is made.

    MP4, MOV and WebM: ``audio_source`` (a video or audio file) gives the soundtrack, cut to
    ``audio_start_s .. audio_end_s`` on that file's timeline (`VideoReader.time_range` gives the span
    of a frame range; ``audio_end_s`` None: as long as the frames written), encoded as AAC, PCM or
    Opus. A source without audio (or an image sequence) gives a silent file.

    ``quality`` 0-100: MP4 and WebM CRF, WebP quality, GIF palette size; ProRes has fixed rates and
    PNG is lossless. ``metadata`` is merged over `DEFAULT_METADATA`, whose ``comment`` marks the
    export as synthetic (a caller's comment keeps that mark, see `synthetic_metadata`).
    ``cancel``: a `CancelToken` checked at each ``write`` (raising `Cancelled`).

    Errors before any frame is encoded: `OutputError` for a kind that cannot carry the alpha asked
    for, a folder that is missing or read-only, a target that is an existing folder (for a file) or a
    folder holding other files (for PNGs); `InputError` for an unreadable ``audio_source``.

    ``close()`` is ``finish()`` (complete the temporary output) then ``commit()`` (rename it onto the
    target); `core.video.layers.LayeredWriter` finishes several writers before committing any.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float | Fraction,
        size: tuple[int, int],
        quality: int = 80,
        audio_source: str | Path | None = None,
        audio_start_s: float = 0.0,
        audio_end_s: float | None = None,
        metadata: dict[str, str] | None = None,
        cancel: CancelToken | None = None,
        alpha: bool = False,
    ) -> None:
        self.path = Path(path)
        # Written and renamed as a plain absolute path: ``out/prev/../prev`` stops naming anything once
        # ``prev`` is moved aside to make way for the new folder of frames. The folder is resolved as the
        # system (and `core.safety`) reads it, ``link/..`` included; the name itself is not, so that a
        # link there is replaced, not written through.
        self._target = Path(os.path.realpath(self.path.parent if str(self.path.parent) else ".")) / self.path.name
        self.kind = check_output_format(self.path, alpha)
        self.alpha = bool(alpha)
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {size}")
        self.size = (width, height)
        self.rate = _as_rate(fps)
        self.quality = int(quality)
        self.metadata = synthetic_metadata(metadata)
        self._token = cancel
        self.frames_written = 0
        self._closed = False
        self._finished = False
        self._check_target()
        if audio_source is not None and OUTPUT_FORMATS[self.kind].audio_codec is None:
            log.info("%s exports carry no sound: the audio of %s is left out", self.kind, audio_source)
            audio_source = None
        if audio_source is not None and Path(audio_source).is_dir():
            log.info("%s is an image sequence: the export is silent", audio_source)
            audio_source = None
        self._stack = contextlib.ExitStack()
        try:
            if self.kind == "png":
                self._tmp = temporary_folder(self._target)  # named so a killed run's is recognised
                self._stack.callback(shutil.rmtree, self._tmp, ignore_errors=True)
                self._sink = PngSink(self._tmp, self.metadata)
            else:
                self._tmp = self._stack.enter_context(atomic_path(self._target))
                if self.kind == "gif":
                    self._sink = GifSink(self._tmp, self.rate, self.size, self.quality, self.alpha, self.metadata)
                elif self.kind == "webp":
                    self._sink = WebpSink(self._tmp, self.rate, self.size, self.quality, self.alpha, self.metadata)
                else:
                    self._sink = EncodedSink(
                        self._tmp,
                        self.kind,
                        self.rate,
                        self.size,
                        self.quality,
                        self.alpha,
                        self.metadata,
                        audio_source,
                        audio_start_s,
                        audio_end_s,
                    )
        except BaseException as err:
            self._stack.__exit__(type(err), err, err.__traceback__)
            raise

    @property
    def _folder(self) -> Path:
        return self._target.parent

    @property
    def has_audio(self) -> bool:
        """True when the output gets a soundtrack (MP4/MOV/WebM with an ``audio_source`` that has sound)."""
        return getattr(self._sink, "audio", None) is not None

    @property
    def encoded_size(self) -> tuple[int, int]:
        """(width, height) as stored: MP4 pads odd dimensions to even."""
        w, h = self.size
        return (w + w % 2, h + h % 2) if self.kind == "mp4" else (w, h)

    def _check_target(self) -> None:
        check_writable_dir(self._folder)
        if self.kind != "png":
            if self._target.is_dir():
                raise OutputError(f"{self.path} is a folder: give a file name ending in .{self.kind}")
            return
        if self._target.exists():
            if not self._target.is_dir():
                raise OutputError(f"{self.path} is a file: give a folder for the PNG frames")
            others = [p.name for p in self._target.iterdir() if not _PNG_NAME.fullmatch(p.name)]
            if others:
                raise OutputError(
                    f"folder {self.path} already holds other files ({others[0]}, ...): "
                    "pick an empty or new folder for the PNG frames"
                )

    def write(self, frame: np.ndarray, matte: np.ndarray | None = None) -> None:
        """Append one frame: HxWx3 uint8 RGB; with ``alpha``, HxWx4 uint8 RGBA or RGB plus ``matte``
        (HxW float 0..1 or uint8, the frame's coverage: 0 transparent, 1 opaque)."""
        if self._closed or self._finished:
            raise RuntimeError(f"writer for {self.path} is closed")
        if self._token is not None:
            self._token.check()
        self._check_frame(frame, matte)
        if matte is not None:
            frame = with_alpha(frame, matte)
        try:
            self._sink.write(np.ascontiguousarray(frame))
        except OSError as err:
            raise OutputError(describe_os_error(err, self.path)) from err
        self.frames_written += 1

    def _check_frame(self, frame: np.ndarray, matte: np.ndarray | None) -> None:
        w, h = self.size
        if matte is not None and not self.alpha:
            raise ValueError(f"writer for {self.path.name} has no alpha: open it with alpha=True to give a matte")
        channels = 4 if self.alpha and matte is None else 3
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != (h, w, channels):
            got = getattr(frame, "shape", type(frame).__name__), getattr(frame, "dtype", "")
            what = "RGBA frame (or RGB and a matte)" if channels == 4 else "RGB frame"
            raise ValueError(f"expected a {h}x{w}x{channels} uint8 {what}, got {got[0]} {got[1]}")

    def finish(self) -> None:
        """Complete the temporary output (the target is untouched until `commit`); `OutputError` and
        no output when no frame was written."""
        if self._closed or self._finished:
            return
        if self.frames_written == 0:
            empty = OutputError(f"nothing to export to {self.path}: no frame was rendered")
            self._abort(empty)
            raise empty
        with self._aborting_on_error():
            self._sink.finish()
        self._finished = True

    def commit(self) -> None:
        """Move the finished output onto the target (finishing it first if needed)."""
        if self._closed:
            return
        self.finish()
        if self.kind == "png":
            with self._aborting_on_error():
                _commit_folder(self._tmp, self._target)
        self._closed = True
        if self.kind != "png":
            _set_default_mode(self._tmp, is_dir=False)
        self._stack.close()  # atomic_path renames the finished file onto the target

    @contextlib.contextmanager
    def _aborting_on_error(self) -> Iterator[None]:
        """Any error removes the temporary output; an OSError becomes a readable `OutputError`."""
        try:
            yield
        except BaseException as err:
            self._abort(err)
            if isinstance(err, OSError):
                raise OutputError(describe_os_error(err, self.path)) from err
            raise

    def close(self) -> None:
        """Finish the file and move it onto the target (nothing is written if no frame was)."""
        self.commit()

    def cancel(self) -> None:
        """Stop: the temporary output is removed and the target left as it was."""
        self._abort(Cancelled("export cancelled"))

    def _abort(self, reason: BaseException) -> None:
        if self._closed:
            return
        self._closed = True
        self._sink.abort()
        self._stack.__exit__(type(reason), reason, reason.__traceback__)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self._abort(exc)
        else:
            self.close()


def _umask() -> int:
    """The process umask, read without changing it (Linux); 0o022 where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _set_default_mode(path: Path, is_dir: bool) -> None:
    """Temporary files are private (0600); a finished export gets the permissions a new file would."""
    with contextlib.suppress(OSError):
        os.chmod(path, (0o777 if is_dir else 0o666) & ~_umask())


def _commit_folder(tmp: Path, target: Path) -> None:
    """Move the finished PNG folder onto ``target`` (an absolute path without ``..``); a previous export
    there is moved aside, replaced whole, then removed. Should the new folder fail to take its place,
    the previous export is put back (`_put_back`); a run killed in between leaves it under a name the
    next write into the folder recognises (`core.atomic.aside_name`)."""
    _set_default_mode(tmp, is_dir=True)
    if not os.path.lexists(target):
        os.replace(tmp, target)
        return
    aside = aside_name(target)
    os.replace(target, aside)
    try:
        os.replace(tmp, target)
    except BaseException as err:
        _put_back(aside, target, err)
        raise
    if aside.is_symlink():  # the target was a link: the folder it named is not the export's to remove
        aside.unlink(missing_ok=True)
    else:
        shutil.rmtree(aside, ignore_errors=True)


def _put_back(aside: Path, target: Path, cause: BaseException) -> None:
    """Return the previous export to ``target`` after the new one failed to take its place; when even
    that fails, keep it under a visible name (a hidden aside would be removed by a later write) and
    raise `OutputError` saying where it is."""
    try:
        os.replace(aside, target)
        return
    except OSError as err:
        failure = err
    kept, number = target.with_name(f"{target.name}.previous"), 1
    while os.path.lexists(kept):
        kept, number = target.with_name(f"{target.name}.previous-{number}"), number + 1
    try:
        os.replace(aside, kept)
    except OSError:
        kept = aside
    reason = getattr(cause, "strerror", None) or cause
    raise OutputError(
        f"cannot move the new export onto {target} ({reason}), nor the previous one back "
        f"({failure.strerror or failure}): the previous export is kept at {kept}"
    ) from cause
