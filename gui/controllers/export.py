"""Export: settings from the dialog become a core `export` job on the export lane, with progress,
ETA and cancel; the output is written atomically by the core, so a cancelled export leaves nothing.
Besides the format, the settings say what the export holds (`core.export.OutputOptions`): the composite,
the head over transparency (alpha) or the three layers, and whether it is a seamless loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, Signal

from core.errors import UserError
from core.progress import CancelToken, Progress, ProgressStream
from gui.controllers.context import AppContext
from gui.workers import Job, JobFailure, JobHandle

if TYPE_CHECKING:
    from core.export import ExportResult
    from gui.models.document import Document

ExportFormat = Literal["mp4", "mov", "webm", "png", "gif", "webp"]
FORMAT_SUFFIX = {"mp4": ".mp4", "mov": ".mov", "webm": ".webm", "gif": ".gif", "webp": ".webp", "png": ""}
FORMAT_LABELS = {
    "mp4": "MP4 video (H.264, with the driving audio)",
    "mov": "QuickTime MOV (ProRes, with alpha and audio)",
    "webm": "WebM video (VP9, with alpha and audio)",
    "png": "PNG sequence (a folder of frames)",
    "gif": "Animated GIF",
    "webp": "Animated WebP",
}
#: What an export holds: the composite, the head over transparency, or all three layers.
Picture = Literal["composite", "alpha", "layers"]
PICTURE_LABELS = {
    "composite": "The animated photo",
    "alpha": "The head over transparency (alpha)",
    "layers": "Layers: the photo, the head over transparency and its matte",
}
LOOP_LABELS = {None: "No loop", "crossfade": "Seamless loop: crossfade", "pingpong": "Seamless loop: ping-pong"}


@dataclass(frozen=True)
class ExportSettings:
    target: Path
    start: int
    stop: int  # exclusive
    paste_back: bool  # True: pasted into the full photo; False: the face crop
    quality: int = 80  # 0-100
    output_size: int | None = None  # longest side; None: native
    picture: Picture = "composite"
    loop: str | None = None  # "crossfade" or "pingpong": a seamless loop of the range's motion
    loop_length: int | None = None  # frames in the loop (None: what the range allows)

    @property
    def format(self) -> ExportFormat:
        return export_format_of(self.target)

    def output_options(self):  # -> core.export.OutputOptions
        """What the export holds, for `core.export` (`ConfigError` for an impossible combination)."""
        return output_options(self.picture, self.loop, self.loop_length)


def output_options(picture: Picture, loop: str | None, loop_length: int | None = None):  # -> core.export.OutputOptions
    """What an export (or each file of a batch) holds: the composite, the head over transparency or the three
    layers, and a seamless loop (`loop_length` counts only with a loop). `core.export` is imported here: it
    is not light."""
    from core.export import OutputOptions

    return OutputOptions(
        alpha=picture == "alpha", layers=picture == "layers", loop=loop,  # type: ignore[arg-type]
        loop_length=loop_length if loop else None,
    )


def export_format_of(path: Path) -> ExportFormat:
    suffix = path.suffix.lower()
    return next((fmt for fmt, ext in FORMAT_SUFFIX.items() if ext and ext == suffix), "png")  # type: ignore[return-value]


def with_format(path: Path, fmt: ExportFormat) -> Path:
    """`path` renamed for `fmt` (a folder name without extension for PNG frames)."""
    known = {ext for ext in FORMAT_SUFFIX.values() if ext}
    stem = path.name[: -len(path.suffix)] if path.suffix.lower() in known else path.name
    return path.with_name(stem + FORMAT_SUFFIX[fmt])


def export_inputs(document: Document) -> list[Path | None]:
    """The files an export must never replace: the portrait, the driving, the checkpoint and the project file."""
    model = document.model
    checkpoint = model.path
    if model.kind == "demo":
        from resources import default_checkpoint

        checkpoint = default_checkpoint()
    source, driving = document.source, document.driving
    return [source and source.path, driving and driving.path, checkpoint, document.project_path]


def eta_seconds(progress: Progress, elapsed: float) -> float | None:
    """Seconds left at the rate so far (None until there is a rate)."""
    if progress.total <= 0 or progress.done <= 0 or elapsed <= 0:
        return None
    rate = progress.done / elapsed
    return max(0.0, (progress.total - progress.done) / rate)


class ExportLaneJob(QObject):
    """A controller of one job at a time on the export lane: started, shown in the status bar, its
    outcomes delivered to the subclass's ``_progress``, ``_succeeded``, ``_failed`` and ``_cancelled``."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.handle: JobHandle | None = None
        self._began = 0.0

    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.done

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def _submit(self, key: str, title: str, work: Callable[[CancelToken], object]) -> JobHandle:
        handle = self.ctx.lanes.export.submit(Job(work, title))
        self.handle = handle
        self._began = time.perf_counter()
        self.ctx.track(key, handle, f"{title}…")
        handle.progress.connect(self._progress)
        handle.succeeded.connect(self._succeeded)
        handle.failed.connect(self._failed)
        handle.cancelled.connect(self._cancelled)
        return handle


class ExportController(ExportLaneJob):
    started = Signal()
    progressed = Signal(int, int, object)  # done, total, ETA seconds (None: unknown)
    succeeded = Signal(object)  # ExportResult
    failed = Signal(object)  # JobFailure
    cancelled = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(ctx, parent)
        self.last_result: ExportResult | None = None

    def can_export(self) -> str:
        """"" when an export can start, else why not."""
        if not self.ctx.scene.ready:
            return "Load a model, a portrait and a driving video first."
        if self.running or self.ctx.lanes.export.busy:
            return "An export is already running."
        return ""

    def default_settings(self) -> ExportSettings:
        scene, doc = self.ctx.scene, self.ctx.document
        folder = Path(self.ctx.settings.last_folder or Path.home())
        source = scene.source_candidate.name if scene.source_candidate else "portrait"
        driving = scene.driving_info.name if scene.driving_info else "driving"
        stem = f"{Path(source).stem}-{Path(driving).stem}".replace(" ", "_")
        first, last = doc.play_range(scene.frame_count)  # the timeline's in and out points
        return ExportSettings(
            target=folder / f"{stem}.mp4",
            start=first,
            stop=last + 1 if scene.frame_count else 0,
            paste_back=doc.options.paste_back,
            quality=self.ctx.settings.export_quality,
        )

    def start(self, settings: ExportSettings) -> JobHandle | None:
        """Start exporting; None (with a dialog) when the settings cannot work."""
        from core.export import check_target
        from core.safety import refuse_overwriting_inputs

        reason = self.can_export()
        if reason:
            self.ctx.dialogs.show_error("Cannot export", reason)
            return None
        try:
            output = settings.output_options()
            targets = check_target(settings.target, output)  # an unwritable folder or MP4 with alpha fails now
            for path in targets.values():  # nothing the scene was made from is written over
                refuse_overwriting_inputs(path, export_inputs(self.ctx.document), "the export")
            if not 0 <= settings.start < settings.stop <= self.ctx.scene.frame_count:
                raise UserError(
                    f"the frame range {settings.start}..{settings.stop - 1} is outside the driving "
                    f"(0..{self.ctx.scene.frame_count - 1})"
                )
            options = replace(self.ctx.document.options, paste_back=settings.paste_back, output_size=settings.output_size)
        except UserError as err:
            self.ctx.dialogs.show_error("Cannot export", str(err))
            return None
        self.ctx.settings.export_quality = settings.quality
        engine = self.ctx.engine

        def work(token: CancelToken) -> ProgressStream[ExportResult]:
            from core.export import export

            return export(
                engine.reenactor, settings.target, options, settings.start, settings.stop,
                quality=settings.quality, batch=4, cancel=token, output=output,
            )

        handle = self._submit("export", f"Exporting {settings.target.name}", work)
        self.started.emit()
        return handle

    def open_folder(self) -> None:
        if self.last_result is not None:
            output = Path(self.last_result.output)
            self.ctx.dialogs.open_folder(output if output.is_dir() else output.parent)

    # -- job events ----------------------------------------------------------------------------------------
    def _progress(self, progress: Progress) -> None:
        self.progressed.emit(progress.done, progress.total, eta_seconds(progress, time.perf_counter() - self._began))

    def _succeeded(self, result: ExportResult) -> None:
        self.last_result = result
        self.ctx.settings.last_folder = str(Path(result.output).parent)
        self.ctx.activity.say(
            f"Exported {result.frames} frames to {Path(result.output).name} in {result.seconds:.1f} s", 8000
        )
        self.succeeded.emit(result)

    def _failed(self, failure: JobFailure) -> None:
        self.ctx.report("Export failed", failure)
        self.failed.emit(failure)

    def _cancelled(self) -> None:
        self.ctx.activity.say("Export cancelled: nothing was written", 6000)
        self.cancelled.emit()
