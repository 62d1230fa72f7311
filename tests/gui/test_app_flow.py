"""The app's main flow through its controllers (no window): open, scrub, change options, undo,
export, cancel, projects, and errors that become dialogs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from gui.controllers.export import ExportSettings
from gui.models.specs import ModelChoice
from tests.gui.conftest import open_scene, shown_options


@pytest.fixture
def scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path):
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    return controller


def test_opening_a_portrait_and_a_video_shows_a_result_and_the_driving_frame(scene, qtbot, dialogs):
    app = scene
    assert app.scene.source_candidate.name == "obama.jpg"
    assert len(app.scene.source_candidate.faces) == 1
    info = app.scene.driving_info
    assert (info.frame_count, round(info.fps, 3)) == (270, 23.976)
    result = app.preview_model.result
    # the face's crop at the face's own size in the photo (full resolution), not the tiny model's 64 px
    assert result.index == 0 and result.image.width() == 446 and result.image.height() == 446
    qtbot.waitUntil(lambda: app.preview_model.driving_frame is not None, timeout=30_000)
    assert dialogs.errors == []


def test_scrubbing_updates_the_result_to_the_new_frame(scene, qtbot):
    app = scene
    before = app.preview_model.result
    for frame in (30, 90, 150):
        app.playback.seek(frame)
    qtbot.waitUntil(lambda: app.preview_model.result.index == 150, timeout=30_000)
    after = app.preview_model.result
    assert after.image != before.image  # a different driving frame gives a different picture
    qtbot.waitUntil(lambda: app.preview_model.driving_frame is not None and app.preview_model.driving_frame.index == 150, timeout=30_000)


def test_changing_strength_re_renders_and_undo_restores_it(scene, qtbot):
    app = scene
    app.playback.seek(120)
    qtbot.waitUntil(lambda: app.preview_model.result.index == 120, timeout=30_000)
    full = app.preview_model.result.image
    app.options.set("strength", 0.2)
    qtbot.waitUntil(lambda: shown_options(app).strength == 0.2, timeout=30_000)
    weak = app.preview_model.result.image
    assert weak != full
    assert app.document.undo_stack.count() == 1 and app.document.modified
    app.options.undo()
    assert app.document.options.strength == 1.0
    qtbot.waitUntil(lambda: shown_options(app).strength == 1.0, timeout=30_000)
    assert app.preview_model.result.image == full  # the same frame again (from the cache)
    app.options.redo()
    assert app.document.options.strength == 0.2


def test_a_slider_drag_is_one_undo_step(scene):
    app = scene
    for value in (0.9, 0.8, 0.7, 0.6):
        app.options.set("strength", value)
    app.options.set("smoothing", 0.2)
    stack = app.document.undo_stack
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    assert app.document.options.strength == 1.0 and app.document.options.smoothing == 0.5


def test_export_writes_a_short_mp4_with_the_driving_frame_rate(scene, qtbot, tmp_path):
    from core.video import VideoReader

    app = scene
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "clip.mp4"
    handle = app.export.start(ExportSettings(target, start=10, stop=22, paste_back=False, quality=70))
    assert handle is not None
    progress = []
    app.export.progressed.connect(lambda done, total, eta: progress.append((done, total, eta)))
    with qtbot.waitSignal(app.export.succeeded, timeout=120_000) as blocker:
        pass
    result = blocker.args[0]
    assert result.frames == 12 and Path(result.output) == target
    with VideoReader(target) as video:
        assert video.frame_count == 12
        assert video.fps == pytest.approx(23.976, abs=0.01)
        assert video.size == (446, 446)  # the face's own size in obama.jpg
    assert progress and progress[-1][0] == progress[-1][1] == 12
    app.export.open_folder()
    assert app.ctx.dialogs.opened_folders == [folder]


def test_cancelling_an_export_leaves_no_file(scene, qtbot, tmp_path):
    app = scene
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "cancelled.mp4"
    handle = app.export.start(ExportSettings(target, start=0, stop=270, paste_back=True, quality=80))
    assert handle is not None
    with qtbot.waitSignal(app.export.cancelled, timeout=120_000):
        qtbot.waitUntil(lambda: handle.last_progress is not None, timeout=60_000)
        app.export.cancel()
    assert not target.exists()
    assert list(folder.iterdir()) == []  # no temporary file either


def test_a_project_saved_and_reopened_gives_the_same_state(scene, qtbot, tmp_path, dialogs):
    from gui.controllers.app import AppController
    from gui.models.settings import AppSettings

    app = scene
    app.options.set("strength", 0.7)
    app.options.set("paste_back", True)
    app.playback.seek(42)
    app.options.use_current_frame_as_reference()
    path = tmp_path / "take1.reenact"
    dialogs.save_paths.append(path)
    assert app.project.save()
    assert not app.document.modified and path.exists()
    other = AppController(dialogs, AppSettings.load(tmp_path / "s2.json"), device="cpu", autosave_folder=tmp_path / "a2")
    try:
        assert other.project.open(path)
        doc, original = other.document, app.document
        assert doc.source == original.source and doc.driving == original.driving
        assert doc.options == original.options and doc.options.reference_frame == 42
        assert doc.model == ModelChoice.file(app.document.model.path)
        assert doc.current_frame == 42 and doc.project_path == path.resolve() and not doc.modified
        qtbot.waitUntil(lambda: other.scene.ready, timeout=120_000)
        qtbot.waitUntil(lambda: other.preview_model.result is not None and other.preview_model.result.index == 42, timeout=60_000)
        assert other.preview_model.result.image.width() == 910  # pasted back into the full photo
    finally:
        other.shutdown()


def test_a_photo_without_a_face_gives_a_dialog_with_the_core_message(controller, qtbot, tmp_path, dialogs):
    from PIL import Image

    skimage_data = pytest.importorskip("skimage.data")
    path = tmp_path / "coffee.png"
    Image.fromarray(skimage_data.coffee()).save(path)  # a real photo, of a cup
    controller.source.open(path)
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=30_000)
    _, message = dialogs.errors[0]
    assert "no face found in coffee.png" in message and "40 px" in message
    assert controller.scene.source_status == "error"
    assert controller.scene.source_candidate is not None  # the photo still shows


def test_a_corrupt_video_gives_a_dialog_not_a_crash(controller, qtbot, tmp_path, dialogs):
    path = tmp_path / "broken.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    controller.driving.open(path)
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=30_000)
    title, message = dialogs.errors[0]
    assert title == "Could not open the driving video"
    assert "broken.mp4" in message
    assert controller.scene.driving_status == "error"


def test_without_a_model_the_app_says_how_to_get_one_and_renders_nothing(controller, qtbot, obama_path):
    controller.source.open(obama_path)
    controller.driving.open_builtin()
    qtbot.waitUntil(lambda: controller.scene.driving_info is not None and controller.scene.source_candidate is not None, timeout=30_000)
    qtbot.wait(200)
    assert controller.model_state.status == "none"
    assert "Choose checkpoint" in controller.model_state.message and "main.py train" in controller.model_state.message
    assert controller.preview_model.result is None and not controller.scene.ready


def test_a_bad_checkpoint_gives_a_dialog_and_keeps_the_loaded_model(scene, qtbot, tmp_path, dialogs):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    scene.model.choose(ModelChoice.file(bad))
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=30_000)
    assert "bad.pt" in dialogs.errors[0][1]
    qtbot.waitUntil(lambda: scene.model_state.status == "ready", timeout=10_000)
    assert scene.model_state.info.name == "tiny64.pt" and scene.document.model.path.name == "tiny64.pt"


def test_choosing_the_second_face_of_a_group_photo(controller, qtbot, tmp_path, tiny_checkpoint, obama_path, obama2_path):
    from PIL import Image

    from core.faces.image_io import read_image

    left, right = read_image(obama_path), read_image(obama2_path)
    height = min(left.shape[0], right.shape[0])
    group = np.concatenate([left[:height], right[:height]], axis=1)
    path = tmp_path / "two.jpg"
    Image.fromarray(group).save(path)
    open_scene(controller, qtbot, tiny_checkpoint, path, "builtin")
    faces = controller.scene.source_candidate.faces
    assert len(faces) == 2
    first_crop = controller.scene.source_face.crop
    controller.source.choose_face(1)
    qtbot.waitUntil(lambda: controller.scene.source_face is not None and controller.scene.source_face.face_index == 1, timeout=30_000)
    assert not np.array_equal(controller.scene.source_face.crop, first_crop)
    qtbot.waitUntil(lambda: controller.scene.ready, timeout=30_000)


def test_playback_keeps_real_time_by_dropping_frames(scene, qtbot):
    app = scene
    app.playback.seek(0)
    started = time.perf_counter()
    app.playback.play()
    qtbot.wait(1500)
    app.playback.pause()
    elapsed = time.perf_counter() - started
    frame = app.document.current_frame
    expected = elapsed * 23.976
    assert abs(frame - expected) <= 0.25 * expected + 3  # the playhead follows the clock
    assert app.preview_model.renders <= frame + 2  # never more renders than frames


def test_an_autosave_is_offered_after_a_crash_and_restores_the_work(scene, qtbot, tmp_path, dialogs):
    from gui.controllers.app import AppController
    from gui.models.settings import AppSettings

    app = scene
    app.options.set("strength", 0.4)
    app.project.autosaver.start()
    app.project.autosaver.save_now()
    folder = app.project.autosaver.folder
    (folder / "session.lock").write_text("999999999")  # the crashed session's process is gone
    dialogs.yes_no_answers.append(True)
    other = AppController(dialogs, AppSettings.load(tmp_path / "s3.json"), device="cpu", autosave_folder=folder)
    try:
        assert other.project.offer_recovery()
        assert "did not close properly" in dialogs.questions[-1]
        assert other.document.options.strength == 0.4
        assert other.document.source == app.document.source and other.document.driving == app.document.driving
        assert other.document.modified
    finally:
        other.shutdown()
    assert not (folder / "autosave.reenact").exists()  # a clean exit removes it


def test_with_a_demo_model_the_app_opens_the_demo_scene_and_plays_it(controller, qtbot, tiny_checkpoint, monkeypatch):
    import resources
    from gui.controllers.app import StartupRequest

    pytest.importorskip("skimage.data")
    monkeypatch.setattr(resources, "default_checkpoint", lambda: tiny_checkpoint)
    controller.startup(StartupRequest(recover=False))
    assert controller.document.model == ModelChoice.demo()
    assert controller.document.source.is_demo and controller.document.driving.is_builtin
    qtbot.waitUntil(lambda: controller.model_state.status == "ready", timeout=60_000)
    assert controller.model_state.info.is_demo
    assert controller.model_state.badge[:2] == ("Demo quality · 64 px", "demo")  # artist terms: quality, size
    qtbot.waitUntil(lambda: controller.playback.playing, timeout=60_000)
    qtbot.waitUntil(lambda: controller.document.current_frame > 5, timeout=30_000)
    assert controller.scene.source_candidate.name == "astronaut (demo)"
    assert not controller.document.modified
