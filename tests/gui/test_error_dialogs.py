"""Hostile inputs opened in the app become an error dialog with the core's own message, the app keeps
running (the next good input works), and nothing hangs: pipes, broken performance files, damaged
checkpoints, a photo without a face, and an export aimed at any file the scene was made from (refused
before any work, as render refuses it)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserError
from core.safety import refuse_overwriting_inputs
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
        ("infinite.json", '{"keyframes": [{"time": 0}, {"time": Infinity}]}'),
        ("huge.json", '{"keyframes": [{"time": 0}, {"time": 1e999}]}'),
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


@pytest.mark.parametrize(
    ("name", "change", "says"),
    [
        ("nogen.pt", lambda p: p.pop("generator"), "holds no generator weights"),
        ("gen.pt", lambda p: p.update(generator=[1, 2]), "not a mapping of names to tensors"),
        ("cfg.pt", lambda p: p.update(model_config="resolution: 64"), "model config is text"),
        ("wide.pt", lambda p: p["model_config"].update(appearance_widths=[65536] * 4), "must be between 1 and 512"),
        ("version.pt", lambda p: p.update(format_version="1"), "format_version is text"),
    ],
)
def test_checkpoints_with_parts_of_the_wrong_kind_give_the_core_message(
    controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path, name: str, change, says: str
) -> None:
    """Missing or mistyped parts, and a config that would need hundreds of gigabytes, before any building."""
    import torch

    from core.checkpoint import load_checkpoint

    payload = torch.load(tiny_checkpoint, weights_only=True)
    change(payload)
    path = tmp_path / name
    torch.save(payload, path)
    controller.model.choose(ModelChoice.file(path))
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "Could not load the model" and says in message
    assert message == _core_message(load_checkpoint, path)
    controller.model.choose(ModelChoice.file(tiny_checkpoint))  # the app goes on
    qtbot.waitUntil(lambda: controller.model_state.status == "ready", timeout=30_000)


def _digest(path: Path) -> str:
    """A file's bytes, or a folder's files and their bytes, as one hash."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.blake2b(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


def _scene_files(folder: Path, obama_path: Path, megamind_path: Path) -> dict[str, Path]:
    """The user's own files: a GIF portrait, a short driving clip and the same clip as numbered frames."""
    from PIL import Image

    from core.video import VideoReader, VideoWriter

    portrait = folder / "portrait.gif"
    Image.open(obama_path).convert("RGB").save(portrait)
    clip, frames = folder / "driver.mp4", folder / "frames"
    frames.mkdir()
    with VideoReader(megamind_path) as reader, VideoWriter(clip, fps=reader.fps, size=reader.size) as out:
        for index, frame in reader.iter_frames(30, 42):
            out.write(np.ascontiguousarray(frame))
            Image.fromarray(np.asarray(frame)).save(frames / f"frame_{index - 30 + 1:04d}.png")
    return {"portrait": portrait, "clip": clip, "frames": frames}


@pytest.mark.parametrize(
    ("case", "driving", "target"),
    [
        ("onto the driving video", "clip", lambda f: f["clip"]),
        ("onto the source photo (a .gif portrait exported as .gif)", "clip", lambda f: f["portrait"]),
        ("onto a link to the source photo", "clip", lambda f: _link(f["portrait"], f["portrait"].parent / "link.gif")),
        ("as PNG frames into the driving frames' folder", "frames", lambda f: f["frames"]),
    ],
)
def test_an_export_onto_an_input_is_refused_before_any_work_and_the_input_kept(
    controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path, obama_path: Path, megamind_path: Path,
    case: str, driving: str, target,
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    files = _scene_files(folder, obama_path, megamind_path)
    before = {name: _digest(path) for name, path in files.items()}
    open_scene(controller, qtbot, tiny_checkpoint, files["portrait"], files[driving])
    output = target(files)
    listing = sorted(p.name for p in folder.iterdir())
    assert controller.export.start(ExportSettings(output, start=0, stop=12, paste_back=True, quality=70)) is None
    title, message = dialogs.errors[-1]
    assert title == "Cannot export" and "would destroy the input" in message, case
    assert message == _core_message(lambda out: refuse_overwriting_inputs(out, _inputs(controller), "the export"), output)
    assert {name: _digest(path) for name, path in files.items()} == before
    assert sorted(p.name for p in folder.iterdir()) == listing  # no temporary file either
    assert not controller.export.running


def _link(path: Path, link: Path) -> Path:
    link.symlink_to(path)
    return link


def _inputs(controller) -> list[Path | None]:
    from gui.controllers.export import export_inputs

    return export_inputs(controller.document)


def test_an_export_onto_the_project_file_or_the_checkpoint_is_refused(
    controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path, obama_path: Path
) -> None:
    """Odd names, but the user's: a project saved as scene.webp, a checkpoint named weights.gif."""
    checkpoint = tmp_path / "weights.gif"
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())
    open_scene(controller, qtbot, checkpoint, obama_path, "builtin")
    project = tmp_path / "scene.webp"
    assert controller.project.save_to(project) and controller.document.project_path == project
    for target in (project, checkpoint):
        before = _digest(target)
        assert controller.export.start(ExportSettings(target, start=0, stop=4, paste_back=True)) is None
        title, message = dialogs.errors[-1]
        assert title == "Cannot export" and f"is the input {target}" in message
        assert _digest(target) == before


def test_a_large_photo_without_a_face_gives_the_clis_message(
    controller, qtbot, dialogs, tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 2400 px photo is searched down to 100 px faces (not the default 40): the dialog says so, as render does."""
    import json

    import cv2
    from PIL import Image

    from main import main

    skimage_data = pytest.importorskip("skimage.data")
    path = tmp_path / "big.png"
    Image.fromarray(cv2.resize(skimage_data.coffee(), None, fx=4, fy=4)).save(path)
    code = main(["render", str(path), "builtin", "-o", str(tmp_path / "out.gif"), "--checkpoint", str(tiny_checkpoint),
                 "--json"])
    cli = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 2 and "down to 100 px" in cli["error"]
    controller.source.open(path)
    title, message = _wait_for_error(qtbot, dialogs)
    assert title == "No usable face" and message == cli["error"]


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
