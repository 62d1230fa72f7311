"""Hostile inputs opened in the app become an error dialog with the core's own message, the app keeps
running (the next good input works), and nothing hangs: pipes, broken performance files, damaged
checkpoints, and an export aimed at the driving video itself."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserError
from gui.controllers.export import ExportSettings
from gui.models.specs import ModelChoice
from tests.gui.conftest import open_scene


def _core_message(load, path: Path) -> str:
    """What the core says about `path` (the dialog must say the same)."""
    with pytest.raises(UserError) as info:
        load(path)
    return str(info.value)


def _wait_for_error(qtbot, dialogs, count: int = 1) -> tuple[str, str]:
    qtbot.waitUntil(lambda: len(dialogs.errors) >= count, timeout=60_000)
    return dialogs.errors[count - 1]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nan.json", '{"keyframes": [{"time": 0}, {"time": NaN}]}'),
        ("long.json", '{"keyframes": [{"time": 0}, {"time": 10000000}]}'),
        ("digits.json", '{"keyframes": [{"time": 0}, {"time": 1' + "0" * 5000 + "}]}"),
        ("deep.json", "[" * 50_000 + "]" * 50_000),
    ],
)
def test_a_broken_performance_file_gives_the_core_message_and_the_app_goes_on(
    controller, qtbot, dialogs, tmp_path: Path, name: str, text: str
) -> None:
    from core.faces.performance import Performance

    path = tmp_path / name
    path.write_text(text)
    controller.driving.open(path)
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "Could not open the driving video"
    assert message == _core_message(Performance.load, path)
    assert controller.scene.driving_status == "error"
    controller.driving.open_builtin()  # the app is still there and takes the next file
    qtbot.waitUntil(lambda: controller.scene.driving_info is not None, timeout=30_000)
    assert len(dialogs.errors) == 1


def test_a_pipe_given_as_a_video_or_a_photo_is_refused_at_once(controller, qtbot, dialogs, tmp_path: Path) -> None:
    """A FIFO with no writer would block a reader forever; the analysis lane would hang."""
    from core.faces.image_io import read_image
    from core.video import check_video_input

    video = tmp_path / "clip.mp4"
    os.mkfifo(video)
    controller.driving.open(video)
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "Could not open the driving video"
    assert message == _core_message(check_video_input, video) and "named pipe" in message
    photo = tmp_path / "face.jpg"
    os.mkfifo(photo)
    controller.source.open(photo)
    title, message = _wait_for_error(qtbot, dialogs, 2)
    assert title == "Could not open the portrait"
    assert message == _core_message(read_image, photo) and "named pipe" in message


def test_damaged_checkpoints_give_the_core_message(controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path) -> None:
    import torch

    from core.checkpoint import load_checkpoint
    from tests.core.test_checkpoint_safety import _zero_inside_the_largest_tensor

    zeroed = tmp_path / "zeroed.pt"
    zeroed.write_bytes(tiny_checkpoint.read_bytes())
    _zero_inside_the_largest_tensor(zeroed)
    payload = torch.load(tiny_checkpoint, weights_only=True)
    name = next(k for k, v in payload["generator"].items() if v.is_floating_point())
    payload["generator"][name] = payload["generator"][name] * float("nan")
    payload.pop("weights_checksum")
    diverged = tmp_path / "diverged.pt"
    torch.save(payload, diverged)
    for count, path in enumerate((zeroed, diverged, tmp_path), start=1):
        controller.model.choose(ModelChoice.file(path))
        title, message = _wait_for_error(qtbot, dialogs, count)
        assert title == "Could not load the model"
        assert message == _core_message(load_checkpoint, path)
    assert "differ from the checksum" in dialogs.errors[0][1]
    assert "NaN or infinite" in dialogs.errors[1][1] and "is a folder" in dialogs.errors[2][1]
    controller.model.choose(ModelChoice.file(tiny_checkpoint))  # and a good one still loads
    qtbot.waitUntil(lambda: controller.model_state.status == "ready", timeout=30_000)


def test_an_export_onto_the_driving_video_is_refused_and_the_video_kept(
    controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path, obama_path: Path, megamind_path: Path
) -> None:
    from core.video import VideoReader, VideoWriter

    folder = tmp_path / "videos"
    folder.mkdir()
    clip = folder / "driver.mp4"
    with VideoReader(megamind_path) as reader, VideoWriter(clip, fps=reader.fps, size=reader.size) as out:
        for _, frame in reader.iter_frames(30, 42):
            out.write(np.ascontiguousarray(frame))
    before = hashlib.blake2b(clip.read_bytes()).hexdigest()
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, clip)
    controller.export.start(ExportSettings(clip, start=0, stop=12, paste_back=False, quality=70))
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "Export failed" and "would destroy the input" in message and "driver.mp4" in message
    assert hashlib.blake2b(clip.read_bytes()).hexdigest() == before
    assert [p.name for p in folder.iterdir()] == ["driver.mp4"]  # no temporary file either


def test_a_cache_folder_variable_pointing_at_a_file_gives_a_dialog(
    controller, qtbot, dialogs, tmp_path: Path, megamind_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.paths import cache_dir

    note = tmp_path / "note.txt"
    note.write_text("not a folder")
    monkeypatch.setenv("REENACT_CACHE_DIR", str(note))
    controller.driving.open(megamind_path)
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "Could not open the driving video"
    assert message == _core_message(lambda _path: cache_dir(), note)
    assert "REENACT_CACHE_DIR points at" in message
