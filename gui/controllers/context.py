"""What every controller shares: the models, the engine, the worker lanes, dialogs and settings."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject

from gui.controllers.dialogs import DialogView
from gui.controllers.engine import Engine
from gui.models.activity import ActivityModel
from gui.models.document import Document
from gui.models.model_state import ModelState
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.models.settings import AppSettings
from gui.workers import JobFailure, JobHandle, WorkerLane


class Lanes(QObject):
    """The worker threads: *engine* owns the Reenactor (model, source preparation, driving, previews),
    *source* reads and searches photos, *analysis* analyses driving videos and builds proxies, *frames*
    reads driving frames for the viewers, *export* writes exports, *training* prepares datasets and
    trains (never the engine lane: the preview keeps rendering while a run trains), *check* runs the
    driving check and the head's trajectories (after analysis, not behind the proxy or a render)."""

    NAMES = ("engine", "source", "analysis", "frames", "export", "training", "check")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = WorkerLane("engine", self)
        self.source = WorkerLane("source", self)
        self.analysis = WorkerLane("analysis", self)
        self.frames = WorkerLane("frames", self)
        self.export = WorkerLane("export", self)
        self.training = WorkerLane("training", self)
        self.check = WorkerLane("check", self)

    def all(self) -> list[WorkerLane]:
        return [getattr(self, name) for name in self.NAMES]

    def shutdown(self, wait_ms: int = 15_000) -> bool:
        return all([lane.shutdown(wait_ms) for lane in self.all()])


@dataclass
class AppContext:
    document: Document
    scene: SceneModel
    model_state: ModelState
    preview: PreviewModel
    activity: ActivityModel
    settings: AppSettings
    engine: Engine
    lanes: Lanes
    dialogs: DialogView

    def report(self, title: str, failure: JobFailure) -> None:
        """Show a failed job's message in an error dialog (details only for unexpected errors)."""
        self.dialogs.show_error(title, failure.message, "" if failure.user_error else failure.details)

    def track(self, key: str, handle: JobHandle, title: str) -> None:
        """Show `handle` in the status bar until it ends."""
        key = f"{key}:{handle.id}"
        self.activity.begin(key, title)
        handle.progress.connect(lambda p: self.activity.update(key, p.fraction if p.total else None))
        handle.finished.connect(lambda: self.activity.end(key))
