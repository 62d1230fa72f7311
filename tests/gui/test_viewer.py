"""The viewer: zoom levels (Fit, 50, 100, 200 % and the level shown), zoom to the face, the portrait at
the result's framing for before / after and a wipe with a draggable line, the model's quality in
artist terms, and the face mask's controls through the undoable options."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from gui.images import from_qimage
from gui.models.model_state import ModelInfo, ModelState
from tests.gui.conftest import open_scene, show_main_window


@pytest.fixture
def window(controller, qtbot, tiny_checkpoint, obama_path, megamind_path):
    win = show_main_window(controller, qtbot, (1600, 1000))
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    win.activateWindow()
    return win


def test_zoom_levels_are_offered_and_the_level_on_screen_is_shown(window, qtbot):
    view, canvas, act = window.result_view, window.result_view.canvas, window.actions_by_name
    assert canvas.fitting and view.zoom.currentText() == "Fit"
    fitted = canvas.current_zoom()
    assert view.zoom_label.text() == f"{fitted * 100:.0f} %"  # how much the picture is magnified, said plainly
    for name, zoom, text in (("actual", 1.0, "100 %"), ("zoom_200", 2.0, "200 %"), ("zoom_50", 0.5, "50 %")):
        act[name].trigger()
        assert canvas.current_zoom() == pytest.approx(zoom) and view.zoom.currentText() == text
    canvas.set_zoom(3.7)  # the wheel's zoom is named too
    assert view.zoom.currentText() == "370 %"
    view.zoom.setCurrentIndex(0)
    view.zoom.activated.emit(0)
    assert canvas.fitting and view.zoom.currentText() == "Fit"
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert canvas.current_zoom() == pytest.approx(2.0)


def test_zoom_to_face_fills_the_view_with_the_face(window, controller, qtbot):
    from gui.views.landmark_overlay import face_box

    canvas = window.result_view.canvas
    controller.options.set("paste_back", True)  # the whole photo: the face is a small part of it
    qtbot.waitUntil(lambda: controller.preview_model.result.image.width() == 910, timeout=30_000)
    canvas.zoom_to_fit()
    fitted = canvas.current_zoom()
    qtbot.keyClick(window, Qt.Key.Key_Z)
    assert canvas.current_zoom() > fitted * 2
    x0, y0, x1, y1 = face_box(controller.preview_model.result.landmarks)
    rect = canvas._target_rect()
    z = canvas.current_zoom()
    centre = QPointF(rect.x() + (x0 + x1) / 2 * z, rect.y() + (y0 + y1) / 2 * z)
    middle = QPointF(canvas.rect().center())
    assert abs(centre.x() - middle.x()) < 3 and abs(centre.y() - middle.y()) < 3


def grab(canvas) -> np.ndarray:
    canvas.repaint()
    return from_qimage(canvas.grab().toImage())


def test_before_after_and_the_wipe_compare_the_portrait_with_the_result_at_the_same_framing(window, controller, qtbot):
    view, canvas = window.result_view, window.result_view.canvas
    result = controller.preview_model.result.image
    qtbot.waitUntil(lambda: controller.preview_model.before is not None, timeout=30_000)
    before = controller.preview_model.before
    assert before.size() == result.size()  # the portrait framed as the result is: the face crop here
    face = controller.scene.source_face
    small = cv2.resize(from_qimage(before), face.crop.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - face.crop.astype(int)).mean() < 6  # the model's crop, sharper

    shown_result = grab(canvas)
    qtbot.keyClick(window, Qt.Key.Key_Backslash)
    assert view.compare_mode == "before" and canvas.comparing
    assert canvas.caption.startswith("PORTRAIT")
    shown_before = grab(canvas)
    qtbot.keyClick(window, Qt.Key.Key_Backslash)  # again: back to the result
    assert view.compare_mode == "result" and not canvas.comparing

    qtbot.keyClick(window, Qt.Key.Key_W)
    assert view.compare_mode == "wipe" and controller.settings.compare_mode == "wipe"
    rect = canvas._target_rect()
    line = canvas.wipe_x()
    assert line == pytest.approx(rect.x() + rect.width() / 2, abs=1)
    # drag the line to a quarter of the picture
    start = QPoint(round(line), round(rect.center().y()))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, QPoint(round(rect.x() + rect.width() / 4), start.y()))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(rect.x() + rect.width() / 4), start.y()))
    assert canvas.wipe == pytest.approx(0.25, abs=0.01)
    wiped = grab(canvas)
    split = round(canvas.wipe_x())
    band = slice(round(rect.y() + rect.height() * 0.6), round(rect.y() + rect.height() * 0.8))  # clear of labels
    left = slice(round(rect.x()) + 2, split - 4)
    right = slice(split + 4, round(rect.right()) - 2)
    assert np.array_equal(wiped[band, left], shown_before[band, left])  # the portrait left of the line
    assert np.array_equal(wiped[band, right], shown_result[band, right])  # the result right of it
    assert not np.array_equal(shown_before[band, right], shown_result[band, right])


def test_the_wipe_labels_keep_clear_of_the_landmark_legend(window, controller, qtbot):
    from gui.views.image_canvas import LEGEND_CORNER
    from gui.views.landmark_overlay import legend_rect

    view, canvas = window.result_view, window.result_view.canvas
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: controller.preview_model.before is not None, timeout=30_000)
    window.set_compare("wipe")
    window.actions_by_name["landmarks"].setChecked(True)
    qtbot.waitUntil(lambda: canvas.show_landmarks and controller.preview_model.result.landmarks is not None,
                    timeout=10_000)
    assert canvas.comparing and canvas.compare_mode == "wipe"
    legend = legend_rect(LEGEND_CORNER, canvas.landmark_style, canvas.font())
    for wipe in (0.5, 0.25, 0.1, 0.9):
        canvas.wipe = wipe
        labels = canvas.wipe_labels()
        assert [label for label, _ in labels] == list(view.canvas.compare_labels)
        (_, left), (_, right) = labels
        assert left.right() < canvas.wipe_x() < right.left()  # either side of the line
        assert not left.intersects(legend) and not right.intersects(legend), wipe  # "Lips" and the note readable
        assert left.top() >= legend.bottom()
    canvas.wipe = 0.25
    x = round(canvas.wipe_x())
    assert legend.left() < x < legend.right()
    columns = grab(canvas)[round(legend.top()) + 2 : round(legend.bottom()) - 2, x - 2 : x + 3].mean(axis=2)
    assert np.median(columns, axis=0).max() < 150  # the legend is drawn over the white wipe line, not cut by it
    window.actions_by_name["landmarks"].setChecked(False)  # no legend: the labels sit just under the caption
    assert canvas.wipe_labels()[0][1].top() == max(canvas._target_rect().top(), 0) + 40


def test_the_demo_model_is_named_in_artist_terms_with_details_one_click_away(window, controller, dialogs):
    state = controller.model_state
    demo = ModelInfo("demo", "demo.pt", Path("demo.pt"), 128, "cpu (1 thread)", 1_595_051, False, 500)
    state.set_ready(demo)
    assert state.badge[0] == "Demo quality · 128 px"
    assert window.toolbar_badge.text() == "Demo quality · 128 px"
    caption = window.result_view.quality
    assert caption.isVisible() and caption.text().startswith("Demo quality · 128 px")
    assert "load or train" in caption.full
    window.toolbar_badge.clicked.emit()
    title, text = dialogs.infos[-1]
    assert title == "Model details" and "1.60 M" in text and "500" in text and "128 px" in text
    state.set_ready(ModelInfo("file", "mine.pt", Path("mine.pt"), 256, "cpu", 2_000_000, False, 90_000))
    assert not caption.isVisible() and state.badge[0] == "mine.pt · 256 px"


def test_quality_lines_say_nothing_for_untrained_or_missing_models(qapp):
    state = ModelState()
    assert state.quality_lines == ("", "")
    state.set_ready(ModelInfo("random", "untrained network", None, 64, "cpu", 10, True))
    assert state.quality_lines == ("", "")  # the red banner says it instead


def test_the_face_mask_and_resolution_controls_edit_the_options_undoably(window, controller, qtbot):
    from gui.views.result_view import has_option

    if not all(has_option(n) for n in ("mask_scale", "mask_feather", "full_resolution")):
        pytest.skip("this renderer has no mask or resolution options (RenderOptions.mask_scale ...)")
    view, doc = window.result_view, controller.document
    assert view.mask_button.isVisible() and view.resolution_button.isVisible()
    view.mask_scale.field.setValue(150)  # percent
    assert doc.options.mask_scale == pytest.approx(1.5)
    view.mask_feather.field.setValue(20)
    assert doc.options.mask_feather == pytest.approx(0.2)
    view.resolution_button.click()
    assert doc.options.full_resolution is False and view.resolution_button.text() == "Model res"
    window.actions_by_name["undo"].trigger()
    assert doc.options.full_resolution is True and view.resolution_button.text() == "Full res"
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    assert doc.options.mask_scale == 1.0 and view.mask_scale.value() == 1.0


def test_the_workspaces_switch_and_the_side_panels_collapse(window, controller, qtbot):
    act = window.actions_by_name
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ControlModifier)
    assert not window.docks["Source"].isVisible() and not window.docks["Driving"].isVisible()
    assert not act["left_panels"].isChecked()
    act["workspace_train"].trigger()
    assert window.pages.currentWidget() is window.training_panel
    assert not window.docks["Timeline"].isVisible() and not window.docks["Controls"].isVisible()
    assert controller.settings.workspace == "train"
    act["workspace_animate"].trigger()
    assert window.docks["Timeline"].isVisible() and window.docks["Controls"].isVisible()
    assert not window.docks["Source"].isVisible()  # the Animate layout as it was left
    act["left_panels"].trigger()
    assert window.docks["Source"].isVisible()
