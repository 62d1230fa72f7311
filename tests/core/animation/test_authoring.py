"""Authoring without a video: keys saved as a performance file render like the keys, and back."""

from __future__ import annotations

import numpy as np

from core.animation.authoring import animation_from_performance, performance_from_animation
from core.animation.direction import Direction, Director, still_sequence
from core.animation.tracks import DEFAULT_CONTROLS, Animation, Controls
from core.faces.driving import DrivingSequence
from core.faces.performance import Performance, builtin_performance
from tests.core.faces.face_shapes import identity_shape

SIZE = 128


def _keys_render(source: np.ndarray, animation: Animation, frames: int, controls: Controls = DEFAULT_CONTROLS) -> np.ndarray:
    return Director(still_sequence(source, frames, SIZE), source, SIZE).landmarks(Direction(controls, animation))


def _performance_render(source: np.ndarray, performance: Performance) -> np.ndarray:
    return Director(DrivingSequence.from_performance(performance, source, SIZE), source, SIZE).landmarks()


def test_a_performance_saved_from_keys_renders_like_the_keys(tmp_path) -> None:
    source = identity_shape(4, SIZE)
    animation = (
        Animation()
        .set_key("yaw", 0, 0.0, "ease").set_key("yaw", 40, 25.0, "linear").set_key("yaw", 80, -10.0, "hold")
        .set_key("yaw", 100, 0.0)
        .set_key("blink_left", 50, 0.0, "linear").set_key("blink_left", 53, 1.0, "linear").set_key("blink_left", 56, 0.0)
        .set_key("smile", 0, 0.0).set_key("smile", 120, 1.0)
        .set_key("mouth_open", 30, 0.5, "hold").set_key("mouth_open", 31, 0.0)
    )  # fmt: skip
    controls = Controls(brow_raise=0.3)  # a static value is part of the performance too
    performance = performance_from_animation(animation, 150, fps=25.0, name="wink and turn", controls=controls)
    again = Performance.load(performance.save(tmp_path / "wink.performance.json"))
    assert again.frame_count == 150 and again.name == "wink and turn"
    assert len(again.keyframes) < 100  # not one per frame: the file stays readable
    keys = _keys_render(source, animation, 150, controls)
    assert np.abs(_performance_render(source, again) - keys).max() < 0.01  # px


def test_the_builtin_performance_opens_as_keys_that_move_exactly_like_it() -> None:
    source = identity_shape(5, SIZE)
    performance = builtin_performance()
    animation = animation_from_performance(performance)
    assert {"yaw", "mouth_open", "blink_left", "smile"} <= set(animation.names)
    assert all(key.interpolation == "smooth" for _, curve in animation.curves for key in curve.keys)
    keys = _keys_render(source, animation, performance.frame_count)
    np.testing.assert_allclose(keys, _performance_render(source, performance), atol=1e-4)
    edited = animation.set_key("smile", 30, 1.0)  # an edit, then saved again
    saved = performance_from_animation(edited, performance.frame_count, performance.fps)
    assert np.abs(_performance_render(source, saved) - _keys_render(source, edited, performance.frame_count)).max() < 0.01
