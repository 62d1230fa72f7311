"""Landmark transformer: strength, relative/absolute transfer, identity adaptation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.errors import ConfigError
from core.faces.mean_shape import mean_shape_2d
from core.faces.performance import FaceParams, landmarks_from_params
from core.faces.shape_model import fit_shapes
from core.faces.transformer import LandmarkTransformer, TransferOptions, region_ratios


def _identity(seed: int, size: int = 256) -> np.ndarray:
    """A face shape of another person: the mean shape with its features re-proportioned."""
    rng = np.random.default_rng(seed)
    shape = mean_shape_2d(size).copy()
    centre = shape.mean(0)
    shape = centre + (shape - centre) * rng.uniform(0.9, 1.1, size=2)
    shape[48:68] = shape[48:68].mean(0) + (shape[48:68] - shape[48:68].mean(0)) * rng.uniform(0.8, 1.25)
    shape[36:48] += rng.normal(0, 0.8, (12, 2))
    return shape


@pytest.fixture
def source() -> np.ndarray:
    return _identity(1)


@pytest.fixture
def driving() -> np.ndarray:
    """A driver who talks and turns: frame 0 neutral and frontal."""
    params = np.zeros((6, 8))
    params[1, 3] = 0.8  # mouth open
    params[2, 4] = 1.0  # smile
    params[3, 5] = 1.0  # blink left
    params[4, 0] = 25.0  # yaw
    params[5, [1, 2]] = (10.0, -8.0)  # pitch, roll
    return landmarks_from_params(_identity(2), params)


def test_strength_zero_keeps_the_source_shape_under_the_driving_pose(source, driving) -> None:
    poses = np.zeros((4, 8))
    poses[1:, :3] = [(25.0, 0.0, 0.0), (0.0, 12.0, -8.0), (-20.0, -10.0, 6.0)]
    poses[:, 3] = [0.0, 0.9, 0.4, 0.0]  # the driver also talks; s = 0 must ignore it
    driver = landmarks_from_params(_identity(2), poses)
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


def test_identity_adaptation_one_returns_the_driving_landmarks(source, driving) -> None:
    tr = LandmarkTransformer(source)
    out = tr.transform(driving, TransferOptions(identity_adaptation=1.0))
    fit_src, fit_drv = fit_shapes(source), fit_shapes(driving)
    # the driver's own landmarks, at the portrait's place and size
    expected = (driving - fit_drv.translation[:, None]) * (fit_src.scale[0] / fit_drv.scale)[:, None, None]
    np.testing.assert_allclose(out, expected + fit_src.translation[0], atol=1e-3)
    shape_out, shape_drv = fit_shapes(out), fit_drv
    np.testing.assert_allclose(shape_out.shape3d, shape_drv.shape3d, atol=1e-3)  # the driver's shape exactly


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
    driving = landmarks_from_params(_identity(3), params)
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
