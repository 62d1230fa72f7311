"""Head pose: known poses are recovered with the documented signs; a frontal portrait is near zero."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.faces.image_io import read_image
from core.faces.landmarks import LandmarkDetector, detect_faces
from core.faces.pose import (
    MEAN_FACE_3D,
    SYMMETRIC_FACE_3D,
    angles_from_matrices,
    camera_matrix,
    estimate_pose,
    matrices_from_angles,
    project,
    rotation_matrices,
    rotation_vectors,
)

POSES = np.array([[0, 0, 0], [25, 0, 0], [0, 15, 0], [0, 0, -20], [-30, -10, 8], [12, 20, -5]], float)


def synthetic_views(angles: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The mean face seen under each pose, 600 units in front of a `camera_matrix(size)` camera."""
    rvecs = rotation_vectors(matrices_from_angles(angles))
    tvecs = np.tile([0.0, 0.0, 600.0], (len(angles), 1))
    return project(SYMMETRIC_FACE_3D, rvecs, tvecs, camera_matrix(size))


def test_known_poses_are_recovered() -> None:
    views = synthetic_views(POSES) + np.random.default_rng(0).normal(0, 0.3, (len(POSES), 68, 2))
    fit = estimate_pose(views, (640, 480))
    assert fit.angles.shape == (len(POSES), 3) and fit.rotation_vectors.shape == (len(POSES), 3)
    assert np.abs(fit.angles - POSES).max() < 1.5
    assert np.allclose(fit.translations[:, 2], 600, rtol=0.05)
    assert np.abs(fit.project() - views).mean() < 1.0


def test_sign_conventions_match_what_the_viewer_sees() -> None:
    frontal, yaw, pitch, roll = synthetic_views(
        np.array([[0, 0, 0], [20, 0, 0], [0, 20, 0], [0, 0, 20]], float)
    )
    nose = 30
    assert yaw[nose, 0] > frontal[nose, 0] + 5  # yaw > 0: the nose moves to the image's right
    assert pitch[nose, 1] < frontal[nose, 1] - 5  # pitch > 0: the nose moves up
    eye_line = roll[45] - roll[36]
    assert eye_line[1] > 0  # roll > 0: clockwise on screen, the image-right eye goes down


def test_mirrored_landmarks_negate_yaw_and_roll() -> None:
    from core.faces.regions import MIRROR_PERMUTATION

    views = synthetic_views(POSES)
    mirrored = views[:, list(MIRROR_PERMUTATION)].copy()
    mirrored[..., 0] = 639 - mirrored[..., 0]
    angles = estimate_pose(mirrored, (640, 480)).angles
    assert np.abs(angles - POSES * [-1, 1, -1]).max() < 0.1


def test_symmetric_model_is_the_mean_face_made_symmetric() -> None:
    from core.faces.pose import _mirror_permutation
    from core.faces.regions import MIRROR_PERMUTATION

    assert tuple(_mirror_permutation(MEAN_FACE_3D)) == MIRROR_PERMUTATION
    mirrored = (SYMMETRIC_FACE_3D * [-1, 1, 1])[list(MIRROR_PERMUTATION)]
    assert np.allclose(mirrored, SYMMETRIC_FACE_3D)
    assert np.abs(SYMMETRIC_FACE_3D - MEAN_FACE_3D).max() < 4.0


def test_faces_off_the_optical_axis_looking_at_the_camera_have_zero_angles() -> None:
    """A face near the top left of the frame, turned to face the lens, reads as frontal."""
    from core.faces.pose import line_of_sight

    t = np.array([-250.0, -180.0, 600.0])
    facing = line_of_sight(t)  # the head turned so that its front points back along the ray
    rvec = rotation_vectors(facing)
    view = project(SYMMETRIC_FACE_3D, rvec, t, camera_matrix((640, 480)))
    fit = estimate_pose(view, (640, 480))
    assert np.abs(fit.angles).max() < 0.1
    assert np.allclose(fit.rotations[0], facing, atol=1e-4)


def test_sequences_use_the_previous_frame_and_survive_missing_frames() -> None:
    sweep = np.stack([np.linspace(-30, 30, 40), np.linspace(10, -10, 40), np.zeros(40)], -1)
    views = synthetic_views(sweep)
    views[5] = np.nan
    fit = estimate_pose(views, (640, 480))
    assert np.isnan(fit.angles[5]).all()
    good = np.delete(np.arange(40), 5)
    assert np.abs(fit.angles[good] - sweep[good]).max() < 0.5


def test_vectorised_helpers_agree_with_opencv() -> None:
    angles = POSES[1:]
    mats = matrices_from_angles(angles)
    assert np.allclose(angles_from_matrices(mats), angles)
    rvecs = rotation_vectors(mats)
    assert np.allclose(rotation_matrices(rvecs), mats)
    for rvec, mat in zip(rvecs, mats, strict=True):
        assert np.allclose(cv2.Rodrigues(rvec)[0], mat)
    k = camera_matrix((640, 480))
    tvec = np.array([10.0, -5.0, 500.0])
    ours = project(MEAN_FACE_3D, rvecs[0], tvec, k)
    theirs = cv2.projectPoints(MEAN_FACE_3D, rvecs[0], tvec, k, None)[0][:, 0]
    assert ours.shape == (68, 2) and np.allclose(ours, theirs)
    batch = project(np.stack([MEAN_FACE_3D] * 2), rvecs[:2], np.stack([tvec] * 2), k)
    assert batch.shape == (2, 68, 2) and np.allclose(batch[0], ours)


@pytest.mark.parametrize("name", ["obama", "astronaut"])
def test_frontal_portrait_is_within_ten_degrees_of_zero(
    name: str, obama_path: Path, astronaut: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    image = read_image(obama_path) if name == "obama" else astronaut
    face = detect_faces(image, dlib_detector)[0]
    fit = estimate_pose(face.landmarks, (image.shape[1], image.shape[0]))
    assert np.abs(fit.angles[0]).max() < 10.0, fit.angles[0]
