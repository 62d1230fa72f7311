"""Head pose from 68 landmarks: `cv2.solvePnP` against a 3D mean face, vectorised helpers around it.

The 3D mean face is `MEAN_FACE_3D` (``core.faces.mean_shape``): OpenFace's 68-landmark "wild" model,
in roughly millimetres, origin at the centroid of its 68 points, axes as OpenCV's camera (x to the
image's right, y down, z away from the viewer), so a face looking into the camera has the identity
rotation. The fit uses `SYMMETRIC_FACE_3D`, that model averaged with its mirror image: the published
table is slightly lopsided (its jaw is 2 mm wider on one side), which read as a 1.4 degree yaw on a
perfectly frontal face. A pose maps model points X to camera points ``R @ X + t``; the pinhole camera then projects
them with `camera_matrix`.

`PoseFit.angles` are measured against the **line of sight** (the ray from the camera to the head),
not the optical axis: a face looking into the lens has zero angles wherever it sits in the frame.
That is what a viewer perceives, and it does not depend on the principal point, which is unknown for
cropped photos (assuming it at the image centre put a 15-30 degree pitch on a frontal face near the
top of a portrait).

Angle conventions (degrees, the same as ``core.faces.shape_model``):

* yaw > 0: the face turns toward the image's right (its nose moves right in the image);
* pitch > 0: the face tilts up (the nose moves up);
* roll > 0: the face rotates clockwise as seen in the image.

and ``R = Rz(roll) @ Rx(-pitch) @ Ry(-yaw)``: yaw is applied first (about the face's vertical axis),
roll last (in the image plane).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.faces.mean_shape import MEAN_FACE_3D

__all__ = [
    "MEAN_FACE_3D",
    "POSE_INDICES",
    "SYMMETRIC_FACE_3D",
    "PoseFit",
    "angles_from_matrices",
    "camera_matrix",
    "estimate_pose",
    "line_of_sight",
    "matrices_from_angles",
    "project",
    "rotation_matrices",
    "rotation_vectors",
]

#: Landmarks used for the fit: all 68. Leaving out the jaw (whose points follow the visible contour)
#: or the mouth (which moves with speech) was tried on the test portraits: without the jaw, pitch is
#: poorly constrained and a smiling frontal face reads 19 degrees down; with all points every frontal
#: portrait is within 5 degrees.
POSE_INDICES: tuple[int, ...] = tuple(range(68))


def _mirror_permutation(model: np.ndarray) -> np.ndarray:
    """Index of each point's mirror partner (x -> -x), found geometrically (equals the iBUG
    permutation of ``core.faces.regions``, which this module does not import: it pulls in torch)."""
    mirrored = model * np.array([-1.0, 1.0, 1.0])
    return np.linalg.norm(model[:, None] - mirrored[None], axis=2).argmin(1)


#: (68, 3) the mean face made exactly left-right symmetric (same axes, origin and units).
SYMMETRIC_FACE_3D: np.ndarray = (
    MEAN_FACE_3D + (MEAN_FACE_3D * np.array([-1.0, 1.0, 1.0]))[_mirror_permutation(MEAN_FACE_3D)]
) / 2.0
SYMMETRIC_FACE_3D.setflags(write=False)


@dataclass(frozen=True)
class PoseFit:
    """Per-frame head pose: Rodrigues rotation vectors, translations (mean-face units), angles."""

    rotation_vectors: np.ndarray  # (N, 3) camera frame: model -> camera is R @ X + t
    translations: np.ndarray  # (N, 3)
    camera_matrix: np.ndarray  # (3, 3)
    angles: np.ndarray  # (N, 3) yaw, pitch, roll in degrees, relative to the line of sight

    @property
    def rotations(self) -> np.ndarray:
        """(N, 3, 3) rotation matrices."""
        return rotation_matrices(self.rotation_vectors)

    def project(self, points3d: np.ndarray = SYMMETRIC_FACE_3D) -> np.ndarray:
        """`points3d` (68, 3) or (N, 68, 3) seen under every frame's pose: (N, 68, 2) pixels."""
        return project(points3d, self.rotation_vectors, self.translations, self.camera_matrix)


def camera_matrix(image_size: tuple[int, int], focal: float | None = None) -> np.ndarray:
    """A pinhole camera for a (w, h) image: focal length max(w, h) pixels unless given (a normal lens,
    about 53 degrees across the long side), principal point at the image centre ((w-1)/2, (h-1)/2)."""
    w, h = image_size
    f = float(focal) if focal is not None else float(max(w, h))
    return np.array([[f, 0.0, (w - 1) / 2.0], [0.0, f, (h - 1) / 2.0], [0.0, 0.0, 1.0]])


def estimate_pose(
    landmarks: np.ndarray,
    image_size: tuple[int, int],
    focal: float | None = None,
    model: np.ndarray = SYMMETRIC_FACE_3D,
) -> PoseFit:
    """Head pose of (68, 2) or (N, 68, 2) landmarks in a (w, h) image; the result has a frame axis.

    Each frame starts from the previous frame's solution (iterative Levenberg-Marquardt), so a video
    costs about 0.1 ms a frame; the first frame, and any frame after a failure, uses SQPnP (global).
    Frames whose landmarks are not finite get NaN.
    """
    import cv2

    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must have shape (N, 68, 2) or (68, 2), got {np.shape(landmarks)}")
    k = camera_matrix(image_size, focal)
    obj = np.ascontiguousarray(np.asarray(model, np.float64)[list(POSE_INDICES)])
    n = len(pts)
    rvecs = np.full((n, 3), np.nan)
    tvecs = np.full((n, 3), np.nan)
    rvec = tvec = None
    for i in range(n):
        img = np.ascontiguousarray(pts[i, list(POSE_INDICES)])
        if not np.isfinite(img).all():
            rvec = tvec = None
            continue
        if rvec is None:
            ok, rvec, tvec = cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_SQPNP)
        else:
            ok, rvec, tvec = cv2.solvePnP(
                obj, img, k, None, rvec.copy(), tvec.copy(), True, cv2.SOLVEPNP_ITERATIVE
            )
        if not ok or tvec[2, 0] <= 0:
            rvec = tvec = None
            continue
        rvecs[i], tvecs[i] = rvec[:, 0], tvec[:, 0]
    relative = np.swapaxes(line_of_sight(tvecs), -1, -2) @ rotation_matrices(rvecs)
    angles = angles_from_matrices(relative)
    return PoseFit(rotation_vectors=rvecs, translations=tvecs, camera_matrix=k, angles=angles)


def project(
    points3d: np.ndarray,
    rotation_vector: np.ndarray,
    translation: np.ndarray,
    camera_matrix: np.ndarray,
) -> np.ndarray:
    """Pinhole projection of model points under a pose (no lens distortion), vectorised.

    `points3d` (K, 3) or (N, K, 3); `rotation_vector` and `translation` (3,) or (N, 3). Returns
    (K, 2) for a single pose and single shape, else (N, K, 2) pixels.
    """
    pts = np.asarray(points3d, np.float64)
    rvec = np.asarray(rotation_vector, np.float64)
    tvec = np.asarray(translation, np.float64)
    single = pts.ndim == 2 and rvec.ndim == 1 and tvec.ndim == 1
    rot = rotation_matrices(np.atleast_2d(rvec))  # (N, 3, 3)
    cam = np.einsum("nij,nkj->nki", rot, np.broadcast_to(pts, (len(rot), *pts.shape[-2:])))
    cam = cam + np.atleast_2d(tvec)[:, None, :]
    k = np.asarray(camera_matrix, np.float64)
    xy = cam[..., :2] / cam[..., 2:3]
    out = xy * np.array([k[0, 0], k[1, 1]]) + np.array([k[0, 2], k[1, 2]])
    out[..., 0] += k[0, 1] * xy[..., 1]  # skew (zero for `camera_matrix`)
    return out[0] if single else out


def line_of_sight(translations: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations taking the optical axis (0, 0, 1) onto the ray towards each translation
    (the smallest such rotation). ``L.T @ R`` is a head rotation relative to the line of sight."""
    t = np.asarray(translations, np.float64)
    ray = t / np.linalg.norm(t, axis=-1, keepdims=True)
    axis = np.stack([-ray[..., 1], ray[..., 0], np.zeros_like(ray[..., 0])], -1)  # z x ray
    sin = np.linalg.norm(axis, axis=-1, keepdims=True)
    angle = np.arctan2(sin, ray[..., 2:3])
    return rotation_matrices(axis / np.where(sin > 1e-12, sin, 1.0) * angle)


def rotation_matrices(rotation_vectors: np.ndarray) -> np.ndarray:
    """Rodrigues: (..., 3) rotation vectors (axis times angle in radians) -> (..., 3, 3) matrices."""
    r = np.asarray(rotation_vectors, np.float64)
    theta = np.linalg.norm(r, axis=-1, keepdims=True)
    small = theta < 1e-12
    axis = r / np.where(small, 1.0, theta)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    cross = np.stack(
        [np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2
    )
    t = theta[..., None]
    eye = np.broadcast_to(np.eye(3), cross.shape)
    mat = eye + np.sin(t) * cross + (1.0 - np.cos(t)) * (cross @ cross)
    return np.where(small[..., None], eye, mat)


def rotation_vectors(matrices: np.ndarray) -> np.ndarray:
    """Inverse of `rotation_matrices`: (..., 3, 3) -> (..., 3) (angles up to pi)."""
    m = np.asarray(matrices, np.float64)
    cos = np.clip((np.trace(m, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    theta = np.arccos(cos)
    vec = np.stack(
        [m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1
    )
    sin = np.sin(theta)
    out = vec * (theta / np.where(sin > 1e-9, 2.0 * sin, 1.0))[..., None]
    near_pi = (sin <= 1e-9) & (theta > 1.0)
    if np.any(near_pi):  # axis from the symmetric part: R = 2 a a^T - I at theta = pi
        sym = (m[near_pi] + np.eye(3)) / 2.0
        col = np.argmax(np.diagonal(sym, axis1=-2, axis2=-1), -1)
        axis = sym[np.arange(len(sym)), :, col]
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        out[near_pi] = axis * np.pi
    return np.where((sin <= 1e-9)[..., None] & ~near_pi[..., None], 0.0, out)


def matrices_from_angles(angles: np.ndarray) -> np.ndarray:
    """(..., 3) yaw, pitch, roll in degrees -> (..., 3, 3) ``Rz(roll) @ Rx(-pitch) @ Ry(-yaw)``."""
    ang = np.radians(np.asarray(angles, np.float64))
    a, b, c = -ang[..., 0], -ang[..., 1], ang[..., 2]
    one, zero = np.ones_like(a), np.zeros_like(a)
    ry = np.stack([np.stack([np.cos(a), zero, np.sin(a)], -1), np.stack([zero, one, zero], -1),
                   np.stack([-np.sin(a), zero, np.cos(a)], -1)], -2)  # fmt: skip
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, np.cos(b), -np.sin(b)], -1),
                   np.stack([zero, np.sin(b), np.cos(b)], -1)], -2)  # fmt: skip
    rz = np.stack([np.stack([np.cos(c), -np.sin(c), zero], -1), np.stack([np.sin(c), np.cos(c), zero], -1),
                   np.stack([zero, zero, one], -1)], -2)  # fmt: skip
    return rz @ rx @ ry


def angles_from_matrices(matrices: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 3) yaw, pitch, roll in degrees (inverse of `matrices_from_angles`
    for |pitch| < 90)."""
    r = np.asarray(matrices, np.float64)
    b = np.arcsin(np.clip(r[..., 2, 1], -1.0, 1.0))
    a = np.arctan2(-r[..., 2, 0], r[..., 2, 2])
    c = np.arctan2(-r[..., 0, 1], r[..., 1, 1])
    return np.degrees(np.stack([-a, -b, c], -1))
