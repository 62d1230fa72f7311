"""`main.py render --project`: the example project, keys without a video, a performance saved from keys,
and bad projects refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.animation.authoring import performance_from_animation, still_performance
from core.animation.tracks import Animation
from core.config import ModelConfig, RenderOptions
from core.faces.driving import DrivingSequence
from core.faces.image_io import read_image
from core.faces.performance import Performance
from core.pipeline import Reenactor
from core.project_file import FORMAT, VERSION, project_options, read_project
from core.project_render import project_range
from main import main
from resources import resource_path

DEMO_PROJECT = resource_path("demo", "keyframes.reenact")


def keys_project(path: Path, animation: Animation, frames: int = 12, **extra) -> Path:
    """A project of the demo portrait moved by `animation` alone, rendered by the untrained 64 px network."""
    data = {
        "format": FORMAT, "version": VERSION, "source": {"builtin": "demo:astronaut"},
        "driving": {"keys": {"frames": frames, "fps": 25}}, "options": RenderOptions(animation=animation).to_dict(),
        "model": {"kind": "random", "resolution": 64}, "current_frame": 0, **extra,
    }  # fmt: skip
    path.write_text(json.dumps(data))
    return path


def test_the_example_project_directs_the_built_in_performance_with_keys() -> None:
    data = read_project(DEMO_PROJECT)
    assert data["driving"] == {"builtin": "builtin:performance", "face_index": 0} and data["model"]["kind"] == "demo"
    animation = project_options(data).animation
    assert set(animation.names) == {"yaw", "blink_right", "smile"}  # a turn, a wink, a smile that builds
    assert animation.value("blink_right", 67, RenderOptions().controls) == 1.0  # held shut
    smile = animation.curve("smile")
    assert smile.value(20) < smile.value(80) < smile.value(140)
    assert any(key.interpolation == "hold" for key in animation.curve("yaw").keys)
    assert project_range(data, 151) == (0, 151)


def test_a_project_of_keys_alone_renders_its_in_out_range(tmp_path, capsys) -> None:
    animation = Animation().set_key("yaw", 0, -20.0, "linear").set_key("yaw", 11, 20.0)
    project = keys_project(tmp_path / "turn.reenact", animation, in_point=2, out_point=7)
    code = main(["render", "--project", str(project), "-o", str(tmp_path / "frames"), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["frames"] == 6 and result["random_weights"]
    frames = [read_image(p) for p in sorted((tmp_path / "frames").glob("*.png"))]
    assert len(frames) == 6 and np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1.0  # it turned


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 99}, "newer Reenact Studio"),
        ({"options": {"controls": {"yaw": 400}}}, "turn (yaw) must be between"),
        ({"options": {"animation": {"curves": {"wiggle": [{"frame": 0, "value": 1}]}}}}, "unknown control 'wiggle'"),
        ({"driving": {"keys": {"frames": 0}}}, "1 to 1000000 frames"),
        ({"model": {"kind": "none"}}, "no model chosen"),
    ],
)
def test_a_bad_project_exits_2_with_one_line(tmp_path, capsys, change, message) -> None:
    project = keys_project(tmp_path / "bad.reenact", Animation())
    data = {**json.loads(project.read_text()), **change}
    project.write_text(json.dumps(data))
    assert main(["render", "--project", str(project), "-o", str(tmp_path / "out.mp4")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.mp4").exists()


def test_the_project_file_is_never_the_output(tmp_path, capsys) -> None:
    project = keys_project(tmp_path / "p.reenact", Animation())
    assert main(["render", "--project", str(project), "-o", str(project)]) == 2
    assert main(["render", "photo.jpg", "--project", str(project), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["render", "--source", "photo.jpg", "--project", str(project), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "not both" in capsys.readouterr().err
    assert json.loads(project.read_text())["format"] == FORMAT


def test_a_performance_saved_from_keys_renders_like_the_keys(astronaut, tmp_path) -> None:
    from core.faces.landmarks import load_detector

    animation = (
        Animation().set_key("yaw", 0, 0.0, "ease").set_key("yaw", 10, 18.0, "linear").set_key("yaw", 20, -5.0)
        .set_key("blink_left", 4, 0.0, "ease").set_key("blink_left", 8, 1.0, "hold").set_key("blink_left", 12, 0.0)
        .set_key("smile", 0, 0.0, "linear").set_key("smile", 24, 0.8)
    )  # fmt: skip
    r = Reenactor(None, "cpu", allow_random_weights=True, config=ModelConfig.tiny(64), detector=load_detector("dlib"))
    r.set_source(astronaut, name="astronaut")
    r.set_driving(DrivingSequence.from_performance(still_performance(25), r.source.landmarks, r.resolution))
    keyed = RenderOptions(animation=animation)
    performance_from_animation(animation, 25, 25.0, "saved").save(tmp_path / "saved.performance.json")
    saved = Performance.load(tmp_path / "saved.performance.json")
    assert saved.frame_count == 25
    keys_landmarks = r.transformed_landmarks(keyed)
    keys_frames = [r.render_frame(i, keyed).image for i in (5, 10, 16)]
    r.set_driving(DrivingSequence.from_performance(saved, r.source.landmarks, r.resolution))
    np.testing.assert_allclose(r.transformed_landmarks(RenderOptions()), keys_landmarks, atol=0.02)
    for i, image in zip((5, 10, 16), keys_frames, strict=True):
        assert np.abs(r.render_frame(i, RenderOptions()).image.astype(int) - image.astype(int)).max() <= 2


def test_a_performance_with_keys_on_top_saves_as_one_performance(tmp_path) -> None:
    from core.animation.authoring import beyond_file_ranges, performance_from_parameters
    from core.animation.direction import Direction, Director
    from core.animation.tracks import Controls
    from core.faces.performance import builtin_performance
    from tests.core.faces.face_shapes import identity_shape

    source = identity_shape(3, 128)
    base = builtin_performance(fps=10)
    animation = Animation().set_key("smile", 0, 0.0, "linear").set_key("smile", 40, -0.4).set_key("roll", 20, 8.0, "hold")
    direction = Direction(Controls(mouth=0.5, head_rotation=0.8), animation)
    director = Director(DrivingSequence.from_performance(base, source, 128), source, 128)
    assert beyond_file_ranges(director.parameters(direction)) == 0
    assert beyond_file_ranges(director.parameters(Direction(Controls(smile=0.5)))) > 0  # the perf smiles fully
    saved_path = performance_from_parameters(director.parameters(direction), base.fps, "directed").save(
        tmp_path / "directed.performance.json"
    )
    replay = Director(DrivingSequence.from_performance(Performance.load(saved_path), source, 128), source, 128)
    np.testing.assert_allclose(replay.landmarks(), director.landmarks(direction), atol=0.02)
    with pytest.raises(ValueError, match="not face parameters"):
        Director(DrivingSequence(kind="video", name="v", fps=25.0, raw=np.stack([source] * 3).astype(np.float32),
                                 has_face=np.ones(3, bool), frame_size=(128, 128)), source, 128).parameters()
