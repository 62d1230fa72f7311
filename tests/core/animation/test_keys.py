"""Keyframe curves: interpolation at and between keys, constant extrapolation, immutable edits."""

from __future__ import annotations

import numpy as np
import pytest

from core.animation.keys import Curve, Key
from core.errors import ConfigError


def _curve(*keys: tuple[float, float, str]) -> Curve:
    return Curve(tuple(Key(f, v, i) for f, v, i in keys))


@pytest.mark.parametrize("interpolation", ["smooth", "linear", "ease", "hold"])
def test_every_interpolation_passes_through_its_keys(interpolation) -> None:
    curve = _curve((0, 1.0, interpolation), (10, 4.0, interpolation), (25, -2.0, interpolation), (30, 0.5, interpolation))
    np.testing.assert_allclose(curve.value_at([0, 10, 25, 30]), [1.0, 4.0, -2.0, 0.5], atol=1e-12)


def test_linear_goes_straight_between_keys() -> None:
    curve = _curve((0, 0.0, "linear"), (10, 5.0, "linear"), (20, 5.0, "linear"))
    np.testing.assert_allclose(curve.value_at([2.5, 5, 7.5, 15]), [1.25, 2.5, 3.75, 5.0])


def test_ease_leaves_and_arrives_with_zero_speed() -> None:
    curve = _curve((0, 0.0, "ease"), (8, 10.0, "ease"))
    np.testing.assert_allclose(curve.value_at([2, 4, 6]), [10 * (3 / 16 - 2 / 64), 5.0, 10 * (27 / 16 - 54 / 64)])
    step = 1e-4
    assert abs(curve.value(step) - curve.value(0)) / step < 1e-2
    assert abs(curve.value(8) - curve.value(8 - step)) / step < 1e-2


def test_hold_keeps_the_value_until_the_next_key() -> None:
    curve = _curve((0, 1.0, "hold"), (5, 3.0, "linear"), (10, 0.0, "linear"))
    np.testing.assert_array_equal(curve.value_at([0, 1, 4.999]), [1.0, 1.0, 1.0])
    assert curve.value(5) == 3.0
    assert curve.value(7.5) == pytest.approx(1.5)


def test_a_one_frame_fix_is_a_hold_key_between_keys_on_the_frames_around_it() -> None:
    base = _curve((0, 0.0, "linear"), (20, 20.0, "linear"))
    fixed = base.with_key(9, base.value(9)).with_key(10, 2.0, "hold").with_key(11, base.value(11), "linear")
    frames = np.arange(21)
    changed = np.flatnonzero(~np.isclose(fixed.value_at(frames), base.value_at(frames)))
    np.testing.assert_array_equal(changed, [10])


def test_smooth_is_flat_at_peaks_and_never_overshoots() -> None:
    curve = _curve((0, 0.0, "smooth"), (10, 1.0, "smooth"), (12, 1.05, "smooth"), (30, 0.0, "smooth"))
    values = curve.value_at(np.linspace(0, 30, 3001))
    assert values.max() <= 1.05 + 1e-12 and values.min() >= -1e-12  # direction changes only at keys
    rising = values[np.linspace(0, 30, 3001) <= 12]
    assert np.all(np.diff(rising) >= -1e-12)
    step = 1e-4
    assert abs(curve.value(12 + step) - curve.value(12 - step)) / (2 * step) < 1e-3  # flat at the peak


def test_smooth_through_evenly_rising_keys_is_a_straight_line() -> None:
    curve = _curve((0, 0.0, "smooth"), (10, 1.0, "smooth"), (20, 2.0, "smooth"), (30, 3.0, "smooth"))
    np.testing.assert_allclose(curve.value_at([12, 15, 18]), [1.2, 1.5, 1.8], atol=1e-12)


def test_values_are_constant_before_the_first_and_after_the_last_key() -> None:
    curve = _curve((5, 2.0, "linear"), (10, 7.0, "hold"))
    np.testing.assert_array_equal(curve.value_at([0, 4.5, 10, 11, 1e6]), [2.0, 2.0, 7.0, 7.0, 7.0])
    single = _curve((3, -1.0, "smooth"))
    np.testing.assert_array_equal(single.value_at(np.zeros((2, 3))), -np.ones((2, 3)))  # any shape


def test_edits_return_new_curves_and_leave_the_old_ones_as_they_were() -> None:
    original = _curve((0, 0.0, "linear"), (10, 1.0, "linear"))
    edited = original.with_key(5, 3.0)
    assert original.frames == (0.0, 10.0) and edited.frames == (0.0, 5.0, 10.0)
    assert edited.key_at(5).interpolation == "linear"  # a new key takes the interpolation before it
    assert edited.with_key(5, 3.0) == edited and hash(edited.with_key(5, 3.0)) == hash(edited)
    assert edited.with_key(5, 4.0).key_at(5).value == 4.0  # a key on the same frame changes
    assert edited.without_key(5) == original
    assert _curve((2, 1.0, "ease")).without_key(2) is None
    moved = edited.moved_key(5, 10, value=6.0)  # onto another key's frame: that key is replaced
    assert moved.frames == (0.0, 10.0) and moved.key_at(10).value == 6.0
    held = edited.with_interpolation(0, "hold")
    assert held.key_at(0).interpolation == "hold" and edited.key_at(0).interpolation == "linear"
    with pytest.raises(KeyError):
        edited.without_key(7)


def test_previous_and_next_key() -> None:
    curve = _curve((0, 0.0, "linear"), (10, 1.0, "linear"), (20, 0.0, "linear"))
    assert curve.previous_key(10).frame == 0 and curve.next_key(10).frame == 20
    assert curve.previous_key(0) is None and curve.next_key(20) is None
    assert curve.next_key(12.5).frame == 20


def test_keys_round_trip_through_plain_data_and_bad_keys_are_refused() -> None:
    curve = _curve((0, 0.25, "ease"), (12.5, -1.0, "hold"), (40, 3.0, "smooth"))
    assert Curve.from_list(curve.to_list()) == curve
    assert curve.to_list()[0] == {"frame": 0, "value": 0.25, "interpolation": "ease"}
    with pytest.raises(ConfigError, match="interpolation must be one of"):
        Key(0, 1.0, "bounce")
    with pytest.raises(ConfigError, match="frame must be 0 or later"):
        Key(-1, 1.0)
    with pytest.raises(ConfigError, match="finite number"):
        Curve.from_list([{"frame": 0, "value": float("nan")}])
    with pytest.raises(ConfigError, match="one key per frame"):
        Curve((Key(3, 1.0), Key(3, 2.0)))
    with pytest.raises(ConfigError, match="unknown keys speed"):
        Curve.from_list([{"frame": 0, "value": 1, "speed": 2}])
