"""Stabilisation: the driver's position, size and rotation pulled toward the reference, each on its own."""

from __future__ import annotations

import numpy as np
import pytest

from core.faces.performance import landmarks_from_params
from core.faces.pose import rotation_vectors
from core.faces.shape_model import fit_shapes
from core.faces.stabilise import stabilise
from tests.core.faces.face_shapes import identity_shape, moved


@pytest.fixture
def walker():
    """A driver walking right and toward the camera while turning and talking: 20 frames."""
    params = np.zeros((20, 8))
    params[:, 0] = np.linspace(0, 30, 20)
    params[:, 3] = np.linspace(0, 0.8, 20)
    face = landmarks_from_params(identity_shape(3), params)
    return fit_shapes(moved(face, np.stack([np.linspace(0, 60, 20), np.zeros(20)], -1), np.linspace(1.0, 1.5, 20)))


def _turn(fit, reference) -> np.ndarray:
    return np.degrees(np.linalg.norm(rotation_vectors(fit.rotation @ reference.rotation[0].T), axis=-1))


def test_no_lock_leaves_the_driver_as_it_moves(walker) -> None:
    assert stabilise(walker, walker.take(0)) is walker


def test_each_lock_holds_its_own_part_of_the_pose_at_the_reference(walker) -> None:
    reference = walker.take(0)
    scale_locked = stabilise(walker, reference, scale=1.0)
    np.testing.assert_allclose(scale_locked.scale, reference.scale[0])
    np.testing.assert_array_equal(scale_locked.translation, walker.translation)  # still walks across
    np.testing.assert_array_equal(scale_locked.rotation, walker.rotation)  # and turns
    position_locked = stabilise(walker, reference, position=1.0)
    np.testing.assert_allclose(position_locked.translation, np.broadcast_to(reference.translation[0], (20, 2)))
    np.testing.assert_array_equal(position_locked.scale, walker.scale)
    rotation_locked = stabilise(walker, reference, rotation=1.0)
    assert _turn(rotation_locked, reference).max() < 1e-6
    for fit in (scale_locked, position_locked, rotation_locked):
        np.testing.assert_array_equal(fit.shape3d, walker.shape3d)  # the expression is never touched


def test_a_partial_lock_scales_the_motion_away_from_the_reference(walker) -> None:
    reference = walker.take(0)
    half = stabilise(walker, reference, position=0.5, scale=0.5, rotation=0.5)
    np.testing.assert_allclose(half.translation - reference.translation[0], 0.5 * (walker.translation - reference.translation[0]))
    np.testing.assert_allclose(half.scale / reference.scale[0], np.sqrt(walker.scale / reference.scale[0]))
    np.testing.assert_allclose(_turn(half, reference), 0.5 * _turn(walker, reference), atol=1e-6)


def test_lock_amounts_can_change_from_frame_to_frame(walker) -> None:
    amounts = np.linspace(0.0, 1.0, 20)  # a keyed lock, easing in
    locked = stabilise(walker, walker.take(0), scale=amounts)
    assert locked.scale[0] == walker.scale[0] and locked.scale[-1] == pytest.approx(walker.scale[0])
    ratio = locked.scale / walker.scale[0]
    assert ratio.max() < (walker.scale / walker.scale[0]).max()
