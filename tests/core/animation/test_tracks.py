"""Controls and their curves: ranges, per-frame evaluation, undo-friendly edits, the project-file form."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from core.animation.tracks import CONTROLS, MAX_REGION_STRENGTH, Animation, Controls
from core.errors import ConfigError
from core.faces import transformer
from core.faces.performance import PARAMETER_RANGES


def test_every_control_has_a_range_and_the_app_and_performances_agree_on_them() -> None:
    assert MAX_REGION_STRENGTH == transformer.MAX_REGION_STRENGTH
    for name, (low, high) in PARAMETER_RANGES.items():
        assert (CONTROLS[name].low, CONTROLS[name].high) == (low, high)
    defaults = Controls()
    for spec in CONTROLS.values():
        assert spec.low <= spec.default <= spec.high
        assert getattr(defaults, spec.name) == spec.default
    with pytest.raises(ConfigError, match=r"mouth must be between 0 and 1\.5"):
        Controls(mouth=1.6)
    with pytest.raises(ConfigError, match="unknown control 'grin'"):
        Controls.from_dict({"grin": 1.0})


def test_unkeyed_controls_hold_their_static_value_and_keyed_ones_follow_their_curve() -> None:
    animation = Animation().set_key("yaw", 0, 0.0, "linear").set_key("yaw", 10, 20.0)
    controls = Controls(smile=0.4, yaw=-5.0)
    values = animation.evaluate(np.arange(12), controls)
    assert set(values) == set(CONTROLS)
    np.testing.assert_allclose(values["yaw"][[0, 5, 10, 11]], [0.0, 10.0, 20.0, 20.0])  # the curve wins
    np.testing.assert_array_equal(values["smile"], np.full(12, 0.4))
    assert animation.value("yaw", 5, controls) == pytest.approx(10.0)
    assert animation.value("smile", 5, controls) == 0.4


def test_curves_are_clipped_to_their_controls_range() -> None:
    animation = Animation().set_key("mouth_open", 0, 0.0).set_key("mouth_open", 10, 1.0).set_key("mouth_open", 20, 0.9)
    values = animation.evaluate(np.linspace(0, 20, 201), Controls())["mouth_open"]
    assert values.min() >= 0.0 and values.max() <= 1.0
    with pytest.raises(ConfigError, match="mouth open must be between 0 and 1"):
        animation.set_key("mouth_open", 5, 1.2)


def test_key_edits_make_new_animations_so_undo_can_keep_the_old_ones() -> None:
    empty = Animation()
    one = empty.set_key("blink_left", 12, 1.0, "hold")
    two = one.set_key("blink_left", 14, 0.0).set_key("strength", 0, 0.5)
    history = [empty, one, two]
    assert empty.names == () and one.names == ("blink_left",) and two.names == ("blink_left", "strength")
    assert one.curve("blink_left").frames == (12.0,)
    assert two.delete_key("strength", 0) == one.set_key("blink_left", 14, 0.0)  # undo = an old object
    moved = two.move_key("blink_left", 14, 16)
    assert moved.curve("blink_left").frames == (12.0, 16.0) and two.curve("blink_left").frames == (12.0, 14.0)
    assert two.set_interpolation("blink_left", 12, "ease").curve("blink_left").key_at(12).interpolation == "ease"
    assert len({hash(a) for a in history}) == 3 and hash(two) == hash(Animation.from_dict(two.to_dict()))
    assert two.key_frames() == (0.0, 12.0, 14.0)
    assert two.key_frames(["blink_left"]) == (12.0, 14.0)
    assert two.next_key_frame(0) == 12.0 and two.previous_key_frame(14) == 12.0 and two.next_key_frame(14) is None


def test_animation_and_controls_round_trip_through_json() -> None:
    animation = (
        Animation()
        .set_key("yaw", 0, 0.0, "ease")
        .set_key("yaw", 30, 25.0, "hold")
        .set_key("smile", 7.5, 0.8)
        .set_key("lock_scale", 3, 1.0, "linear")
    )
    controls = Controls(head_position=0.5, blink_right=0.2, smoothing=0.3)
    data = json.loads(json.dumps({"controls": controls.to_dict(), "animation": animation.to_dict()}))
    assert data["controls"] == {"smoothing": 0.3, "head_position": 0.5, "blink_right": 0.2}  # defaults left out
    again = Animation.from_dict(data["animation"])
    assert again == animation and Controls.from_dict(data["controls"]) == controls
    frames = np.arange(40)
    for name in animation.names:
        np.testing.assert_array_equal(again.evaluate(frames, controls)[name], animation.evaluate(frames, controls)[name])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"curves": {"grin": [{"frame": 0, "value": 1}]}}, "unknown control 'grin'"),
        ({"curves": {"yaw": [{"frame": 0, "value": 90}]}}, "turn \\(yaw\\) must be between -45 and 45"),
        ({"curves": {"yaw": []}}, "non-empty list of keys"),
        ({"curves": {"yaw": [{"frame": 0, "value": 1, "interpolation": "bezier"}]}}, "interpolation must be one of"),
        ({"tracks": {}}, "must be an object with 'curves'"),
    ],
)
def test_bad_animation_data_gets_a_clear_message(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Animation.from_dict(data)


def test_evaluating_every_control_over_ten_thousand_frames_takes_milliseconds(report_figure) -> None:
    rng = np.random.default_rng(0)
    animation = Animation()
    for name, spec in CONTROLS.items():  # every control keyed, 40 keys each, all interpolations
        for frame in np.sort(rng.choice(10_000, 40, replace=False)):
            value = float(rng.uniform(spec.low, spec.high))
            animation = animation.set_key(name, int(frame), value, str(rng.choice(["smooth", "linear", "ease", "hold"])))
    frames = np.arange(10_000)
    animation.evaluate(frames, Controls())
    best = min(_timed(lambda: animation.evaluate(frames, Controls())) for _ in range(5))
    report_figure("evaluate all controls, 10,000 frames (ms)", round(best * 1000, 2))
    assert best < 0.05  # a few ms measured; generous for a shared machine


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
