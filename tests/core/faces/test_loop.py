"""Seamless loops of real driving motion: the last frame meets the first, at the length the user asks."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.faces.loop import check_loop, make_loop, plan_loop

from .conftest import TimedAnalysis

# Megamind's first shot: frames 1..96 (the video cuts to another shot at frame 98).
SHOT = slice(1, 97)


@pytest.fixture(scope="module")
def motion(megamind_analysis: TimedAnalysis) -> np.ndarray:
    """(96, 68, 2) landmarks of one continuous shot, smoothed as the renderer uses them."""
    return megamind_analysis.analysis.smoothed(0.5)[SHOT]


def steps(landmarks: np.ndarray, cyclic: bool = False) -> np.ndarray:
    frames = np.concatenate([landmarks, landmarks[:1]]) if cyclic else landmarks
    return np.linalg.norm(np.diff(frames, axis=0), axis=-1).mean(axis=-1)


def test_a_crossfade_loop_meets_its_first_frame_where_a_plain_cut_jumps(motion: np.ndarray, report_figure) -> None:
    plain = check_loop(motion[:72], reference=motion)
    assert not plain.ok and plain.seam_px > 5 * plain.step_px
    looped, _ = make_loop(motion, "crossfade", length=72, blend=16)
    assert looped.shape == (72, 68, 2) and looped.dtype == motion.dtype
    checked = check_loop(looped, reference=motion)
    assert checked.ok
    # The loop point is an ordinary step of the motion: from frame 71 on to frame 72, which opens the loop.
    assert np.allclose(looped[-1], motion[71]) and np.allclose(looped[0], motion[72])
    assert np.array_equal(looped[16:], motion[16:72])  # after the crossfade: the driver as it was
    # Played over and over, no step is larger than the driver's own largest one.
    assert steps(looped, cyclic=True).max() <= steps(motion[:88]).max() + 1e-4
    report_figure("plain_cut_seam_px", round(plain.seam_px, 2))
    report_figure("crossfade_seam_px", round(checked.seam_px, 2))
    report_figure("largest_driver_step_px", round(checked.step_px, 2))


def test_a_ping_pong_loop_turns_at_both_ends(motion: np.ndarray) -> None:
    looped, _ = make_loop(motion[:40], "pingpong")
    assert looped.shape == (78, 68, 2)
    assert np.allclose(looped[39], motion[39]) and np.allclose(looped[-1], motion[1])
    assert check_loop(looped, reference=motion[:40]).ok
    shorter, _ = make_loop(motion, "pingpong", length=60)
    assert len(shorter) == 60 and np.allclose(shorter[30], motion[30]) and np.allclose(shorter[59], motion[1])
    odd, _ = make_loop(motion, "pingpong", length=7)  # turns between frames 3 and 4
    assert np.allclose(odd[3], motion[3]) and np.allclose(odd[4], motion[3]) and check_loop(odd, motion).ok


def test_the_length_is_the_users_and_a_range_too_short_says_what_fits(motion: np.ndarray) -> None:
    for length in (10, 50, 80):
        looped, loop = make_loop(motion, "crossfade", length=length)
        assert len(looped) == loop.length == length and check_loop(looped, motion).ok
    default, _ = make_loop(motion)
    assert len(default) == 96 - 96 // 6
    with pytest.raises(ConfigError, match="at most 80 frames"):
        plan_loop(96, "crossfade", length=90, blend=16)
    with pytest.raises(ConfigError, match="at most 190 frames"):
        plan_loop(96, "pingpong", length=200)
    with pytest.raises(ConfigError, match="crossfade or pingpong"):
        plan_loop(96, "bounce")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least 3"):
        plan_loop(2)


def test_other_per_frame_data_loops_the_same_way(megamind_analysis: TimedAnalysis) -> None:
    analysis = megamind_analysis.analysis
    loop = plan_loop(40, "crossfade", length=30, blend=8)
    has_face = np.ones(40, bool)
    has_face[33] = False  # frame 33 feeds output frame 3 of the crossfade
    flags = loop.apply(has_face)
    assert flags.dtype == bool and np.flatnonzero(~flags).tolist() == [3]
    angles = analysis.angles[1:41]
    looped = loop.apply(angles)
    assert looped.shape == (30, 3) and np.allclose(looped[10:], angles[10:30])
    assert np.allclose(looped[0], angles[30]) and loop.nearest[:3].tolist() == [30, 31, 32]
