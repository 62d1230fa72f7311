"""Parametric driving and keyframed performances."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import ConfigError, InputError
from core.faces.mean_shape import mean_shape_2d
from core.faces.performance import (
    FaceParams,
    Keyframe,
    Performance,
    builtin_performance,
    landmarks_from_params,
)
from core.faces.shape_model import fit_shapes


@pytest.fixture
def base() -> np.ndarray:
    return mean_shape_2d(256)


def test_all_parameters_at_zero_reproduce_the_source_landmarks(base) -> None:
    perf = Performance((Keyframe(0.0, FaceParams()), Keyframe(1.0, FaceParams())), fps=10)
    frames = perf.expand(base)
    assert frames.shape == (11, 68, 2)
    np.testing.assert_allclose(frames, np.broadcast_to(base, frames.shape), atol=1e-9)


@pytest.mark.parametrize(("param", "upper", "lower"), [("blink_left", (37, 38), (41, 40)), ("blink_right", (43, 44), (47, 46))])
def test_blink_one_closes_the_eyelid(base, param, upper, lower) -> None:
    closed = landmarks_from_params(base, FaceParams(**{param: 1.0}))
    gaps = np.linalg.norm(closed[list(upper)] - closed[list(lower)], axis=-1)
    assert gaps.max() < 1e-6
    open_gaps = np.linalg.norm(base[list(upper)] - base[list(lower)], axis=-1)
    assert open_gaps.min() > 3


def test_mouth_smile_brows_and_pose_move_the_right_landmarks(base) -> None:
    open_mouth = landmarks_from_params(base, FaceParams(mouth_open=1.0))
    assert open_mouth[57, 1] - base[57, 1] > 10 and abs(open_mouth[36, 1] - base[36, 1]) < 1e-6
    smile = landmarks_from_params(base, FaceParams(smile=1.0))
    assert smile[48, 0] < base[48, 0] and smile[54, 0] > base[54, 0] and smile[48, 1] < base[48, 1]
    brows = landmarks_from_params(base, FaceParams(brow_raise=1.0))
    assert (brows[17:27, 1] < base[17:27, 1] - 3).all()
    turned = landmarks_from_params(base, FaceParams(yaw=20.0, pitch=-10.0, roll=5.0))
    from core.faces.shape_model import angles_from_rotation

    turn = fit_shapes(turned).rotation[0] @ fit_shapes(base).rotation[0].T
    np.testing.assert_allclose(angles_from_rotation(turn), [20, -10, 5], atol=0.6)  # refit on a non-mean face


def test_interpolation_passes_through_keyframes_smoothly(base) -> None:
    perf = builtin_performance(fps=25)
    at_keys = perf.params_at(np.array([k.time for k in perf.keyframes]))
    np.testing.assert_allclose(at_keys, np.stack([k.params.as_array() for k in perf.keyframes]), atol=1e-9)
    params = perf.frame_params()
    second = np.abs(np.diff(params[:, 0], 2)).max()
    assert second < 1.5  # no jumps in yaw (degrees per frame squared)


def test_saved_and_reloaded_performance_expands_to_the_same_landmarks(tmp_path, base) -> None:
    perf = builtin_performance()
    path = perf.save(tmp_path / "demo.performance.json")
    again = Performance.load(path)
    assert again == perf
    np.testing.assert_array_equal(again.expand(base), perf.expand(base))


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ({"keyframes": [{"time": 0, "grin": 1}]}, ConfigError, "unknown keys grin"),
        ({"keyframes": [{"time": 0, "mouth_open": 2}]}, ConfigError, "mouth_open must be between 0 and 1, got 2"),
        ({"keyframes": [{"time": 0, "yaw": 90}]}, ConfigError, "yaw must be between -45 and 45"),
        ({"keyframes": [{"time": 1}, {"time": 0.5}]}, ConfigError, "strictly increase"),
        ({"keyframes": []}, ConfigError, "non-empty list"),
        ({"keyframes": [{"time": 0}], "speed": 2}, ConfigError, "unknown keys speed"),
        ({"keyframes": [{"time": 0, "smile": "lots"}]}, ConfigError, "smile must be a number"),
    ],
)
def test_bad_performance_files_get_clear_messages(tmp_path, content, error, message) -> None:
    path = tmp_path / "bad.performance.json"
    path.write_text(json.dumps(content))
    with pytest.raises(error, match=message):
        Performance.load(path)


def test_unreadable_performance_file_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "broken.performance.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        Performance.load(path)
    with pytest.raises(InputError, match="cannot read performance"):
        Performance.load(tmp_path / "missing.performance.json")
