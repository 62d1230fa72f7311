"""The canonical face crop the network sees (rendering back onto the photo is `core.render`'s).

Canonical crop (side `size`, positions as fractions of the side; pixel centres at integers, so a
fraction f is pixel ``f * size - 0.5``):

* the eye centres (means of points 36-41 and 42-47) lie on a horizontal line at y = 0.42, 0.24 of
  the side apart (x = 0.38 and 0.62): the face is centred left to right, the point between the eyes
  and the mouth sits near the centre (y = 0.54), the chin near y = 0.84; the brows are near y = 0.35,
  leaving a third of the side for forehead and hair, and the chin room for the neck;
* the transform is the least-squares *similarity* (rotation, uniform scale, shift) that takes the
  person's eye and nose landmarks onto those of the 3D mean face seen from the front, placed as above.
  Eyes and nose barely move with expression, so the crop does not breathe with the mouth.

Training data is cropped with this same function, so the network and the app agree on the framing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.faces.mean_shape import MEAN_FACE_3D

CANONICAL_EYE_Y = 0.42
CANONICAL_EYE_DISTANCE = 0.24

#: Landmarks the alignment is fitted on: nose (27-35) and eyes (36-47).
ALIGN_INDICES: tuple[int, ...] = tuple(range(27, 48))


def canonical_landmarks(
    size: int, eye_y: float = CANONICAL_EYE_Y, eye_distance: float = CANONICAL_EYE_DISTANCE
) -> np.ndarray:
    """The frontal mean face's 68 points in a `size` crop, framed as documented above: (68, 2)."""
    pts = np.asarray(MEAN_FACE_3D[:, :2], np.float64)
    left, right = pts[36:42].mean(0), pts[42:48].mean(0)
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    c, s = np.cos(-angle), np.sin(-angle)
    rotated = (pts - (left + right) / 2) @ np.array([[c, s], [-s, c]])
    unit = rotated / np.linalg.norm(right - left)  # eye distance 1, eye midpoint at 0
    return (unit * eye_distance + np.array([0.5, eye_y])) * size - 0.5


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama) taking `src` (N, 2) onto `dst` (N, 2), as a 2x3 matrix."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    cov = b.T @ a / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1.0
    rot = u @ d @ vt
    var = (a**2).sum() / len(src)
    scale = (sig * np.diag(d)).sum() / max(var, 1e-12)
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def _invert(matrix: np.ndarray) -> np.ndarray:
    a = matrix[:, :2]
    inv = np.linalg.inv(a)
    return np.hstack([inv, -inv @ matrix[:, 2:3]])


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


@dataclass(frozen=True)
class Alignment:
    """A similarity from photo pixels to the square crop: ``crop_xy = matrix @ [x, y, 1]``."""

    matrix: np.ndarray  # (2, 3) float64, image -> crop
    size: int

    @property
    def inverse(self) -> np.ndarray:
        """(2, 3) crop -> image."""
        return _invert(self.matrix)

    @property
    def scale(self) -> float:
        """Crop pixels per image pixel."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        """Image points (..., 2) -> crop points."""
        return _apply(self.matrix, points)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Crop points (..., 2) -> image points."""
        return _apply(self.inverse, points)

    def corners(self) -> np.ndarray:
        """The crop's four outer corners in image coordinates, (4, 2)."""
        s = self.size - 0.5
        return self.to_image(np.array([[-0.5, -0.5], [s, -0.5], [s, s], [-0.5, s]]))

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The (size, size[, C]) crop of `image`; parts outside the photo repeat its border pixels.

        When the crop is much smaller than the face in the photo, the photo region is first shrunk with
        area averaging, so the crop is not aliased.
        """
        import cv2

        matrix = self.matrix
        source = image
        scale = self.scale
        if scale < 0.75:
            x0, y0, x1, y1 = _bounds(self.corners(), image.shape, margin=4)
            if x1 <= x0 or y1 <= y0:  # entirely outside the photo: nearest border pixels
                x0, y0 = min(x0, image.shape[1] - 1), min(y0, image.shape[0] - 1)
                x1, y1 = x0 + 1, y0 + 1
            region = image[y0:y1, x0:x1]
            factor = scale / 0.9
            small = cv2.resize(
                region,
                (max(1, round(region.shape[1] * factor)), max(1, round(region.shape[0] * factor))),
                interpolation=cv2.INTER_AREA,
            )
            fx, fy = small.shape[1] / region.shape[1], small.shape[0] / region.shape[0]
            # small px = (image px - offset + 0.5) * f - 0.5, so image = small px mapped back:
            to_small = np.array([[fx, 0.0, (0.5 - x0) * fx - 0.5], [0.0, fy, (0.5 - y0) * fy - 0.5]])
            matrix = _compose(matrix, _invert(to_small))
            source = small
        return cv2.warpAffine(
            source,
            matrix,
            (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 matrix of ``outer(inner(x))``."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:3] + outer[:, 2:3]])


def _bounds(points: np.ndarray, shape: tuple[int, ...], margin: int = 2) -> tuple[int, int, int, int]:
    """Integer bounding box of `points` plus `margin`, clipped to an image of `shape`."""
    h, w = shape[:2]
    x0 = int(max(0, np.floor(points[:, 0].min()) - margin))
    y0 = int(max(0, np.floor(points[:, 1].min()) - margin))
    x1 = int(min(w, np.ceil(points[:, 0].max()) + margin + 1))
    y1 = int(min(h, np.ceil(points[:, 1].max()) + margin + 1))
    return x0, y0, x1, y1


def align_face(
    landmarks: np.ndarray,
    size: int = 256,
    eye_y: float = CANONICAL_EYE_Y,
    eye_distance: float = CANONICAL_EYE_DISTANCE,
) -> Alignment:
    """The canonical `size` crop for a face with these (68, 2) image landmarks (see the module doc)."""
    pts = np.asarray(landmarks, np.float64)
    if pts.shape != (68, 2) or not np.isfinite(pts).all():
        raise ValueError(f"landmarks must be 68 finite (x, y) points, got shape {pts.shape}")
    target = canonical_landmarks(size, eye_y, eye_distance)
    idx = list(ALIGN_INDICES)
    return Alignment(similarity_transform(pts[idx], target[idx]), int(size))
