"""Landmark-driven image warping: move the points at `src` to `dst`, and the rest of the image smoothly.

Piecewise affine over a Delaunay triangulation of the *destination* landmarks plus eight anchor points on
a rectangle just outside the image (corners and edge midpoints, fixed in place). Every output pixel is
located in its destination triangle (`scipy.spatial.Delaunay.find_simplex`); its barycentric
coordinates there, applied to the source triangle, give the pixel's sampling position (a backward
map), and `cv2.remap` samples the image bilinearly. The map is continuous across triangle edges (even
where the source triangles fold over), exact at the landmarks, and nearly the identity at the border.

Used to make training pairs from still photos (a photo warped to landmarks from the performance model)
and as the `warp` baseline of the evaluation. About 2-3 ms for a 256 px image on one CPU core.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import Delaunay


def _check_points(points: np.ndarray, name: str) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2), got {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return points


def _anchors(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Corners and edge midpoints of a rectangle that contains the image and every point, with a margin."""
    lo = np.minimum(points.min(0), [-0.5, -0.5]) - 2.0
    hi = np.maximum(points.max(0), [width - 0.5, height - 0.5]) + 2.0
    mid = (lo + hi) / 2
    xs, ys = (lo[0], mid[0], hi[0]), (lo[1], mid[1], hi[1])
    return np.array([(x, y) for y in ys for x in xs if not (x == mid[0] and y == mid[1])], dtype=np.float64)


def warp_maps(
    src_landmarks: np.ndarray, dst_landmarks: np.ndarray, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Backward maps (map_x, map_y), each (height, width) float32, for `cv2.remap`.

    Pixel (y, x) of the warped image samples the original at (map_y[y, x], map_x[y, x]).
    """
    src = _check_points(src_landmarks, "src_landmarks")
    dst = _check_points(dst_landmarks, "dst_landmarks")
    if src.shape != dst.shape:
        raise ValueError(f"src_landmarks {src.shape} and dst_landmarks {dst.shape} must have the same shape")
    anchors = _anchors(np.concatenate([src, dst]), height, width)
    src_all = np.concatenate([src, anchors])
    dst_all = np.concatenate([dst, anchors])
    # Coincident destination points (a closed mouth's inner lips) would make degenerate triangles: keep one.
    _, first = np.unique(np.round(dst_all, 4), axis=0, return_index=True)
    keep = np.sort(first)
    src_all, dst_all = src_all[keep], dst_all[keep]
    triangulation = Delaunay(dst_all)  # the anchors alone span the plane, so this never degenerates

    # Per destination triangle, the affine map to the source: with barycentric coordinates
    # l = T (p - r) (scipy's `transform`) and corners c1, c2, c3, the source point is
    # c3 + [c1 - c3, c2 - c3] l, i.e. M p + b with M = [c1 - c3, c2 - c3] T and b = c3 - M r.
    corners = src_all[triangulation.simplices]  # (T, 3, 2)
    edges = np.stack([corners[:, 0] - corners[:, 2], corners[:, 1] - corners[:, 2]], axis=2)  # (T, 2, 2)
    inverse, origin = triangulation.transform[:, :2], triangulation.transform[:, 2]
    matrix = np.nan_to_num(edges @ inverse)  # degenerate triangles (never hit) would give NaN
    offset = corners[:, 2] - np.einsum("tij,tj->ti", matrix, np.nan_to_num(origin))
    # Identity for the "no triangle" index -1 (float round-off on the hull; the anchors lie outside).
    matrix = np.concatenate([matrix, np.eye(2)[None]]).astype(np.float32)
    offset = np.concatenate([offset, np.zeros((1, 2))]).astype(np.float32)

    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    label = triangulation.find_simplex(pixels).reshape(height, width)
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    map_x = matrix[label, 0, 0] * x + matrix[label, 0, 1] * y + offset[label, 0]
    map_y = matrix[label, 1, 0] * x + matrix[label, 1, 1] * y + offset[label, 1]
    return map_x.astype(np.float32), map_y.astype(np.float32)


def warp_image(image: np.ndarray, src_landmarks: np.ndarray, dst_landmarks: np.ndarray) -> np.ndarray:
    """Warp `image` (H, W) or (H, W, C), uint8 or float, so that the points at `src` move to `dst`.

    Landmarks are (N, 2) pixel coordinates (x, y) with pixel centres at integers. The output has the
    input's shape and dtype; the image border stays where it is.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f"image must have shape (H, W) or (H, W, C), got {image.shape}")
    height, width = image.shape[:2]
    map_x, map_y = warp_maps(src_landmarks, dst_landmarks, height, width)
    work = image
    if image.dtype == np.float64 or image.dtype == np.float16:
        work = image.astype(np.float32)
    elif image.dtype not in (np.uint8, np.uint16, np.int16, np.float32):
        raise ValueError(f"image dtype {image.dtype} is not supported: use uint8 or float")
    if work.ndim == 3 and work.shape[2] > 4:  # cv2.remap handles at most four channels at once
        channels = [
            cv2.remap(np.ascontiguousarray(work[..., c]), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            for c in range(work.shape[2])
        ]
        warped = np.stack(channels, axis=2)
    else:
        warped = cv2.remap(
            np.ascontiguousarray(work), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if work.ndim == 3 and warped.ndim == 2:  # single-channel (H, W, 1) comes back as (H, W)
            warped = warped[..., None]
    return warped.astype(image.dtype, copy=False)
