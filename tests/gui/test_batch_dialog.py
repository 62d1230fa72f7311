"""The batch dialog: portraits and drivers queued with the current settings, rendered in the background
with one progress bar, the failed pairs listed with their reason, a second run resuming, and Cancel
leaving no partial file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui.models.specs import ModelChoice


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory, obama_path: Path, megamind_path: Path) -> Path:
    """portraits/ (Obama and a landscape without a face) and a 24-frame driving clip."""
    from core.video import VideoReader, VideoWriter

    root = tmp_path_factory.mktemp("batch_gui")
    (root / "portraits").mkdir()
    image = Image.open(obama_path).convert("RGB")
    image.thumbnail((240, 240))
    image.save(root / "portraits" / "obama.jpg")
    ramp = np.linspace(0, 255, 160, dtype=np.uint8)
    Image.fromarray(np.dstack([np.tile(ramp, (120, 1))] * 3)).save(root / "portraits" / "landscape.png")
    with VideoReader(megamind_path) as reader, VideoWriter(root / "talk.mp4", reader.fps, reader.size) as writer:
        for _, frame in reader.iter_frames(30, 54):
            writer.write(np.ascontiguousarray(frame))
    return root


@pytest.fixture
def app(controller, qtbot, tiny_checkpoint):
    controller.model.choose(ModelChoice.file(tiny_checkpoint))
    qtbot.waitUntil(lambda: controller.model_state.ready and controller.ctx.engine.reenactor is not None, timeout=60_000)
    return controller


def open_dialog(app, qtbot, material: Path, out: Path, fmt: str = "webp"):
    from gui.controllers.export import FORMAT_LABELS
    from gui.views.batch_dialog import BatchDialog

    dialog = BatchDialog(app.batch)
    qtbot.addWidget(dialog)
    dialog.add_sources([material / "portraits"])
    dialog.add_drivers([material / "talk.mp4"])
    dialog.folder.setText(str(out))
    dialog.format.setCurrentIndex(list(FORMAT_LABELS).index(fmt))
    dialog.show()
    return dialog


def test_the_batch_dialog_renders_every_pair_lists_failures_and_resumes(app, qtbot, material, tmp_path):
    out = tmp_path / "renders"
    dialog = open_dialog(app, qtbot, material, out)
    assert [dialog.sources.item(i).text() for i in range(dialog.sources.count())] == ["landscape.png", "obama.jpg"]
    assert "2 portraits × 1 driver = 2 files" in dialog.summary.text()
    fractions = []
    app.batch.progressed.connect(lambda fraction, message, eta: fractions.append(fraction))
    with qtbot.waitSignal(app.batch.succeeded, timeout=180_000):
        dialog.start_button.click()
        assert app.ctx.dialogs.errors == []
        assert not dialog.start_button.isEnabled() and dialog.progress.isVisible()
    assert sorted(p.name for p in out.iterdir()) == ["obama__talk.webp"]
    with Image.open(out / "obama__talk.webp") as webp:
        assert webp.n_frames == 24
    assert dialog.progress.value() == 1000 and fractions == sorted(fractions)
    assert dialog.failures.isVisible() and dialog.failures.count() == 1
    assert dialog.failures.item(0).text().startswith("landscape.png + talk.mp4: no face found")
    assert "1 rendered" in dialog.status.text() and "1 failed" in dialog.status.text()
    assert dialog.start_button.isEnabled() and dialog.cancel_button.text() == "Close"
    assert app.ctx.dialogs.errors == []  # failures are listed in the dialog, not thrown at the user

    stamp = (out / "obama__talk.webp").stat().st_mtime_ns
    with qtbot.waitSignal(app.batch.succeeded, timeout=120_000):
        dialog.start_button.click()  # again: the finished file is kept, not redone
    assert "0 rendered, 1 already there" in dialog.status.text()
    assert (out / "obama__talk.webp").stat().st_mtime_ns == stamp


def test_cancelling_a_batch_from_the_dialog_leaves_no_partial_file(app, qtbot, material, tmp_path):
    out = tmp_path / "cancelled"
    dialog = open_dialog(app, qtbot, material, out, fmt="mov")
    dialog.sources.clear()
    dialog.add_sources([material / "portraits" / "obama.jpg"])
    with qtbot.waitSignal(app.batch.cancelled, timeout=180_000):
        dialog.start_button.click()
        qtbot.waitUntil(lambda: "frame" in dialog.status.text(), timeout=120_000)  # the file is being written
        dialog.cancel_button.click()
    assert list(out.iterdir()) == []  # no temporary file either
    assert "Cancelled" in dialog.status.text() and dialog.isVisible()


def test_a_batch_asking_alpha_in_mp4_switches_to_mov_and_impossible_requests_say_why(app, qtbot, material, tmp_path):
    from gui.controllers.batch import BatchRequest
    from gui.controllers.export import FORMAT_LABELS, PICTURE_LABELS

    dialog = open_dialog(app, qtbot, material, tmp_path / "x", fmt="mp4")
    dialog.picture.setCurrentIndex(list(PICTURE_LABELS).index("alpha"))
    assert dialog.request().format == "mov"
    dialog.format.setCurrentIndex(list(FORMAT_LABELS).index("mp4"))  # MP4 chosen again: it holds the composite
    assert (dialog.request().format, dialog.request().picture) == ("mp4", "composite")
    request = BatchRequest((material / "portraits" / "obama.jpg",), (str(material / "talk.mp4"),), tmp_path / "y",
                           format="mp4", picture="alpha")
    assert app.batch.start(request) is None
    assert "cannot carry transparency" in app.ctx.dialogs.errors[-1][1] and not (tmp_path / "y").exists()


def test_a_batch_renders_the_timelines_in_out_range_as_a_loop(app, qtbot, material, tmp_path):
    from core.faces.loop import plan_loop
    from gui.controllers.export import LOOP_LABELS

    app.ctx.document.set_play_range(4, 11)  # the in and out points: frames 4 to 11, 8 frames
    out = tmp_path / "loops"
    dialog = open_dialog(app, qtbot, material, out)
    assert dialog.frames.currentData() == (4, 12) and "frames 4 to 11" in dialog.frames.currentText()
    dialog.loop.setCurrentIndex(list(LOOP_LABELS).index("pingpong"))
    request = dialog.request()
    assert (request.start, request.stop, request.loop) == (4, 12, "pingpong")
    with qtbot.waitSignal(app.batch.succeeded, timeout=180_000):
        dialog.start_button.click()
    with Image.open(out / "obama__talk.webp") as webp:
        assert webp.n_frames == plan_loop(8, "pingpong").length == 14  # out and back over the 8 frames
    dialog.frames.setCurrentIndex(0)  # every driver whole: no range
    assert (dialog.request().start, dialog.request().stop) == (0, None)


def test_a_batch_starts_from_the_open_driver_but_not_from_keys_alone(controller, obama_path, megamind_path):
    from gui.models.specs import BUILTIN_PERFORMANCE, DrivingSpec, SourceSpec

    document = controller.ctx.document
    document.set_source(SourceSpec(str(obama_path)))
    document.set_driving(DrivingSpec(str(megamind_path)))
    request = controller.batch.default_request()
    assert request.sources == (obama_path,) and request.drivings == (str(megamind_path),)
    document.set_driving(DrivingSpec(BUILTIN_PERFORMANCE))
    assert controller.batch.default_request().drivings == ("builtin",)  # the batch's name for it
    document.set_driving(DrivingSpec.keys(40, 25.0))
    assert controller.batch.default_request().drivings == ()  # no file drives keys alone: nothing to batch
