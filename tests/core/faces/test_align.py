"""The canonical crop frames every face alike; pasting a crop back changes only the face."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.faces.align import (
    CANONICAL_EYE_DISTANCE,
    CANONICAL_EYE_Y,
    align_face,
)
from core.faces.image_io import read_image
from core.faces.landmarks import LandmarkDetector, detect_faces


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return points[36:42].mean(0), points[42:48].mean(0)


@pytest.fixture(scope="module")
def obama(obama_path: Path, dlib_detector: LandmarkDetector) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(obama_path)
    return image, detect_faces(image, dlib_detector)[0].landmarks


@pytest.mark.parametrize("size", [128, 256, 512])
def test_eyes_land_on_the_canonical_line(size: int, obama: tuple[np.ndarray, np.ndarray]) -> None:
    _, landmarks = obama
    alignment = align_face(landmarks, size)
    left, right = eye_centres(alignment.to_crop(landmarks))
    centre_x = 0.5 * size - 0.5
    assert abs((left[1] + right[1]) / 2 - (CANONICAL_EYE_Y * size - 0.5)) < 0.02 * size
    assert abs((left[0] + right[0]) / 2 - centre_x) < 0.02 * size
    assert abs(abs(right[1] - left[1])) < 0.02 * size  # level
    assert np.linalg.norm(right - left) == pytest.approx(CANONICAL_EYE_DISTANCE * size, rel=0.08)
    crop_points = alignment.to_crop(landmarks)
    assert (crop_points > 0).all() and (crop_points < size).all()  # the whole face is in the crop
    assert np.allclose(alignment.to_image(crop_points), landmarks, atol=1e-3)


def test_a_rotated_photo_gives_the_same_crop(obama: tuple[np.ndarray, np.ndarray]) -> None:
    image, landmarks = obama
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 20.0, 1.0)
    rotated = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    moved = landmarks @ matrix[:, :2].T + matrix[:, 2]  # the same landmarks, rotated with the photo
    a = align_face(landmarks, 256).crop(image).astype(int)
    b = align_face(moved, 256).crop(rotated).astype(int)
    assert np.abs(a - b)[32:-32, 32:-32].mean() < 4


def test_crops_of_large_faces_are_not_aliased(obama: tuple[np.ndarray, np.ndarray]) -> None:
    """A crop much smaller than the face averages the photo's pixels instead of skipping them."""
    image, landmarks = obama
    stripes = image.copy()
    stripes[::2] = 0  # every other row black: area averaging gives a uniform half-dark picture
    crop = align_face(landmarks, 64).crop(stripes)
    rows = crop[8:-8, 8:-8].astype(float).mean((1, 2))
    assert rows.std() < 0.25 * rows.mean()


def test_faces_cut_by_the_border_are_cropped_with_the_photo_edge_repeated(
    partial_face_path: Path, dlib_detector: LandmarkDetector
) -> None:
    image = read_image(partial_face_path)
    face = detect_faces(image, dlib_detector)[0]
    assert face.landmarks[:, 0].min() < 0  # the face really is cut by the left edge
    alignment = align_face(face.landmarks, 256)
    crop = alignment.crop(image)
    assert crop.shape == (256, 256, 3)
    row = face.landmarks[:, 1].mean()
    x, y = np.round(alignment.to_crop(np.array([[-40.0, row]]))[0]).astype(int)  # beyond the photo
    ex, ey = np.round(alignment.to_crop(np.array([[0.0, row]]))[0]).astype(int)  # on its left edge
    assert 0 <= x < ex < 256 and 0 <= y < 256
    # beyond the photo the crop repeats the photo's edge pixels
    assert np.abs(crop[y, x].astype(int) - crop[ey, ex + 1]).max() < 40
