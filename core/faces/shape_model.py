"""A weak-perspective 3D shape model of the face, vectorised over frames.

Every 68-point shape x (pixels) is written exactly as

    x = scale * (R @ X)[:2] + translation

with R a rotation (the head pose), `scale` and `translation` the face's size and place in the image,
and X the person's pose-free 3D shape: OpenFace's mean face plus the observed deviation lifted into
3D (the deviation, seen in the image plane, is rotated back into the face's frame; depth comes from the
mean face). R, scale and translation come from the least-squares affine camera of the rigid points of
x (nose, eye corners, top of the jaw) against the mean face, orthonormalised by SVD. Fitting a whole video takes milliseconds, and re-projecting a fitted
shape with its own pose returns the input exactly.

Angle conventions (degrees): yaw > 0 turns the face toward the image's right (the nose moves right),
pitch > 0 lifts the face (the nose moves up), roll > 0 rotates it clockwise as seen in the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.faces.mean_shape import MEAN_FACE_3D

#: Points that expressions barely move (nose, eye corners, the jaw's top ends): the pose is fit on
#: these alone, so an opening mouth or a raised brow does not read as a head movement.
RIGID_POINTS: tuple[int, ...] = (0, 1, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45)

_RIGID = list(RIGID_POINTS)
_RIGID_CENTRE = MEAN_FACE_3D[_RIGID].mean(0)
_MEAN = MEAN_FACE_3D - _RIGID_CENTRE
_RIGID_MEAN = _MEAN[_RIGID]
_PSEUDO_INVERSE = _RIGID_MEAN @ np.linalg.inv(_RIGID_MEAN.T @ _RIGID_MEAN)  # affine camera by least squares


@dataclass(frozen=True)
class ShapeFit:
    """Per frame: x = scale * (rotation @ shape3d.T)[:2].T + translation."""

    scale: np.ndarray  # (T,)
    rotation: np.ndarray  # (T, 3, 3)
    translation: np.ndarray  # (T, 2)
    shape3d: np.ndarray  # (T, 68, 3) pose-free shape in the mean face's units (mm)

    @property
    def angles(self) -> np.ndarray:
        """(T, 3) yaw, pitch, roll in degrees."""
        return angles_from_rotation(self.rotation)

    def project(self) -> np.ndarray:
        return project(self.shape3d, self.rotation, self.scale, self.translation)

    def take(self, frames: int | np.ndarray) -> ShapeFit:
        """The fit of some frames (an index or an index array), keeping the leading frame axis."""
        idx = np.atleast_1d(np.asarray(frames))
        return ShapeFit(self.scale[idx], self.rotation[idx], self.translation[idx], self.shape3d[idx])


def rotation_from_angles(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations from angles in degrees (see the module's conventions)."""
    a, b, c = (np.radians(-np.asarray(yaw, float)), np.radians(-np.asarray(pitch, float)), np.radians(np.asarray(roll, float)))
    a, b, c = np.broadcast_arrays(a, b, c)
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    ry = _stack([[ca, 0 * a, sa], [0 * a, 1 + 0 * a, 0 * a], [-sa, 0 * a, ca]])
    rx = _stack([[1 + 0 * b, 0 * b, 0 * b], [0 * b, cb, -sb], [0 * b, sb, cb]])
    rz = _stack([[cc, -sc, 0 * c], [sc, cc, 0 * c], [0 * c, 0 * c, 1 + 0 * c]])
    return rz @ rx @ ry


def _stack(rows: list[list[np.ndarray]]) -> np.ndarray:
    return np.stack([np.stack(r, -1) for r in rows], -2)


def angles_from_rotation(rotation: np.ndarray) -> np.ndarray:
    """(..., 3) yaw, pitch, roll in degrees of rotations built as Rz(roll) Rx(-pitch) Ry(-yaw)."""
    r = np.asarray(rotation, float)
    b = np.arcsin(np.clip(r[..., 2, 1], -1.0, 1.0))
    a = np.arctan2(-r[..., 2, 0], r[..., 2, 2])
    c = np.arctan2(-r[..., 0, 1], r[..., 1, 1])
    return np.degrees(np.stack([-a, -b, c], -1))


def fit_shapes(landmarks: np.ndarray) -> ShapeFit:
    """Fit (T, 68, 2) or (68, 2) landmarks; the result always has a leading frame axis."""
    x = np.asarray(landmarks, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must have shape (T, 68, 2) or (68, 2), got {np.shape(landmarks)}")
    centre = x[:, _RIGID].mean(1)
    affine = np.swapaxes(x[:, _RIGID] - centre[:, None], -1, -2) @ _PSEUDO_INVERSE  # (T, 2, 3)
    u, s, vt = np.linalg.svd(affine, full_matrices=False)
    rows = u @ vt  # (T, 2, 3), orthonormal rows
    scale = s.mean(-1)
    rotation = np.concatenate([rows, np.cross(rows[:, 0], rows[:, 1])[:, None]], 1)
    model = scale[:, None, None] * (_MEAN @ np.swapaxes(rows, -1, -2)) + centre[:, None]
    residual = (x - model) / scale[:, None, None]
    shape = _MEAN[None] + residual @ rows
    return ShapeFit(scale=scale, rotation=rotation, translation=centre, shape3d=shape)


#: Where the head turns on the neck, in the mean face's millimetres from its rigid points' centre
#: (x right, y down, z away from the camera): below the chin. A head that keeps its place tilts about
#: this point, as a real one does on its neck, not about its nose: a tilt leaves the chin and collar
#: nearly still and moves the crown. The pivot is not set behind the face (where a real neck turns
#: the head): a turn would then swing the whole head sideways, and a warp of one photo can only drag
#: the background beside the head along with it; turns and nods keep the outline in place instead.
NECK_PIVOT: tuple[float, float, float] = (0.0, 100.0, 0.0)


def neck_swing(scale: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(T, 2) change of translation that keeps `NECK_PIVOT` in place when rotations (T, 3, 3) `before`
    become `after` at weak-perspective scales (T,)."""
    pivot = np.asarray(NECK_PIVOT)
    return np.asarray(scale)[:, None] * ((np.asarray(before) - np.asarray(after))[:, :2] @ pivot)


def project(shape: np.ndarray, rotation: np.ndarray, scale: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(T, 68, 2) image points of pose-free shapes (T, 68, 3) under the given poses."""
    rotated = shape @ np.swapaxes(rotation[:, :2], -1, -2)  # (T, 68, 3) @ (T, 3, 2); einsum is 10x slower
    return scale[:, None, None] * rotated + translation[:, None]


def mouth_opening(shape3d: np.ndarray) -> np.ndarray:
    """(T,) gap between the inner lips over the mouth's width, of pose-free shapes (T, 68, 3): 0-0.1 for a
    closed mouth (0.1 for the mean face), 0.3-0.55 for a wide open one, whatever the head's pose and size."""
    gap = np.linalg.norm(shape3d[:, [61, 62, 63], :2] - shape3d[:, [67, 66, 65], :2], axis=-1).mean(-1)
    return gap / np.maximum(np.linalg.norm(shape3d[:, 54, :2] - shape3d[:, 48, :2], axis=-1), 1e-9)


def eye_openness(shape3d: np.ndarray) -> np.ndarray:
    """(T, 2) eye aspect ratio (lid gap over eye width; Soukupova and Cech, 2016) of the image-left and
    image-right eyes of pose-free shapes (T, 68, 3): 0.31 for the mean face, 0.25-0.45 for open eyes in
    real video, near 0 for closed ones."""
    out = []
    for corner_a, upper_a, upper_b, corner_b, lower_b, lower_a in ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47)):
        pts = shape3d[..., :2]
        lids = np.linalg.norm(pts[:, [upper_a, upper_b]] - pts[:, [lower_a, lower_b]], axis=-1).sum(-1)
        width = np.linalg.norm(pts[:, corner_b] - pts[:, corner_a], axis=-1)
        out.append(lids / np.maximum(2.0 * width, 1e-9))
    return np.stack(out, -1)
