"""Batch rendering from the app: the current settings (the controls' render options, quality; the timeline's
in and out points when asked; a seamless loop) over a set of portraits and drivers, every pair into one folder (`core.batch`), on the export lane in the
background, with progress, cancel and the failed pairs with their reasons.

The batch renders with its own Reenactor (the same model, loaded again on the export lane), so the
preview keeps its portrait and driver and stays usable while the batch runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from core.errors import UserError
from core.progress import CancelToken, Progress, ProgressStream
from gui.controllers.context import AppContext
from gui.controllers.export import ExportFormat, ExportLaneJob, Picture, eta_seconds, output_options
from gui.workers import JobFailure, JobHandle

if TYPE_CHECKING:
    from core.batch import BatchPair, BatchResult


@dataclass(frozen=True)
class BatchRequest:
    """What the batch dialog asks for: every portrait with every driver (paths, or ``builtin``), into
    ``folder`` as ``<portrait>__<driver>.<format>``."""

    sources: tuple[Path, ...]
    drivings: tuple[str, ...]
    folder: Path
    format: ExportFormat = "mp4"
    picture: Picture = "composite"
    overwrite: bool = False
    fps: float = 25.0  # the rate of folders of numbered frames
    quality: int = 80
    start: int = 0  # first driving frame of every pair
    stop: int | None = None  # frame after the last (None: each driver to its end; beyond a driver: its end)
    loop: str | None = None  # "crossfade" or "pingpong": every output a seamless loop (core.faces.loop)

    def output_options(self):  # -> core.export.OutputOptions
        """What each output holds: the composite, the head over transparency, or the three layers."""
        return output_options(self.picture, self.loop)


class BatchController(ExportLaneJob):
    started = Signal(int)  # pairs
    progressed = Signal(float, str, object)  # overall fraction, message, ETA seconds (None: unknown)
    succeeded = Signal(object)  # core.batch.BatchResult
    failed = Signal(object)  # JobFailure
    cancelled = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(ctx, parent)
        self.last_result: BatchResult | None = None
        self.pairs: list[BatchPair] = []

    def can_start(self) -> str:
        """"" when a batch can start, else why not."""
        if not self.ctx.model_state.ready or self.ctx.engine.reenactor is None:
            return "Load a model first: the batch renders with it."
        if self.running or self.ctx.lanes.export.busy:
            return "An export is running: wait for it to finish."
        return ""

    def in_out_range(self) -> tuple[int, int | None] | None:
        """(start, stop) of the timeline's in and out points, stop exclusive (None: each driver's end);
        None when neither is set."""
        doc = self.ctx.document
        if doc.in_point is None and doc.out_point is None:
            return None
        return doc.in_point or 0, (doc.out_point + 1 if doc.out_point is not None else None)

    def default_request(self) -> BatchRequest:
        """The portrait and driver open now (when they are files, or the built-in performance; keys alone
        have no driver to batch) and a folder beside the last export."""
        from core.batch import BUILTIN

        doc, driving = self.ctx.document, self.ctx.document.driving
        sources = (doc.source.path,) if doc.source is not None and doc.source.path is not None else ()
        if driving is None or driving.is_keys:
            drivings: tuple[str, ...] = ()
        else:
            drivings = (BUILTIN if driving.is_builtin else driving.location,)
        folder = Path(self.ctx.settings.last_folder or Path.home()) / "batch"
        fps = driving.fps if driving is not None and driving.fps else 25.0
        return BatchRequest(sources, drivings, folder, fps=fps, quality=self.ctx.settings.export_quality)

    def plan(self, request: BatchRequest) -> list[BatchPair]:
        """The pairs and their files; `UserError` (a format without the alpha asked for, two pairs
        sharing a name, an output folder that cannot be made) before any work."""
        from core.batch import plan_batch, prepare_out_folder

        output = request.output_options()
        pairs = plan_batch(list(request.sources), list(request.drivings), request.folder, request.format, output)
        prepare_out_folder(request.folder, pairs)
        return pairs

    def start(self, request: BatchRequest) -> JobHandle | None:
        """Start the batch on the export lane; None (with a dialog) when it cannot start."""
        from core.batch import BatchSettings

        reason = self.can_start()
        if reason:
            self.ctx.dialogs.show_error("Cannot start the batch", reason)
            return None
        try:
            pairs = self.plan(request)
        except UserError as err:
            self.ctx.dialogs.show_error("Cannot start the batch", str(err))
            return None
        settings = BatchSettings(
            options=self.ctx.document.options, output=request.output_options(), quality=request.quality, batch=4,
            start=request.start, stop=request.stop, fps=request.fps, overwrite=request.overwrite,
        )
        engine, template = self.ctx.engine, self.ctx.engine.reenactor

        def work(token: CancelToken) -> ProgressStream[BatchResult]:
            from core.batch import run_batch
            from core.pipeline import Reenactor

            def reenactor() -> Reenactor:  # the same model, its own scene: the preview keeps its own
                return Reenactor(
                    template.checkpoint_path, template.device, allow_random_weights=template.random_weights,
                    config=template.config, detector=engine.detector(),
                )

            return run_batch(pairs, reenactor, settings, token)

        self.pairs = pairs
        self.ctx.settings.export_quality = request.quality
        handle = self._submit("batch", f"Batch rendering {len(pairs)} files", work)
        self.started.emit(len(pairs))
        return handle

    def open_folder(self, folder: Path) -> None:
        self.ctx.dialogs.open_folder(folder)

    # -- job events ----------------------------------------------------------------------------------------
    def _progress(self, progress: Progress) -> None:
        fraction = progress.payload if isinstance(progress.payload, float) else progress.fraction
        overall = Progress(round(fraction * 1000), 1000)
        self.progressed.emit(fraction, progress.message, eta_seconds(overall, time.perf_counter() - self._began))

    def _succeeded(self, result: BatchResult) -> None:
        self.last_result = result
        failed = len(result.failed)
        note = f", {failed} failed" if failed else ""
        self.ctx.activity.say(f"Batch done: {len(result.of('rendered'))} rendered{note}", 8000)
        self.succeeded.emit(result)

    def _failed(self, failure: JobFailure) -> None:
        self.ctx.report("Batch failed", failure)
        self.failed.emit(failure)

    def _cancelled(self) -> None:
        self.ctx.activity.say("Batch cancelled: finished files are kept, the one being written was removed", 6000)
        self.cancelled.emit()

