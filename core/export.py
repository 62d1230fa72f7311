"""Export: a driving range rendered into a video, a GIF/WebP or a folder of PNGs, never half-written.

The target's extension picks the format (``.mp4``, ``.gif``, ``.webp``; no extension: a folder of
PNGs). The network runs on the calling thread in batches (`Reenactor.run_model`) while the
full-resolution picture (`Reenactor.compose`) and encoding run on a writer thread, so the two overlap. The writer writes to a
temporary file beside the target and renames it only when complete; cancelling or any error leaves
nothing behind. MP4 exports carry the driving video's audio for the exported range.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.atomic import check_writable_dir
from core.config import RenderOptions
from core.errors import ConfigError, OutputError
from core.pipeline import Reenactor
from core.progress import CancelToken, Progress, ProgressStream
from core.safety import refuse_overwriting_inputs

FORMATS = {".mp4": "mp4", ".gif": "gif", ".webp": "webp", "": "png"}


@dataclass(frozen=True)
class ExportResult:
    output: Path
    frames: int
    seconds: float
    frames_per_s: float
    skipped_frames: tuple[int, ...]
    audio: bool
    size: tuple[int, int]


def export_format(target: str | Path) -> str:
    """The format a target path asks for; a clear message for unknown extensions."""
    suffix = Path(target).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"cannot export to {suffix!r}: use .mp4, .gif, .webp, or a folder name for PNG frames")
    return FORMATS[suffix]


def check_target(target: str | Path) -> Path:
    """Fail before any work when the output cannot be written."""
    target = Path(target)
    export_format(target)
    check_writable_dir(target.parent if str(target.parent) else Path("."), "output")
    if target.exists() and target.is_dir() and Path(target).suffix:
        raise OutputError(f"{target} is a folder: pick a file name")
    return target


def export(
    reenactor: Reenactor,
    target: str | Path,
    options: RenderOptions,
    start: int = 0,
    stop: int | None = None,
    quality: int = 80,
    batch: int = 8,
    cancel: CancelToken | None = None,
) -> ProgressStream[ExportResult]:
    """Render frames start..stop-1 into `target`; yields Progress per frame, returns an ExportResult.

    `quality` is 0-100 (MP4 CRF, WebP quality, GIF palette); every export carries the writer's
    metadata tag marking it as synthetic.
    """
    from core.video import VideoWriter

    target = check_target(target)
    fmt = export_format(target)
    _, driving = reenactor._require()
    refuse_overwriting_inputs(target, [driving.video_path], "the export")  # the app's path too, not only render's
    stop = driving.frame_count if stop is None else stop
    if not 0 <= start < stop <= driving.frame_count:
        raise ConfigError(f"frame range {start}..{stop} is outside the driving sequence (0..{driving.frame_count})")
    skipped = tuple(i for i in driving.bad_frames if start <= i < stop)
    wanted = [i for i in range(start, stop) if i not in skipped]
    if not wanted:
        raise ConfigError("every frame in that range is unreadable in the driving video: choose another range")
    audio_source = driving.video_path if (fmt == "mp4" and driving.video_path is not None) else None
    size = reenactor.output_size(options)
    began = time.perf_counter()
    frames_done = 0
    with VideoWriter(
        target,
        fps=driving.fps,
        size=size,
        quality=quality,
        audio_source=audio_source,
        audio_start_s=driving.time_of(start),
        audio_end_s=driving.time_of(stop - 1) + 1.0 / driving.fps,
    ) as writer:
        sink = _WriterThread(writer, reenactor, options)
        try:
            for chunk_start in range(0, len(wanted), batch):
                if cancel is not None:
                    cancel.check()
                chunk = wanted[chunk_start : chunk_start + batch]
                sink.put(list(zip(chunk, reenactor.run_model(chunk, options), strict=True)))
                frames_done = sink.written
                yield Progress(chunk_start + len(chunk), len(wanted), f"frame {chunk[-1]}")
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        frames_done = sink.written
        audio = bool(getattr(writer, "has_audio", audio_source is not None))
    seconds = time.perf_counter() - began
    return ExportResult(
        output=target,
        frames=frames_done,
        seconds=seconds,
        frames_per_s=frames_done / seconds if seconds > 0 else 0.0,
        skipped_frames=skipped,
        audio=audio,
        size=size,
    )


class _WriterThread:
    """Composes (full-resolution pictures) and encodes batches on a thread; errors surface on the caller's
    side."""

    def __init__(self, writer: object, reenactor: Reenactor, options: RenderOptions, depth: int = 2):
        self.writer = writer
        self.reenactor = reenactor
        self.options = options
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
                    self.writer.write(self.reenactor.compose(index, frame, self.options).image)
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
