"""The driving check: flags on a constructed video and on Megamind, reference advice, holding good frames."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.faces.driving import DrivingSequence
from core.faces.driving_check import HOLDABLE, check_driving, held_frames, hold_last_good
from core.faces.performance import FaceParams, Keyframe, Performance, landmarks_from_params
from tests.core.faces.face_shapes import identity_shape, moved


def _video(raw: np.ndarray, has_face: np.ndarray) -> DrivingSequence:
    return DrivingSequence(
        kind="video", name="constructed.mp4", fps=25.0, raw=raw.astype(np.float32), has_face=has_face, frame_size=(640, 480)
    )


@pytest.fixture
def troubled() -> DrivingSequence:
    """80 frames of a talking head (about 250 px wide) with everything that can go wrong:
    no face in 20-24, a tracking glitch in 35-36, a cut to a wide shot (a 70 px face) in 50-59 and back
    at 60, and a turn past 40 degrees of yaw in 72-76 (eased in and out 5 degrees a frame)."""
    t = np.arange(80)
    params = np.zeros((80, 8))
    params[:, 3] = 0.15 * (1 - np.cos(t / 3))  # talking, from a closed mouth
    params[64:72, 0] = np.arange(1, 9) * 5.0 - 5.0
    params[72:77, 0] = 48.0
    params[77:80, 0] = (35.0, 30.0, 25.0)
    face = landmarks_from_params(identity_shape(6, 300) + 170, params)
    face += np.random.default_rng(1).normal(0, 0.3, face.shape)
    shift, zoom = np.zeros((80, 2)), np.ones(80)
    shift[35:37], zoom[35:37] = (60.0, 20.0), 0.8  # the tracker slips onto something else for two frames
    shift[50:60], zoom[50:60] = (-150.0, -100.0), 0.27  # a wide shot
    raw = moved(face, shift, zoom)
    has_face = np.ones(80, bool)
    has_face[20:25] = False
    raw[20:25] = raw[19]  # frames without a face hold the last landmarks, as the analysis does
    return _video(raw, has_face)


def test_a_troubled_video_gets_each_problem_flagged_once_with_its_frames(troubled) -> None:
    check = check_driving(troubled, reference_frame=0)
    found = [(f.kind, f.start, f.stop) for f in check.flags]
    assert found == [
        ("no_face", 20, 25),
        ("glitch", 35, 37),
        ("small_face", 50, 60),
        ("jump", 50, 51),
        ("jump", 60, 61),
        ("pose", 72, 77),
    ]
    messages = {f.kind: f.message for f in check.flags}
    assert "frames 20-24" in messages["no_face"]
    assert "px wide" in messages["small_face"] and "yaw 4" in messages["pose"]
    holdable = check.mask()
    assert holdable[[20, 35, 36, 55, 72]].all() and not holdable[[19, 37, 50 - 1, 60, 71, 77]].any()


def test_a_reference_frame_with_the_mouth_open_gets_a_neutral_one_suggested() -> None:
    params = np.zeros((40, 8))
    params[:, 3] = np.linspace(0.6, 0.0, 40) ** 2  # the mouth closes over the shot
    params[:, 5] = params[:, 6] = (np.arange(40) == 30).astype(float)  # a blink at 30
    raw = landmarks_from_params(identity_shape(7, 300) + 170, params)
    check = check_driving(_video(raw, np.ones(40, bool)), reference_frame=0)
    (flag,) = check.of_kind("reference")
    assert (flag.start, flag.stop) == (0, 1) and "mouth open" in flag.message
    assert check.suggested_reference >= 30 and check.suggested_reference != 30  # closed mouth, eyes open
    assert f"frame {check.suggested_reference} is a better reference" in flag.message
    assert not check_driving(_video(raw, np.ones(40, bool)), reference_frame=check.suggested_reference).of_kind("reference")


def test_a_reference_turned_away_from_the_portrait_is_flagged() -> None:
    params = np.zeros((30, 8))
    params[:, 0] = np.linspace(-30.0, 10.0, 30)
    raw = landmarks_from_params(identity_shape(8, 300) + 170, params)
    portrait = identity_shape(9, 256)  # frontal
    check = check_driving(_video(raw, np.ones(30, bool)), portrait, reference_frame=0)
    (flag,) = check.of_kind("reference")
    assert "turned 3" in flag.message  # about 30 degrees
    assert abs(check.suggested_reference - 22) <= 1  # the frontal frame (yaw 0 at frame 22)


def test_a_performance_is_checked_for_its_pose_only() -> None:
    performance = Performance((Keyframe(0.0, FaceParams()), Keyframe(2.0, FaceParams(yaw=45.0))), fps=10)
    sequence = DrivingSequence.from_performance(performance, identity_shape(1, 128), 128)
    check = check_driving(sequence)
    assert [f.kind for f in check.flags] == ["pose"] and check.flags[0].stop == 21
    assert check.reference_frame is None and check.suggested_reference is None


def test_holding_the_last_good_frame_over_flagged_ones() -> None:
    flagged = np.array([True, False, True, True, False, True])
    np.testing.assert_array_equal(held_frames(flagged), [1, 1, 1, 1, 4, 4])
    np.testing.assert_array_equal(held_frames(np.ones(3, bool)), [0, 1, 2])  # nothing good: leave as is
    values = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(hold_last_good(values, flagged), values[[1, 1, 1, 1, 4, 4]])


def test_megamind_flags_its_cuts_and_suggests_a_neutral_reference(megamind_analysis, megamind_path, report_figure) -> None:
    from core.animation.direction import Director
    from core.faces.driving_check import REFERENCE_MOUTH
    from core.faces.shape_model import fit_shapes, mouth_opening

    sequence = DrivingSequence.from_analysis(megamind_analysis.analysis, megamind_path)
    portrait = identity_shape(1, 128)
    start = time.perf_counter()
    check = check_driving(sequence, portrait)
    trajectory = Director(sequence, portrait, 128).trajectory()
    report_figure("Megamind: check and trajectory after analysis (ms)", round((time.perf_counter() - start) * 1000))
    jumps = {f.start for f in check.of_kind("jump")}
    assert 98 in jumps and 200 in jumps and jumps & {154, 155}  # its three cuts
    assert len(check.flags) < 15  # ordinary talking raises no flags
    assert trajectory.frame_count == 270 and not check.mask()[[50, 120, 250]].any()
    best = check.suggested_reference
    assert sequence.has_face[best] and not check.mask((*HOLDABLE, "jump"))[best]
    assert mouth_opening(fit_shapes(sequence.raw[best]).shape3d)[0] < REFERENCE_MOUTH
