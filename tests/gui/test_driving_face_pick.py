"""Choosing the driving face by clicking it in the driving panel, on a real clip with two faces (Megamind's
man on the left, larger, and the woman on the right): the click re-analyses the video following the face
there from that frame, as one undo step; the "which face" list shows it; the project keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.config import RenderOptions
from core.faces.anchor import FaceAnchor
from gui.models.project import ProjectData
from gui.models.specs import DrivingSpec, ModelChoice
from tests.gui.conftest import open_scene, show_main_window
from tests.two_faces import HALF_WIDTH, write_two_face_clip

#: The woman's face centre on the clip's frame 30 (video pixels; her box is about 394..543 x 178..327).
RIGHT_FACE = (468.0, 252.0)
LEFT_FACE = (150.0, 290.0)


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_face_clip(tmp_path_factory.mktemp("two_faces") / "two_faces.avi")


def driving_face_x(app) -> np.ndarray:
    """The mean x of the driving landmarks, per frame, of the analysis the scene holds."""
    return app.scene.driving_analysis.landmarks_raw[:, :, 0].mean(1)


def click_video_point(qtbot, panel, point: tuple[float, float]) -> None:
    """A left click on the driving panel's frame where the video's pixel `point` is shown."""
    canvas, info = panel.canvas, panel.scene.driving_info
    scale = canvas.image.width() / info.frame_size[0]
    rect = canvas._target_rect()
    x = rect.x() + ((point[0] + 0.5) * scale - 0.5) * rect.width() / canvas.image.width()
    y = rect.y() + ((point[1] + 0.5) * scale - 0.5) * rect.height() / canvas.image.height()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def test_clicking_the_other_face_makes_it_drive_and_undo_goes_back(controller, qtbot, tiny_checkpoint, two_faces):
    app = controller
    window = show_main_window(app, qtbot)
    panel = window.driving_panel
    open_scene(app, qtbot, tiny_checkpoint, "astronaut", two_faces)
    doc, scene = app.document, app.scene
    assert scene.driving_info.faces_in_video == 2 and (driving_face_x(app) < HALF_WIDTH).all()  # the larger face
    assert panel.face_picker.isVisible() and panel.face_picker.count() == 2
    assert panel.canvas.points_clickable and "click a face in the frame" in panel.status.text()
    messages: list[str] = []
    app.activity.message.connect(lambda text, _ms: messages.append(text))

    doc.set_current_frame(30)
    qtbot.waitUntil(lambda: app.preview_model.driving_frame is not None and app.preview_model.driving_frame.index == 30,
                    timeout=30_000)
    click_video_point(qtbot, panel, LEFT_FACE)  # the face that drives already: nothing to do
    qtbot.waitUntil(lambda: "That face already drives." in messages, timeout=30_000)
    click_video_point(qtbot, panel, (HALF_WIDTH - 10, 20))  # between the faces, above them: no face there
    qtbot.waitUntil(lambda: any(m.startswith("No face at that spot on frame 30") for m in messages), timeout=30_000)
    assert doc.driving.anchor is None and doc.undo_stack.count() == 0

    click_video_point(qtbot, panel, RIGHT_FACE)
    qtbot.waitUntil(lambda: doc.driving.anchor is not None, timeout=30_000)
    anchor = doc.driving.anchor
    assert anchor.frame == 30 and anchor.box[0] < RIGHT_FACE[0] < anchor.box[2]
    assert doc.driving.face_index == 1  # its rank on that frame (the man's is larger)
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Follow the face clicked on frame 30"
    qtbot.waitUntil(lambda: scene.driving_status == "ready" and (driving_face_x(app) > HALF_WIDTH).all(), timeout=120_000)
    landmarks = scene.driving_analysis.landmarks_raw
    assert (landmarks[:, :, 0].min(1) > HALF_WIDTH).all()  # every frame, before and after the click: the right half
    assert panel.face_picker.currentText() == "Clicked face (frame 30) drives"
    qtbot.waitUntil(lambda: panel.canvas.image is not None, timeout=30_000)  # the frame again, after the analysis
    shown = panel.canvas.image.width() / scene.driving_info.frame_size[0]  # the panel may show a smaller proxy
    qtbot.waitUntil(lambda: bool(panel.canvas._boxes) and panel.canvas._boxes[0].label == "clicked face (tracked)"
                    and panel.canvas._boxes[0].box[0] > HALF_WIDTH * shown, timeout=30_000)  # the box on her face

    doc.undo_stack.undo()  # back to the largest face, analysed again (from the cache)
    assert doc.driving.anchor is None and doc.driving.face_index == 0
    qtbot.waitUntil(lambda: scene.driving_status == "ready" and (driving_face_x(app) < HALF_WIDTH).all(), timeout=120_000)
    assert panel.face_picker.currentIndex() == 0 and panel.face_picker.count() == 2
    doc.undo_stack.redo()
    assert doc.driving.anchor == anchor
    qtbot.waitUntil(lambda: scene.driving_status == "ready" and (driving_face_x(app) > HALF_WIDTH).all(), timeout=120_000)

    # The list stays consistent: choosing a face by its rank forgets the click (one more undo step).
    panel.face_picker.activated.emit(0)
    assert doc.driving.anchor is None and doc.driving.face_index == 0 and doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert doc.driving.anchor == anchor


def test_the_clicked_face_is_saved_in_the_project_and_old_projects_open(tmp_path: Path):
    anchor = FaceAnchor(30, (394.0, 178.0, 543.0, 327.0))
    video = tmp_path / "two.avi"
    video.write_bytes(b"")
    project = ProjectData(None, DrivingSpec(str(video), 1, anchor=anchor), RenderOptions(), ModelChoice.none())
    path = tmp_path / "clip.reenact"
    project.save(path)
    saved = json.loads(path.read_text())["driving"]
    assert saved["face_anchor"] == {"frame": 30, "box": [394.0, 178.0, 543.0, 327.0]} and saved["face_index"] == 1
    assert ProjectData.load(path).driving == DrivingSpec(str(video.resolve()), 1, anchor=anchor)
    del saved["face_anchor"]  # a project saved before faces could be clicked
    path.write_text(json.dumps({**json.loads(path.read_text()), "driving": saved}))
    assert ProjectData.load(path).driving.anchor is None
