"""The app starts with a settings, data or cache folder it cannot use (REENACT_CONFIG_DIR or
REENACT_DATA_DIR pointing at a file): the core's message in a dialog, a temporary folder for this
session, no traceback; when not even a temporary folder can be made, a dialog and a clean exit."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6

from core.errors import OutputError
from core.paths import config_dir, data_dir
from gui import app as gui_app
from gui.models.settings import AppSettings
from tests.gui.conftest import StubDialogs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("a file, not a folder")
    return path


def _core_message(folder, variable: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(variable, str(path))
    with pytest.raises(OutputError) as info:
        folder()
    return str(info.value)


def test_unusable_settings_and_data_folders_are_replaced_for_the_session_and_the_app_works(
    qapp, a_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    config_message = _core_message(config_dir, "REENACT_CONFIG_DIR", a_file, monkeypatch)
    data_message = _core_message(data_dir, "REENACT_DATA_DIR", a_file, monkeypatch)
    dialogs = StubDialogs()
    notes = gui_app.usable_user_folders(dialogs)
    assert notes is not None and not dialogs.errors
    assert config_message in notes and data_message in notes and "settings are not remembered after you quit" in notes
    session = Path(os.environ["REENACT_CONFIG_DIR"]).parent
    assert session.parent == tmp_path and Path(os.environ["REENACT_DATA_DIR"]) == session / "data"
    assert a_file.read_text() == "a file, not a folder"  # the user's file is left alone

    from gui.controllers.app import AppController

    controller = AppController(dialogs, AppSettings.load(), device="cpu")  # what run_app builds next
    try:
        controller.settings.export_quality = 55
    finally:
        controller.shutdown()
        shiboken6.delete(controller)  # in the GUI thread (see the controller fixture)
    again = AppSettings.load()  # as the next start in this session would read them
    assert again.path.parent == session / "config" and again.export_quality == 55
    assert (session / "data" / "autosave").is_dir()


def test_usable_folders_are_left_as_they_are(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("config", "data", "cache"):
        monkeypatch.setenv(f"REENACT_{kind.upper()}_DIR", str(tmp_path / kind))
    dialogs = StubDialogs()
    assert gui_app.usable_user_folders(dialogs) == "" and not dialogs.errors
    assert os.environ["REENACT_DATA_DIR"] == str(tmp_path / "data")


def test_without_any_usable_folder_the_app_says_why_and_exits_cleanly(
    qapp, a_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.views import qt_dialogs

    message = _core_message(config_dir, "REENACT_CONFIG_DIR", a_file, monkeypatch)

    def no_temporary_folder(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr("tempfile.mkdtemp", no_temporary_folder)
    monkeypatch.setattr(gui_app, "create_application", lambda *args: qapp)  # the tests' app, not themed again
    monkeypatch.setattr(qt_dialogs.QtDialogs, "show_error", lambda self, title, text, details="": shown.append((title, text)))
    assert gui_app.run_app(["--no-demo", "--no-restore"]) == 1
    assert shown == [("Reenact Studio cannot start",
                      f"{message}. No temporary folder could stand in for it either (No space left on device).")]


#: The app as `main.py` starts it, with its dialogs printed (and the first one closing the app).
_RUN_APP = """
import json
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import app
from gui.views import qt_dialogs

def show_error(self, title, message, details=""):
    print("DIALOG", json.dumps([title, message]), flush=True)
    QTimer.singleShot(0, QApplication.instance().quit)

qt_dialogs.QtDialogs.show_error = show_error
sys.exit(app.run_app(["--no-demo", "--no-restore"]))
"""


@pytest.mark.slow
def test_the_app_starts_with_both_folders_on_a_file_and_says_so_in_a_dialog(a_file: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path),
           "REENACT_CONFIG_DIR": str(a_file), "REENACT_DATA_DIR": str(a_file)}
    done = subprocess.run([sys.executable, "-c", _RUN_APP], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    dialogs = [json.loads(line[len("DIALOG "):]) for line in done.stdout.splitlines() if line.startswith("DIALOG ")]
    assert len(dialogs) == 1 and dialogs[0][0] == "A folder of the app cannot be used"
    for variable in ("REENACT_CONFIG_DIR", "REENACT_DATA_DIR"):
        assert f"{variable} points at {a_file}, but {a_file} is a file" in dialogs[0][1]
    session = next(tmp_path.glob("reenact-studio-*"))
    assert (session / "config").is_dir() and (session / "data" / "autosave").is_dir()
