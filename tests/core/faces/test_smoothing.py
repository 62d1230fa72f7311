"""Smoothing removes landmark jitter without lagging behind real motion or blending across gaps."""

from __future__ import annotations

import numpy as np
import pytest

from core.faces.smoothing import DEFAULT_AMOUNT, face_scale, jitter, smooth_landmarks

from .conftest import TimedAnalysis


def still_face(frames: int, seed: int = 0) -> np.ndarray:
    """A plausible face (68 points spread like a real one, ~100 px wide), repeated over `frames`."""
    from core.faces.align import canonical_landmarks

    base = canonical_landmarks(256)
    return np.repeat(base[None], frames, 0).astype(np.float64)


def test_offline_smoothing_halves_jitter_on_megamind(megamind_analysis: TimedAnalysis) -> None:
    analysis = megamind_analysis.analysis
    raw_jitter = jitter(analysis.landmarks_raw, analysis.has_face)
    smoothed = analysis.smoothed()  # the default: offline, amount 0.5
    assert jitter(smoothed, analysis.has_face) <= 0.5 * raw_jitter
    # ... while staying on the face: on average within a pixel or two of the raw landmarks
    assert np.abs(smoothed - analysis.landmarks_raw).mean() < 2.0
    stronger = analysis.smoothed(1.0)
    assert jitter(stronger, analysis.has_face) < jitter(smoothed, analysis.has_face)


def test_causal_filter_lags_at_most_one_frame_on_a_step() -> None:
    """A sudden move of a third of a face size: the causal output is half-way there by the next frame.

    Lag here is the number of frames between the step and the first frame at which the filtered
    landmarks have covered half of it (0 = the step frame itself).
    """
    track = still_face(40)
    jump = face_scale(track[:1])[0] / 3.0
    track[20:, :, 0] += jump
    for fps in (24.0, 30.0, 60.0):
        out = smooth_landmarks(track, fps, DEFAULT_AMOUNT, mode="causal")
        progress = (out[:, :, 0] - track[0, :, 0]).mean(1) / jump
        assert np.abs(progress[:20]).max() < 1e-4  # causal: nothing moves before the step
        lag = int(np.argmax(progress[20:] >= 0.5))
        assert lag <= 1, f"{fps} fps: lag {lag} frames"
        assert progress[25] > 0.95


def test_offline_mode_is_zero_phase_on_a_step() -> None:
    track = still_face(41)
    jump = face_scale(track[:1])[0] / 3.0
    track[20:, :, 0] += jump
    out = smooth_landmarks(track, 25.0, DEFAULT_AMOUNT, mode="offline")
    progress = (out[:, :, 0] - track[0, :, 0]).mean(1) / jump
    # symmetric about the step, between frames 19 and 20: as early as it is late
    assert progress[19] == pytest.approx(1.0 - progress[20], abs=0.08)
    assert 0.2 < progress[19] < 0.5 < progress[20] < 0.8


def test_amount_zero_returns_the_raw_landmarks() -> None:
    noisy = still_face(30) + np.random.default_rng(1).normal(0, 1.0, (30, 68, 2))
    assert np.array_equal(smooth_landmarks(noisy, 25.0, 0.0), noisy.astype(np.float32))


def test_frames_without_a_face_and_cuts_are_not_blended() -> None:
    rng = np.random.default_rng(2)
    track = still_face(60) + rng.normal(0, 0.8, (60, 68, 2))
    track[30:] += 200.0  # a cut: the face is elsewhere from frame 30
    has_face = np.ones(60, bool)
    has_face[10:15] = False
    out = smooth_landmarks(track, 25.0, 1.0, has_face=has_face)
    assert np.array_equal(out[10:15], track[10:15].astype(np.float32))  # held frames untouched
    assert np.abs(out[29] - track[29]).max() < 5 and np.abs(out[30] - track[30]).max() < 5
    assert jitter(out, has_face) < 0.5 * jitter(track, has_face)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        smooth_landmarks(still_face(3), 25.0, 1.5)
    with pytest.raises(ValueError, match="mode"):
        smooth_landmarks(still_face(3), 25.0, 0.5, mode="sideways")
