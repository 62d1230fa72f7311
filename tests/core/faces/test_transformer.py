"""Landmark transformer: strength, relative/absolute transfer, identity adaptation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.errors import ConfigError
from core.faces.performance import FaceParams, landmarks_from_params
from core.faces.pose import rotation_vectors
from core.faces.shape_model import fit_shapes, neck_swing
from core.faces.transformer import (
    MAX_TURN_DEGREES,
    LandmarkTransformer,
    TransferOptions,
    region_ratios,
    soft_clip,
)
from tests.core.faces.face_shapes import identity_shape, moved


@pytest.fixture
def source() -> np.ndarray:
    return identity_shape(1)


@pytest.fixture
def driving() -> np.ndarray:
    """A driver who talks and turns: frame 0 neutral and frontal."""
    params = np.zeros((6, 8))
    params[1, 3] = 0.8  # mouth open
    params[2, 4] = 1.0  # smile
    params[3, 5] = 1.0  # blink left
    params[4, 0] = 25.0  # yaw
    params[5, [1, 2]] = (10.0, -8.0)  # pitch, roll
    return landmarks_from_params(identity_shape(2), params)


def test_strength_zero_keeps_the_source_shape_under_the_driving_pose(source, driving) -> None:
    poses = np.zeros((4, 8))
    poses[1:, :3] = [(25.0, 0.0, 0.0), (0.0, 12.0, -8.0), (-20.0, -10.0, 6.0)]
    poses[:, 3] = [0.0, 0.9, 0.4, 0.0]  # the driver also talks; s = 0 must ignore it
    driver = landmarks_from_params(identity_shape(2), poses)
    out = LandmarkTransformer(source).transform(driver, TransferOptions(strength=0.0, reference_frame=0))
    pose_only = poses.copy()
    pose_only[:, 3:] = 0
    expected = landmarks_from_params(source, pose_only)  # the source's own face, turned like the driver
    np.testing.assert_allclose(out[0], source, atol=1e-3)  # at the reference: exactly the source
    assert np.abs(out - expected).max() < 2.0  # px on a ~150 px face (pose estimates are approximate)
    opened = np.linalg.norm(out[:, 66] - out[:, 62], axis=-1)
    assert np.ptp(opened) < 1.0  # the driver's open mouth is not carried over


def test_full_strength_relative_moves_each_region_by_the_scaled_driving_displacement(source, driving) -> None:
    tr = LandmarkTransformer(source)
    frontal = driving[:4]  # neutral, mouth open, smile, blink: no head motion
    out = tr.transform(frontal, TransferOptions(strength=1.0, reference_frame=0))
    fit_src, fit_drv = fit_shapes(source), fit_shapes(frontal)
    ratios = region_ratios(fit_src.shape3d[0], fit_drv.shape3d[0])
    # Displacements in each face's own pose-free frame: image motion / scale, rotated back.
    driving_motion = np.einsum("tni,ij->tnj", (frontal - frontal[0]) / fit_drv.scale[0], fit_drv.rotation[0, :2])
    source_motion = (out - source) / fit_src.scale[0]
    expected = np.einsum("ij,tnj->tni", fit_src.rotation[0, :2], ratios * driving_motion)
    np.testing.assert_allclose(source_motion, expected, atol=1e-4)  # float32 output
    assert np.abs(source_motion[1, 57]).max() > 5  # the mouth really opened


def test_intermediate_strength_is_monotone(source, driving) -> None:
    tr = LandmarkTransformer(source)
    ref = tr.transform(driving, TransferOptions(strength=0.0, reference_frame=0))
    distances = [
        np.abs(tr.transform(driving, TransferOptions(strength=s, reference_frame=0)) - ref).sum()
        for s in np.linspace(0, 1, 6)
    ]
    assert all(b > a for a, b in itertools.pairwise(distances))


def test_identity_adaptation_one_gives_the_drivers_shape_under_the_directed_pose(source, driving) -> None:
    tr = LandmarkTransformer(source)
    fit_drv = fit_shapes(driving)
    amounts = TransferOptions().amounts()
    plain = tr.transfer(fit_drv, fit_drv.take(0), amounts)
    adapted = tr.transfer(fit_drv, fit_drv.take(0), {**amounts, "identity_adaptation": 1.0})
    np.testing.assert_allclose(adapted.shape3d, fit_drv.shape3d, atol=1e-9)  # the driver's shape exactly
    np.testing.assert_allclose(adapted.rotation, plain.rotation, atol=1e-12)  # the pose still relative
    # Absolute mode: the driver's own landmarks at the portrait's size, at its place at the reference
    # frame, and turning on the neck from there.
    out = tr.transform(driving, TransferOptions(identity_adaptation=1.0, relative=False))
    fit_src = fit_shapes(source)
    expected = (driving - fit_drv.translation[:, None]) * (fit_src.scale[0] / fit_drv.scale)[:, None, None]
    scale = np.full(len(driving), fit_src.scale[0])
    at_reference = fit_drv.rotation[tr.reference_index(fit_drv, None)]
    swing = neck_swing(scale, np.broadcast_to(at_reference, fit_drv.rotation.shape), fit_drv.rotation)
    np.testing.assert_allclose(out, expected + fit_src.translation[0] + swing[:, None], atol=1e-3)


def test_the_driver_moving_across_the_frame_does_not_move_the_portrait(source, driving) -> None:
    moved = driving.copy()
    moved[3:] = (moved[3:] - moved[3:].mean(1, keepdims=True)) * 1.5 + moved[3:].mean(1, keepdims=True) + 80.0
    tr = LandmarkTransformer(source)
    options = TransferOptions(reference_frame=0)
    still, walked = tr.transform(driving, options), tr.transform(moved, options)
    np.testing.assert_allclose(walked, still, atol=1e-3)


def test_absolute_mode_carries_the_driving_expression_onto_source_proportions(source, driving) -> None:
    tr = LandmarkTransformer(source)
    out = tr.transform(driving[:3], TransferOptions(relative=False))
    opening = np.linalg.norm(out[:, 66] - out[:, 62], axis=-1)
    assert opening[1] > opening[0] + 5  # the open mouth shows on the source
    assert np.linalg.norm(out[0] - source, axis=-1).mean() < 4  # a neutral driver leaves the source near itself


def test_default_reference_is_the_frame_closest_to_the_source(source) -> None:
    params = np.zeros((5, 8))
    params[:, 0] = [30, 20, 0.5, -20, -30]  # only frame 2 is frontal like the source
    params[:, 3] = [0.5, 0.5, 0.0, 0.5, 0.5]
    driving = landmarks_from_params(identity_shape(3), params)
    tr = LandmarkTransformer(source)
    assert tr.closest_frame(fit_shapes(driving)) == 2


def test_a_whole_video_transforms_at_once_frame_by_frame_identically(source, driving) -> None:
    long = np.concatenate([driving] * 50)  # 300 frames in one vectorised call
    tr = LandmarkTransformer(source)
    options = TransferOptions(strength=0.7, reference_frame=0)
    out = tr.transform(long, options)
    assert out.shape == long.shape
    np.testing.assert_allclose(out[:6], tr.transform(driving, options), atol=1e-4)


def test_options_out_of_range_are_rejected(source, driving) -> None:
    with pytest.raises(ConfigError, match="strength must be between 0 and 1"):
        TransferOptions(strength=1.5)
    with pytest.raises(ConfigError, match="reference frame 99"):
        LandmarkTransformer(source).transform(driving, TransferOptions(reference_frame=99))


def test_parameters_at_zero_reproduce_the_source(source) -> None:
    np.testing.assert_allclose(landmarks_from_params(source, FaceParams()), source, atol=1e-9)


def test_mouth_strength_zero_keeps_the_sources_mouth_while_the_eyes_follow(source) -> None:
    params = np.zeros((2, 8))
    params[1, [3, 5]] = (0.9, 1.0)  # the driver opens the mouth and closes the left eye
    driver = landmarks_from_params(identity_shape(2), params)
    out = LandmarkTransformer(source).transform(driver, TransferOptions(mouth=0.0, reference_frame=0))
    mouth_and_jaw = list(range(0, 17)) + list(range(48, 68))
    np.testing.assert_allclose(out[1, mouth_and_jaw], source[mouth_and_jaw], atol=1e-3)
    lid_gap = np.linalg.norm(out[:, [37, 38]] - out[:, [41, 40]], axis=-1).mean(-1)
    assert lid_gap[1] < 0.25 * lid_gap[0]  # the left eye closed as the driver's did


def test_region_strength_above_one_exaggerates_the_regions_motion(source) -> None:
    params = np.zeros((2, 8))
    params[1, [3, 7]] = (0.5, 0.6)  # mouth open, brows raised
    driver = landmarks_from_params(identity_shape(2), params)
    tr = LandmarkTransformer(source)
    normal = tr.transform(driver, TransferOptions(reference_frame=0))
    bigger = tr.transform(driver, TransferOptions(reference_frame=0, mouth=1.5, brows=1.5))
    for region in (list(range(48, 68)), list(range(17, 27))):
        np.testing.assert_allclose(bigger[1, region] - source[region], 1.5 * (normal[1, region] - source[region]), atol=1e-3)
    np.testing.assert_allclose(bigger[1, 36:48], normal[1, 36:48], atol=1e-4)  # the eyes as before


def test_head_rotation_strength_scales_the_turn_from_the_reference(source) -> None:
    params = np.zeros((2, 8))
    params[1, 0] = 30.0
    driver = landmarks_from_params(identity_shape(2), params)
    fit = fit_shapes(driver)
    tr = LandmarkTransformer(source)
    turns = []
    for amount in (0.0, 0.5, 1.0):
        head = tr.transfer(fit, fit.take(0), {**TransferOptions().amounts(), "head_rotation": amount})
        turn = head.rotation[1] @ tr.source.rotation[0].T
        turns.append(np.degrees(np.linalg.norm(rotation_vectors(turn))))
    assert turns[0] < 1e-6  # the portrait keeps its own pose
    assert turns[1] == pytest.approx(turns[2] / 2, rel=1e-6)
    assert turns[2] == pytest.approx(30.0, abs=1.0)


def test_head_position_follows_the_drivers_move_and_zoom_relative_to_the_reference(source, driving) -> None:
    walked = moved(driving[0], np.array([[0.0, 0.0], [12.0, -5.0]]), np.array([1.0, 1.1]))
    tr = LandmarkTransformer(source, crop_size=256)
    fit = fit_shapes(walked)
    head = tr.transfer(fit, fit.take(0), {**TransferOptions().amounts(), "head_position": 1.0})
    size_ratio = tr.source.scale[0] / fit.scale[0]
    assert head.scale[1] / head.scale[0] == pytest.approx(1.1, rel=1e-6)
    np.testing.assert_allclose(head.translation[1] - head.translation[0], size_ratio * (fit.translation[1] - fit.translation[0]))
    still = tr.transform(walked, TransferOptions(reference_frame=0))
    np.testing.assert_allclose(still[1], still[0], atol=1e-3)  # position strength 0: the portrait stays put


def test_a_head_that_moves_far_stays_inside_the_crop_and_slows_to_a_stop(source, driving) -> None:
    shifts = np.zeros((40, 2))
    shifts[:, 0] = np.linspace(0, 400, 40)  # the driver walks far out of frame to the right
    zooms = np.linspace(1.0, 3.0, 40)  # and toward the camera
    walked = moved(driving[0], shifts, zooms)
    out = LandmarkTransformer(source, crop_size=256).transform(walked, TransferOptions(reference_frame=0, head_position=1.5))
    assert out.min() >= 0.03 * 256 - 1e-3 and out.max() <= 255 - 0.03 * 256 + 1e-3
    right = out[:, :, 0].max(1)
    assert np.all(np.diff(right) >= -1e-6)  # it never moves back
    width = np.linalg.norm(out[:, 16] - out[:, 0], axis=-1)
    assert width.max() <= 1.3 * width[0] + 1e-3  # and grows by 30 % at most


def test_an_exaggerated_turn_is_limited(source) -> None:
    params = np.zeros((1, 8))
    params[0, 0] = 45.0
    driver = landmarks_from_params(identity_shape(2), np.concatenate([np.zeros((1, 8)), params]))
    tr = LandmarkTransformer(source)
    fit = fit_shapes(driver)
    head = tr.limit(tr.transfer(fit, fit.take(0), {**TransferOptions().amounts(), "head_rotation": 1.5}))
    turn = np.degrees(np.linalg.norm(rotation_vectors(head.rotation[1] @ tr.source.rotation[0].T)))
    assert 50.0 < turn <= MAX_TURN_DEGREES


def test_soft_clip_is_the_identity_below_the_knee_and_never_passes_the_limit() -> None:
    x = np.linspace(-10, 10, 2001)
    y = soft_clip(x, -2.0, 4.0, knee=0.5)
    inside = (x >= -1.0) & (x <= 2.0)
    np.testing.assert_array_equal(y[inside], x[inside])
    assert y.min() > -2.0 and y.max() < 4.0
    assert np.all(np.diff(y) > 0)  # monotone
    slope = np.diff(y) / np.diff(x)
    assert np.abs(np.diff(slope)).max() < 0.01  # no kink at the knees


def test_a_tilt_turns_the_head_on_its_neck_the_chin_stays_and_the_crown_moves(source) -> None:
    params = np.zeros((2, 8))
    params[1, 2] = 15.0  # roll
    tilted = landmarks_from_params(identity_shape(2), params)
    out = LandmarkTransformer(source).transform(tilted, TransferOptions(reference_frame=0))
    chin_move = np.linalg.norm(out[1, 8] - out[0, 8])
    brow_move = np.linalg.norm(out[1, 17:27].mean(0) - out[0, 17:27].mean(0))
    assert brow_move > 3 * chin_move  # about the neck, not about the nose (which would move both alike)
