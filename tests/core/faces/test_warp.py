"""The landmark-driven warp: points move where they are told, the rest follows smoothly, fast."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.faces.mean_shape import MEAN_SHAPE
from core.faces.warp import warp_image, warp_maps


def face_points(size: int) -> np.ndarray:
    return MEAN_SHAPE * 0.56 * size + np.array([0.22, 0.26]) * size


def smooth_image(size: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful image, so that bilinear sampling is close to the continuous picture."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def bilinear(image: np.ndarray, x: float, y: float) -> np.ndarray:
    patch = cv2.getRectSubPix(image.astype(np.float32), (1, 1), (float(x), float(y)))
    return patch[0, 0]


def test_unchanged_landmarks_leave_the_image_unchanged(astronaut: np.ndarray) -> None:
    image = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    points = face_points(256)
    warped = warp_image(image, points, points)
    assert warped.dtype == np.uint8 and warped.shape == image.shape
    assert np.abs(warped.astype(int) - image).max() <= 1


def test_content_at_the_source_points_lands_on_the_destination_points() -> None:
    size = 128
    image = smooth_image(size)
    src = face_points(size)
    rng = np.random.default_rng(1)
    dst = np.round(src + rng.normal(0, 2.0, src.shape))  # integer targets: a pixel sits exactly there
    dst[[60, 64]] = src[[60, 64]].round()  # keep coincident-free
    warped = warp_image(image, src, dst)
    errors = [np.abs(warped[int(y), int(x)].astype(float) - bilinear(image, *s)).max()
              for (x, y), s in zip(dst, src, strict=True)]
    assert np.median(errors) <= 1.5
    assert np.max(errors) <= 6  # the few points on steep colour slopes round a little more


def test_a_translated_face_moves_its_features_and_keeps_the_border() -> None:
    size = 96
    image = np.full((size, size, 3), 40, np.uint8)
    src = face_points(size)
    nose = src[30]
    cv2.circle(image, (round(nose[0]), round(nose[1])), 3, (255, 255, 255), -1)
    dst = src + np.array([6.0, 4.0])
    warped = warp_image(image, src, dst)
    bright = np.argwhere(warped[..., 0] > 200)
    centre = bright.mean(0)[::-1]  # (x, y)
    assert np.allclose(centre, nose + np.array([6.0, 4.0]), atol=1.0)
    # The frame's border is anchored: corners and edges keep their content.
    assert (warped[0] == 40).all() and (warped[-1] == 40).all() and (warped[:, 0] == 40).all()


def test_a_rigid_motion_of_all_landmarks_is_that_motion_inside_the_face() -> None:
    size = 128
    src = face_points(size)
    angle, scale, shift = np.deg2rad(6.0), 1.05, np.array([3.0, -2.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = src.mean(0)
    dst = (src - centre) @ rotation.T + centre + shift
    map_x, map_y = warp_maps(src, dst, size, size)
    hull = cv2.convexHull(dst[27:].astype(np.float32))  # eyes, nose, mouth: far from the border anchors
    inside = [(x, y) for y in range(size) for x in range(size)
              if cv2.pointPolygonTest(hull, (float(x), float(y)), True) > 1.0]
    points = np.array(inside, np.float64)
    expected = (points - centre - shift) @ np.linalg.inv(rotation).T + centre  # where dst pixels come from
    got = np.stack([map_x[points[:, 1].astype(int), points[:, 0].astype(int)],
                    map_y[points[:, 1].astype(int), points[:, 0].astype(int)]], 1)
    assert len(points) > 500
    assert np.abs(got - expected).max() < 1e-3


def test_maps_have_no_seams_where_triangles_meet() -> None:
    size = 128
    src = face_points(size)
    dst = src + np.random.default_rng(2).normal(0, 1.0, src.shape)
    map_x, map_y = warp_maps(src, dst, size, size)
    # Neighbouring output pixels sample nearby places (a pixel given the map of a sliver triangle it
    # does not lie in would jump by many pixels).
    for m in (map_x, map_y):
        assert np.abs(np.diff(m, axis=0)).max() < 4.0
        assert np.abs(np.diff(m, axis=1)).max() < 4.0


def test_float_images_stay_float_and_many_channels_work() -> None:
    size = 64
    src = face_points(size)
    dst = src + 1.5
    image = np.random.default_rng(3).random((size, size, 6)).astype(np.float64)
    warped = warp_image(image, src, dst)
    assert warped.dtype == np.float64 and warped.shape == image.shape
    gray = warp_image(image[..., 0].astype(np.float32), src, dst)
    assert gray.shape == (size, size) and np.allclose(gray, warped[..., 0], atol=1e-5)


def test_coincident_and_out_of_frame_landmarks_still_warp() -> None:
    size = 64
    src = face_points(size)
    dst = src.copy()
    dst[61:64] = dst[65:68][::-1]  # a closed mouth: inner lips on top of each other
    dst[0] = [-10.0, 30.0]  # a jaw point outside the frame
    warped = warp_image(smooth_image(size), src, dst)
    assert warped.shape == (size, size, 3)


def test_bad_landmarks_are_refused_with_their_name() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="src_landmarks"):
        warp_image(image, np.zeros((68, 3)), np.zeros((68, 2)))
    with pytest.raises(ValueError, match="same shape"):
        warp_image(image, np.zeros((68, 2)), np.zeros((67, 2)))
    with pytest.raises(ValueError, match="NaN"):
        warp_image(image, np.full((68, 2), np.nan), np.zeros((68, 2)))
