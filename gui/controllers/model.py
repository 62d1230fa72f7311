"""Choosing and loading the network: the bundled demo model, a checkpoint file, none, or (explicitly,
for testing) random weights. Loading runs on the engine lane; the badge follows `ModelState`."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.controllers.context import AppContext
from gui.controllers.dialogs import CHECKPOINT_FILTER
from gui.models.model_state import NO_MODEL_HELP, ModelInfo
from gui.models.specs import ModelChoice
from gui.workers import Job, JobFailure


class ModelController(QObject):
    modelReady = Signal()  # a new network is loaded: sources must be prepared again
    modelGone = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loaded: ModelChoice | None = None  # what the engine holds
        self._loaded_info: ModelInfo | None = None
        self._request = 0
        ctx.document.modelChanged.connect(self._sync)

    # -- user actions ------------------------------------------------------------------------------------
    def choose(self, choice: ModelChoice) -> None:
        self.ctx.document.set_model(choice)

    def ask_checkpoint(self) -> None:
        folder = self.ctx.settings.last_checkpoint
        path = self.ctx.dialogs.ask_open_path("Choose a checkpoint", CHECKPOINT_FILTER, folder)
        if path is not None:
            self.choose(ModelChoice.file(path))

    def use_demo(self) -> None:
        self.choose(ModelChoice.demo())

    def use_random_weights(self) -> None:
        """An untrained network (testing the app only): asks first, and the badge stays red."""
        if self.ctx.dialogs.ask_yes_no(
            "Use an untrained network?",
            "An untrained network with random weights renders noise, not a face. It exists to test the "
            "app without a checkpoint. Load it anyway?",
            default_yes=False,
        ):
            self.choose(ModelChoice.random())

    def unload(self) -> None:
        self.choose(ModelChoice.none())

    # -- loading ------------------------------------------------------------------------------------------
    def _sync(self) -> None:
        choice = self.ctx.document.model
        if choice == self._loaded and self.ctx.model_state.status != "error":
            return
        self._request += 1
        request = self._request
        if choice.kind == "none":
            self.ctx.lanes.engine.submit(Job(lambda _t: self.ctx.engine.unload_model()))
            self._loaded, self._loaded_info = choice, None
            self.ctx.model_state.set_none(NO_MODEL_HELP)
            self.ctx.scene.set_engine_lost()
            self.modelGone.emit()
            return
        what = {"demo": "the demo model", "random": "an untrained network"}.get(
            choice.kind, choice.path.name if choice.path else "checkpoint"
        )
        self.ctx.model_state.set_loading(what)
        handle = self.ctx.lanes.engine.submit(Job(lambda _t: self.ctx.engine.load_model(choice), f"Loading {what}"))
        self.ctx.track("model", handle, f"Loading {what}…")
        handle.succeeded.connect(lambda info: self._loaded_ok(request, choice, info))
        handle.failed.connect(lambda failure: self._load_failed(request, choice, failure))

    def _loaded_ok(self, request: int, choice: ModelChoice, info: ModelInfo) -> None:
        if request != self._request:
            return  # another choice came after this one; its load is queued behind
        self._loaded, self._loaded_info = choice, info
        if choice.kind == "file" and choice.path is not None:
            self.ctx.settings.last_checkpoint = str(choice.path)
        self.ctx.model_state.set_ready(info)
        self.ctx.scene.set_engine_lost()
        self.ctx.activity.say(f"Model loaded: {info.name} ({info.resolution} px, {info.device})")
        self.modelReady.emit()

    def _load_failed(self, request: int, choice: ModelChoice, failure: JobFailure) -> None:
        if request != self._request:
            return
        self.ctx.report("Could not load the model", failure)
        if self._loaded is not None and self._loaded_info is not None:
            # The previous network is still in the engine: keep using it.
            self.ctx.model_state.set_ready(self._loaded_info)
            self.ctx.document.set_model(self._loaded)  # _sync sees it is loaded already
        else:
            self.ctx.model_state.set_error(f"{failure.message}\n\n{NO_MODEL_HELP}")
