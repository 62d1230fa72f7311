"""The directed motion: controls and keys over a video or a performance -> the landmarks the renderer draws."""

from __future__ import annotations

import numpy as np
import pytest

from core.animation.direction import Direction, Director, directed_landmarks, still_sequence
from core.animation.tracks import Animation, Controls
from core.config import RenderOptions
from core.faces.driving import DrivingSequence
from core.faces.performance import FaceParams, Keyframe, Performance, landmarks_from_params
from core.faces.shape_model import eye_openness, fit_shapes
from core.faces.smoothing import jitter, smooth_landmarks
from core.faces.transformer import LandmarkTransformer, TransferOptions
from tests.core.faces.face_shapes import identity_shape, moved

SIZE = 256


def video(landmarks: np.ndarray, fps: float = 25.0) -> DrivingSequence:
    """A video's driving sequence from its (T, 68, 2) landmarks in its own pixels (640x480)."""
    raw = np.asarray(landmarks, np.float32)
    faces = np.ones(len(raw), bool)
    return DrivingSequence(
        kind="video", name="constructed.mp4", fps=fps, raw=raw, has_face=faces, frame_size=(640, 480),
        smoother=lambda amount: smooth_landmarks(raw, fps, amount, has_face=faces),
    )  # fmt: skip


@pytest.fixture
def source() -> np.ndarray:
    return identity_shape(1, SIZE)


@pytest.fixture
def talker() -> DrivingSequence:
    """A driver who turns, talks and blinks, with tracking jitter, 60 frames."""
    t = np.arange(60)
    params = np.zeros((60, 8))
    params[:, 0] = 15 * np.sin(t / 9)
    params[:, 3] = np.clip(np.sin(t / 4), 0, 1) * 0.7
    params[:, 5] = params[:, 6] = (t % 25 == 12).astype(float)
    face = landmarks_from_params(identity_shape(2, 300) + 150, params)
    return video(face + np.random.default_rng(0).normal(0, 0.6, face.shape))


def test_with_default_controls_a_video_moves_the_portrait_as_before(source, talker) -> None:
    landmarks = talker.landmarks(0.5, SIZE)
    before = LandmarkTransformer(source).transform(landmarks, TransferOptions(), valid=talker.has_face)
    np.testing.assert_allclose(directed_landmarks(talker, source, SIZE), before, atol=1e-4)
    options = TransferOptions(strength=0.6, identity_adaptation=0.3, relative=False, reference_frame=7)
    render_options = RenderOptions(strength=0.6, identity_adaptation=0.3, relative=False, reference_frame=7)
    direction = Direction.from_render_options(render_options)
    assert direction == Direction(Controls(strength=0.6, identity_adaptation=0.3), relative=False, reference_frame=7)
    np.testing.assert_allclose(
        directed_landmarks(talker, source, SIZE, direction),
        LandmarkTransformer(source).transform(landmarks, options, valid=talker.has_face),
        atol=1e-3,
    )


def test_some_frames_are_the_same_rows_as_all_frames(source, talker) -> None:
    director = Director(talker, source, SIZE)
    animation = Animation().set_key("smile", 0, 0.0).set_key("smile", 59, 1.0).set_key("smoothing", 30, 0.1)
    everything = director.landmarks(Direction(animation=animation))
    np.testing.assert_allclose(director.landmarks(Direction(animation=animation), [3, 40, 59]), everything[[3, 40, 59]], atol=1e-5)


def test_the_portrait_keeps_its_size_when_the_driver_walks_toward_the_camera_with_the_scale_locked(source, talker) -> None:
    zoom = np.linspace(1.0, 1.6, 60)  # walking toward the camera
    walking = video(moved(talker.raw, np.zeros((60, 2)), zoom))
    director = Director(walking, source, SIZE)
    follow = Controls(head_position=1.0, smoothing=0.0)
    width = lambda lm: np.linalg.norm(lm[:, 16] - lm[:, 0], axis=-1)  # noqa: E731
    grows = width(director.landmarks(Direction(follow, reference_frame=0)))
    assert grows[-1] > 1.2 * grows[0]  # following the driver, the head grows
    locked = director.head(Direction(follow.with_values(lock_scale=1.0), reference_frame=0))
    np.testing.assert_allclose(locked.scale, locked.scale[0], rtol=1e-9)  # exactly the reference size
    trajectory = director.trajectory(Direction(follow.with_values(lock_scale=1.0), reference_frame=0))
    assert trajectory.raw["scale"][-1] > 1.5 and np.allclose(trajectory.used["scale"], 1.0)
    still = Director(walking, source, SIZE).head(Direction(Controls(smoothing=0.0), reference_frame=0))
    np.testing.assert_allclose(still.scale, still.scale[0])  # and by default the portrait never follows


def test_pose_and_expression_controls_mean_what_they_mean_in_a_performance(source) -> None:
    params = FaceParams(yaw=20.0, pitch=-8.0, mouth_open=0.6, smile=0.3, blink_left=1.0, brow_raise=0.5)
    controls = Controls(**{name: value for name, value in params.__dict__.items()})
    keyed = directed_landmarks(still_sequence(source, 3, SIZE), source, SIZE, Direction(controls))
    np.testing.assert_allclose(keyed, np.broadcast_to(landmarks_from_params(source, params), keyed.shape), atol=1e-4)


def test_a_wink_on_top_of_a_video_closes_one_eye_and_leaves_the_other_as_driven(source, talker) -> None:
    director = Director(talker, source, SIZE)
    plain = eye_openness(fit_shapes(director.landmarks()).shape3d)
    wink = eye_openness(fit_shapes(director.landmarks(Direction(Controls(blink_left=1.0)))).shape3d)
    assert wink[:, 0].max() < 0.05 < plain[:, 0].min()  # the left eye stays shut
    np.testing.assert_allclose(wink[:, 1], plain[:, 1], atol=1e-4)  # the right one blinks with the driver


def test_keyed_smoothing_at_a_constant_value_equals_that_static_smoothing(source, talker) -> None:
    director = Director(talker, source, SIZE)
    keyed = Animation().set_key("smoothing", 0, 0.35).set_key("smoothing", 59, 0.35)
    static = Direction(Controls(smoothing=0.35))
    np.testing.assert_allclose(director.landmarks(Direction(animation=keyed)), director.landmarks(static), atol=1e-5)
    ramp = Animation().set_key("smoothing", 0, 0.0, "linear").set_key("smoothing", 59, 1.0)
    used = director.trajectory(Direction(animation=ramp)).used
    raw = director.trajectory(Direction(Controls(smoothing=0.0))).used
    calm = director.trajectory(Direction(Controls(smoothing=1.0))).used
    for channel in ("yaw", "pitch", "roll", "mouth", "eye_left"):
        assert used[channel][0] == pytest.approx(raw[channel][0], abs=1e-6)  # the ramp starts unsmoothed
        assert used[channel][-1] == pytest.approx(calm[channel][-1], abs=1e-6)  # and ends fully smoothed
    out = director.landmarks(Direction(animation=ramp))
    assert jitter(out[40:]) < jitter(director.landmarks(Direction(Controls(smoothing=0.0)))[40:])


def test_trajectory_shows_the_driver_raw_as_used_and_the_portrait(source, talker) -> None:
    director = Director(talker, source, SIZE)
    trajectory = director.trajectory(Direction(Controls(smoothing=0.8, yaw=10.0)))
    assert trajectory.frame_count == 60
    assert set(trajectory.raw) == set(trajectory.used) == set(trajectory.result)
    second = lambda x: np.abs(np.diff(x, 2)).mean()  # noqa: E731
    assert second(trajectory.used["yaw"]) < 0.5 * second(trajectory.raw["yaw"])  # smoothing calms the jitter
    turn = trajectory.result["yaw"] - trajectory.used["yaw"]
    assert np.median(turn - np.median(turn)) == pytest.approx(0.0, abs=1.0)  # the portrait turns with the driver
    closed = trajectory.raw["eye_left"][12] < 0.5 * np.median(trajectory.raw["eye_left"])
    assert closed  # the blink shows as a dip


def test_a_performance_as_driver_is_scaled_by_the_strengths(source) -> None:
    performance = Performance(
        (Keyframe(0.0, FaceParams()), Keyframe(1.0, FaceParams(yaw=20, mouth_open=0.8, blink_right=1.0))), fps=10
    )
    sequence = DrivingSequence.from_performance(performance, source, SIZE)
    director = Director(sequence, source, SIZE)
    np.testing.assert_allclose(director.landmarks(), sequence.raw, atol=1e-4)  # as the file says
    no_mouth = director.landmarks(Direction(Controls(mouth=0.0)))[-1]
    np.testing.assert_allclose(no_mouth, landmarks_from_params(source, FaceParams(yaw=20, blink_right=1.0)), atol=1e-4)
    unturned = director.landmarks(Direction(Controls(lock_rotation=1.0)))[-1]
    np.testing.assert_allclose(unturned, landmarks_from_params(source, FaceParams(mouth_open=0.8, blink_right=1.0)), atol=1e-4)
    assert director.reference_frame() is None  # measured from the portrait itself
