"""In the app: a folder of numbered frames drives like a video at the rate the user gives (analysis,
viewer frames, project files), and the export dialog writes the head over transparency as a seamless
loop."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.gui.conftest import open_scene

FRAMES = 12


@pytest.fixture(scope="module")
def frames_folder(tmp_path_factory: pytest.TempPathFactory, megamind_path: Path) -> Path:
    """Megamind frames 30..41 as take_1.png ... take_12.png (unpadded: name order is not frame order)."""
    from core.video import VideoReader

    folder = tmp_path_factory.mktemp("frames") / "take"
    folder.mkdir()
    with VideoReader(megamind_path) as reader:
        for i, frame in reader.iter_frames(30, 30 + FRAMES):
            small = cv2.resize(np.ascontiguousarray(frame), (360, 264), interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(folder / f"take_{i - 29}.png"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    return folder


def test_a_folder_of_numbered_frames_drives_the_app_at_the_rate_given(
    controller, qtbot, dialogs, tiny_checkpoint, obama_path, frames_folder, tmp_path
):
    from gui.models.project import ProjectData

    app = controller
    dialogs.numbers.append(12.5)
    open_scene(app, qtbot, tiny_checkpoint, obama_path, frames_folder)
    assert "Frames per second" in dialogs.questions[-1]
    info = app.scene.driving_info
    assert (info.kind, info.name, info.frame_count, info.fps) == ("video", "take", FRAMES, 12.5)
    assert app.document.driving.fps == 12.5
    qtbot.waitUntil(lambda: app.preview_model.driving_frame is not None, timeout=30_000)
    assert app.preview_model.driving_frame.image.width() == 360  # read from the frames themselves
    assert app.preview_model.driving_frame.landmarks is not None
    data = ProjectData(app.document.source, app.document.driving, app.document.options, app.document.model)
    again = ProjectData.from_dict(data.to_dict(tmp_path), tmp_path)
    assert again.driving.fps == 12.5 and again.driving.location == str(frames_folder.resolve())
    assert dialogs.errors == []

    (tmp_path / "empty").mkdir()
    assert not app.driving.open(tmp_path / "empty")
    assert "holds no numbered" in dialogs.errors[-1][1]
    dialogs.numbers.append(None)  # the rate question cancelled: nothing changes
    assert not app.driving.open(frames_folder)
    assert app.document.driving.fps == 12.5


def test_the_export_dialog_writes_the_head_over_transparency_as_a_seamless_loop(
    controller, qtbot, tiny_checkpoint, obama_path, megamind_path, tmp_path
):
    import av

    from gui.controllers.export import FORMAT_LABELS, LOOP_LABELS, PICTURE_LABELS
    from gui.views.export_dialog import CUSTOM_SIZE, ExportDialog

    app = controller
    open_scene(app, qtbot, tiny_checkpoint, obama_path, megamind_path)
    dialog = ExportDialog(app.export, (64, 64), (910, 1137))
    qtbot.addWidget(dialog)
    # any size: a custom longest side, up to 2048 px for the face crop
    framing = dialog.full.isChecked()
    assert not dialog.custom_size.isEnabled() and dialog.output_size() is None
    dialog.size.setCurrentIndex(dialog.size.findData(CUSTOM_SIZE))
    dialog.crop.setChecked(True)
    dialog.custom_size.setValue(5000)
    assert dialog.custom_size.isEnabled() and dialog.settings().output_size == 2048
    dialog.full.setChecked(True)
    dialog.custom_size.setValue(3000)
    assert dialog.settings().output_size == 3000 and dialog.settings().paste_back
    dialog.size.setCurrentIndex(0)
    (dialog.full if framing else dialog.crop).setChecked(True)
    dialog.picture.setCurrentIndex(list(PICTURE_LABELS).index("alpha"))
    assert dialog.format.currentData() == "mov"  # MP4 carries no alpha: the dialog moved to ProRes 4444
    dialog.format.setCurrentIndex(list(FORMAT_LABELS).index("mp4"))
    assert dialog.picture.currentData() == "composite"  # and back: MP4 holds the composite
    dialog.format.setCurrentIndex(list(FORMAT_LABELS).index("webm"))
    dialog.picture.setCurrentIndex(list(PICTURE_LABELS).index("alpha"))
    dialog.loop.setCurrentIndex(list(LOOP_LABELS).index("pingpong"))
    dialog.loop_length.setValue(8)
    dialog.start.setValue(30)
    dialog.end.setValue(40)
    dialog.path.setText(str(tmp_path / "head.webm"))
    assert "seamless pingpong loop" in dialog.note.text() and "over transparency" in dialog.note.text()
    settings = dialog.settings()
    assert (settings.picture, settings.loop, settings.loop_length) == ("alpha", "pingpong", 8)
    with qtbot.waitSignal(app.export.succeeded, timeout=120_000) as blocker:
        dialog.export_button.click()
    result = blocker.args[0]
    assert result.frames == 8 and result.loop.ok and not result.audio  # a loop is silent
    with av.open(str(tmp_path / "head.webm")) as container:
        stream = container.streams.video[0]
        decoder = av.codec.CodecContext.create("libvpx-vp9", "r")  # FFmpeg's own VP9 decoder drops alpha
        frames = [f for p in container.demux(stream) for f in decoder.decode(p if p.size else None)]
    assert len(frames) == 8 and frames[0].format.name == "yuva420p"
    alpha = frames[0].to_ndarray(format="rgba")[..., 3]
    assert alpha.min() < 10 and alpha.max() > 245  # transparent beyond the head, opaque on it
