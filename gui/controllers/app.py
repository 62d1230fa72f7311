"""The application controller: builds the models, the engine, the worker lanes and the controllers,
and runs the start-up sequence (crash recovery, model, demo scene). It works without a window, which
is how the tests drive it; `gui.views.main_window.MainWindow` binds its widgets to it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gui.controllers.animation import AnimationController
from gui.controllers.batch import BatchController
from gui.controllers.context import AppContext, Lanes
from gui.controllers.dialogs import DialogView
from gui.controllers.driving import DrivingController
from gui.controllers.driving_check import DrivingCheckController
from gui.controllers.engine import Engine
from gui.controllers.export import ExportController
from gui.controllers.model import ModelController
from gui.controllers.options import OptionsController
from gui.controllers.playback import PlaybackController
from gui.controllers.preview import PreviewController
from gui.controllers.project import ProjectController
from gui.controllers.source import SourceController
from gui.controllers.timeline import TimelineController
from gui.controllers.training import TrainingController
from gui.models.activity import ActivityModel
from gui.models.document import Document
from gui.models.model_state import NO_MODEL_HELP, ModelState
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.models.settings import AppSettings
from gui.models.specs import ModelChoice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartupRequest:
    """What to open at start (command line); with nothing given, the demo scene when a demo model exists."""

    project: Path | None = None
    source: Path | None = None
    driving: Path | None = None
    checkpoint: Path | None = None
    random_weights: bool = False
    demo: bool = True
    play: bool = True
    recover: bool = True


class AppController(QObject):
    startupDone = Signal()

    def __init__(
        self,
        dialogs: DialogView,
        settings: AppSettings | None = None,
        device: str = "auto",
        backend: str = "dlib",
        autosave_folder: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx = AppContext(
            document=Document(self),
            scene=SceneModel(self),
            model_state=ModelState(self),
            preview=PreviewModel(self),
            activity=ActivityModel(self),
            settings=settings if settings is not None else AppSettings.load(),
            engine=Engine(device, backend),
            lanes=Lanes(self),
            dialogs=dialogs,
        )
        self.model = ModelController(ctx, self)
        self.source = SourceController(ctx, self)
        self.driving = DrivingController(ctx, self)
        self.preview = PreviewController(ctx, self)
        self.playback = PlaybackController(ctx, self)
        self.timeline = TimelineController(ctx, self.playback, self)
        self.preview.resultShown.connect(self.timeline.schedule_cache_query)
        self.options = OptionsController(ctx, self)
        self.export = ExportController(ctx, self)
        self.batch = BatchController(ctx, self)
        self.project = ProjectController(ctx, self, autosave_folder)
        self.training = TrainingController(ctx, self.model, self)
        self.animation = AnimationController(ctx, self.playback, self.timeline.model, self)
        self.driving_check = DrivingCheckController(ctx, self.playback, self.options, self.timeline.model, self)
        # A new network needs the source prepared and the driving applied again.
        self.model.modelReady.connect(self.source.prepare)
        self.model.modelReady.connect(self.driving.apply)
        ctx.model_state.set_none(NO_MODEL_HELP)
        self._closed = False

    # shortcuts for views and tests
    @property
    def document(self) -> Document:
        return self.ctx.document

    @property
    def scene(self) -> SceneModel:
        return self.ctx.scene

    @property
    def model_state(self) -> ModelState:
        return self.ctx.model_state

    @property
    def preview_model(self) -> PreviewModel:
        return self.ctx.preview

    @property
    def activity(self) -> ActivityModel:
        return self.ctx.activity

    @property
    def settings(self) -> AppSettings:
        return self.ctx.settings

    # -- start and stop -------------------------------------------------------------------------------------
    def startup(self, request: StartupRequest = StartupRequest()) -> None:
        """Run after the window is shown: everything heavy starts here, in workers."""
        from resources import default_checkpoint

        if request.recover and self.project.offer_recovery():
            self.startupDone.emit()
            return
        if request.project is not None:
            self.project.open(request.project)
            self.startupDone.emit()
            return
        if request.random_weights:
            self.model.choose(ModelChoice.random())
        elif request.checkpoint is not None:
            self.model.choose(ModelChoice.file(request.checkpoint))
        elif self.settings.last_checkpoint and Path(self.settings.last_checkpoint).is_file():
            self.model.choose(ModelChoice.file(self.settings.last_checkpoint))
        elif default_checkpoint() is not None:
            self.model.choose(ModelChoice.demo())
        else:
            self.ctx.activity.say("No model: choose a checkpoint (Model ▸ Choose checkpoint…) to render", 0)
        explicit = request.source is not None or request.driving is not None
        if request.source is not None:
            self.source.open(request.source)
        if request.driving is not None:
            self.driving.open(request.driving)
        if not explicit and request.demo and default_checkpoint() is not None:
            self.open_demo_scene(play=request.play)
        self.ctx.document.mark_saved()
        self.startupDone.emit()

    def open_demo_scene(self, play: bool = True) -> None:
        """The astronaut portrait driven by the built-in performance; starts playing once it can."""
        self.source.open_demo()
        self.driving.open_builtin()
        if play:
            def start_when_ready(ready: bool) -> None:
                if ready:
                    self.ctx.scene.readyChanged.disconnect(start_when_ready)
                    self.playback.play()

            self.ctx.scene.readyChanged.connect(start_when_ready)

    def can_close(self) -> bool:
        """Ask about training, unsaved changes and a running export; False keeps the app open (a
        training run asked to stop emits `training.closeReady` once its checkpoint is written)."""
        if not self.training.can_close():
            return False
        if (self.export.running or self.batch.running) and not self.ctx.dialogs.ask_yes_no(
            "Export running", "An export is still running. Cancel it and quit?", default_yes=False
        ):
            return False
        return self.project.maybe_save()

    def shutdown(self) -> None:
        """Stop every worker and remove the autosave (a clean exit)."""
        if self._closed:
            return
        self._closed = True
        if not self.training.shutdown():
            log.warning("training did not stop in time: its last periodic checkpoint is kept")
        self.playback.pause()
        self.driving.cancel_analysis()
        self.export.cancel()
        self.batch.cancel()
        if not self.ctx.lanes.shutdown():
            log.warning("a worker did not stop in time")
        self.ctx.engine.close_readers()
        self.project.autosaver.stop()
        self.ctx.settings.save()
