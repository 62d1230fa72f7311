"""The window itself, offscreen: empty states, bindings, shortcuts shown in tooltips and menus, drag
and drop, the export dialog, the modified title, and labels that fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractButton, QLabel

from tests.gui.conftest import open_scene


@pytest.fixture
def window(controller, qtbot):
    from gui.theme import apply_theme
    from gui.views.main_window import MainWindow

    apply_theme(qtbot_app())
    win = MainWindow(controller)
    qtbot.addWidget(win)
    win.resize(1480, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def qtbot_app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()


def test_an_empty_window_says_what_to_do(window, controller):
    assert window.source_panel.canvas.image is None
    assert window.source_panel.canvas.empty[1] == "Open a portrait…"
    assert window.driving_panel.canvas.empty[1] == "Open a driving video…"
    assert window.result_view.notice.isVisible()  # no model: the notice says how to get one
    assert "Choose a checkpoint" in window.result_view.notice.text.text()
    assert window.status.badge.text() == "No model"
    assert not window.actions_by_name["export"].isEnabled()


def test_playback_shortcuts_are_in_tooltips_and_menus(window):
    expected = {"play": "Space", "step_back": "Left", "step_forward": "Right", "to_start": "Home", "to_end": "End"}
    for name, key in expected.items():
        action = window.actions_by_name[name]
        assert action.shortcut().toString() == key
        assert f"({key})" in action.toolTip()
        assert window.timeline.buttons[name].toolTip() == action.toolTip()
    menu_actions = {a.text() for a in window.menuBar().actions()}
    assert "&Playback" in menu_actions


def test_the_window_shows_the_scene_and_keys_drive_the_timeline(window, controller, qtbot, tiny_checkpoint, obama_path, megamind_path):
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    qtbot.waitUntil(lambda: window.driving_panel.canvas.image is not None, timeout=30_000)
    assert window.source_panel.canvas.image.width() == 910
    assert window.result_view.canvas.image is not None
    assert "obama.jpg" in window.source_panel.status.text()
    assert "270 frames" in window.driving_panel.status.text()
    assert window.actions_by_name["export"].isEnabled()
    window.activateWindow()
    window.timeline.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert controller.document.current_frame == 269
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert controller.document.current_frame == 268
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert controller.document.current_frame == 0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert controller.document.current_frame == 1
    canvas = window.result_view.canvas
    qtbot.waitUntil(lambda: canvas.caption == "RESULT · FRAME 1", timeout=30_000)
    assert window.timeline.position.text() == "1 / 270"  # frame 1 of the 270 frames
    assert "rendered in" in canvas.info
    qtbot.keyClick(window, Qt.Key.Key_Home)  # frame 0 was rendered already: the caption says so
    qtbot.waitUntil(lambda: canvas.caption == "RESULT · FRAME 0", timeout=30_000)
    assert canvas.info.endswith("from the cache")
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert controller.playback.playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not controller.playback.playing


def test_option_edits_in_the_controls_are_undoable_and_mark_the_title(window, controller, qtbot, tiny_checkpoint, obama_path):
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, "builtin")
    controller.document.mark_saved()
    assert not window.isWindowModified()
    window.controls.strength.field.setValue(35)  # shown as a percentage
    assert controller.document.options.strength == 0.35
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    assert window.actions_by_name["undo"].isEnabled()
    window.actions_by_name["undo"].trigger()
    assert controller.document.options.strength == 1.0
    assert window.controls.strength.value() == 1.0  # the view follows the model


def test_dropping_a_photo_on_the_source_panel_opens_it(window, controller, qtbot, obama_path):
    canvas = window.source_panel.canvas
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(obama_path))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    canvas.dropEvent(event)
    qtbot.waitUntil(lambda: canvas.image is not None, timeout=30_000)
    assert controller.document.source.path == Path(obama_path).resolve()


def test_the_export_dialog_turns_its_fields_into_export_settings(window, controller, qtbot, tiny_checkpoint, obama_path, megamind_path, tmp_path):
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    dialog = window.show_export()
    assert dialog is not None
    dialog.path.setText(str(tmp_path / "take.mp4"))
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    assert dialog.path.text().endswith("take.gif")
    dialog.start.setValue(5)
    dialog.end.setValue(9)
    dialog.full.setChecked(True)
    settings = dialog.settings()
    assert (settings.start, settings.stop, settings.paste_back, settings.target.name) == (5, 10, True, "take.gif")
    with qtbot.waitSignal(controller.export.succeeded, timeout=120_000):
        dialog.export_button.click()
    assert (tmp_path / "take.gif").exists()
    assert dialog.open_button.isVisible()
    dialog.close()


def test_no_label_or_button_is_clipped(window, controller, qtbot, tiny_checkpoint, obama_path, megamind_path):
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    qtbot.wait(100)
    clipped = []
    for root in (window.controls, window.source_panel, window.driving_panel, window.timeline, window.result_view.notice):
        for widget in root.findChildren(QLabel) + root.findChildren(QAbstractButton):
            if not widget.isVisible() or (isinstance(widget, QLabel) and widget.wordWrap()) or not widget.text():
                continue
            if widget.width() < widget.minimumSizeHint().width():
                clipped.append(f"{type(widget).__name__} {widget.text()!r}: {widget.width()} < {widget.minimumSizeHint().width()}")
    assert clipped == []
