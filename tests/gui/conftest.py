"""GUI test fixtures: a stub dialog view, a tiny checkpoint, and an app controller driven headless."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6

from gui.models.settings import AppSettings


class StubDialogs:
    """Implements `gui.controllers.dialogs.DialogView`: records every dialog and answers from queues."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.infos: list[tuple[str, str]] = []
        self.questions: list[str] = []
        self.yes_no_answers: list[bool] = []
        self.save_answers: list[str] = []
        self.open_paths: list[Path | None] = []
        self.save_paths: list[Path | None] = []
        self.opened_folders: list[Path] = []
        self.folders: list[Path | None] = []
        self.numbers: list[float | None] = []

    def show_error(self, title: str, message: str, details: str = "") -> None:
        self.errors.append((title, message))

    def show_info(self, title: str, message: str) -> None:
        self.infos.append((title, message))

    def ask_yes_no(self, title: str, question: str, default_yes: bool = True) -> bool:
        self.questions.append(question)
        return self.yes_no_answers.pop(0) if self.yes_no_answers else default_yes

    def ask_save_discard_cancel(self, title: str, question: str) -> str:
        self.questions.append(question)
        return self.save_answers.pop(0) if self.save_answers else "discard"

    def ask_open_path(self, title: str, filters: str, folder: str | None = None) -> Path | None:
        return self.open_paths.pop(0) if self.open_paths else None

    def ask_save_path(self, title: str, filters: str, suggested: str | None = None) -> Path | None:
        return self.save_paths.pop(0) if self.save_paths else None

    def ask_folder(self, title: str, folder: str | None = None) -> Path | None:
        return self.folders.pop(0) if self.folders else None

    def ask_number(self, title: str, question: str, value: float, minimum: float, maximum: float) -> float | None:
        self.questions.append(question)
        return self.numbers.pop(0) if self.numbers else value

    def open_folder(self, path: Path) -> None:
        self.opened_folders.append(path)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weights checkpoint (64 px) saved like a real one: fast to load and render."""
    import torch

    from core.checkpoint import save_checkpoint
    from core.config import ModelConfig
    from core.networks.generator import Generator

    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    path = tmp_path_factory.mktemp("model") / "tiny64.pt"
    save_checkpoint(path, config, Generator(config), metadata={"note": "random weights, for tests"})
    return path


@pytest.fixture
def dialogs() -> StubDialogs:
    return StubDialogs()


@pytest.fixture
def controller(qapp, dialogs: StubDialogs, tmp_path: Path) -> Iterator:
    """An AppController without a window, with its own settings and autosave folders."""
    from gui.controllers.app import AppController

    settings_path = tmp_path / "settings.json"
    app = AppController(dialogs, AppSettings.load(settings_path), device="cpu", autosave_folder=tmp_path / "autosave")
    (tmp_path / "autosave").mkdir(exist_ok=True)
    app.project.autosaver.folder.mkdir(parents=True, exist_ok=True)
    yield app
    app.shutdown()
    # Its Qt objects go now, in the GUI thread: left to Python's cycle collector, which may run in another
    # test's worker thread, its active timers would stay registered and fire on freed memory (a crash).
    shiboken6.delete(app)


def open_scene(app, qtbot, checkpoint: Path, source: Path | str | None, driving: Path | str | None, timeout_s: float = 120) -> None:
    """Load `checkpoint`, open `source` and `driving` through the controllers, and wait until a first
    result is on screen."""
    from gui.models.specs import ModelChoice

    app.model.choose(ModelChoice.file(checkpoint))
    if source is not None:
        app.source.open_demo() if source == "astronaut" else app.source.open(source)
    if driving is not None:
        app.driving.open_builtin() if driving == "builtin" else app.driving.open(driving)
    qtbot.waitUntil(lambda: app.scene.ready, timeout=int(timeout_s * 1000))
    qtbot.waitUntil(lambda: app.preview_model.result is not None, timeout=60_000)


def shown_options(app):
    """The options of the result on screen (from the preview controller's key)."""
    key = app.preview._shown_key
    return None if key is None else key[1]


def show_main_window(controller, qtbot, size: tuple[int, int] = (1600, 1000), workspace: str = "animate"):
    """The real main window on `controller`, themed, shown at `size` in `workspace` (offscreen)."""
    from PySide6.QtGui import QGuiApplication

    from gui.theme import apply_theme
    from gui.views.main_window import MainWindow

    apply_theme(QGuiApplication.instance())
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.show_workspace(workspace)
    qtbot.waitExposed(window)
    return window
