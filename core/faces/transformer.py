"""Landmark transformer: carry the driver's pose and expression onto the source's own face shape.

A *stand-in* for MarioNETte's landmark transformer, which is a network learned from many identities
and needs its training data; this one is geometric and needs none. Shapes are normalised with the
weak-perspective shape model (`core.faces.shape_model`): translation, scale and the 3D head rotation
are factored out, leaving each frame's pose-free 3D shape X. Then:

- relative mode (default): the driving expression is the displacement of X from a reference driving
  frame (by default the one whose pose and expression are closest to the source's), scaled per region
  (each eye, the brows, nose, mouth, jaw) by the ratio of the source's region size to the driver's at
  the reference; the head rotation changes relative to the reference as well, so the source starts in
  its own pose;
- absolute mode: each region of the driver's shape is taken as is (re-scaled to the source's region
  size and placed at the source's region position), and the head rotation is the driver's own.

The head keeps the portrait's own place and size: the driver walking across the frame or toward the
camera is not carried over (the face is rendered in, and pasted back from, a crop fixed on the
portrait; following the driver's position would push it out of that crop and tear the paste-back).

Strength s in [0, 1] interpolates the pose-free shape between the source's (s = 0: the source's own
shape and expression, still under the driving pose) and the full transfer (s = 1). Identity adaptation
a in [0, 1] then blends the result toward the driving landmarks themselves (moved to the portrait's
place and size), for users who want the driver's shape. Everything is vectorised over frames. An identity/expression PCA could refine the per-region
scaling given many identities; with the handful available here it would not generalise, so none ships.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import ConfigError
from core.faces.regions import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE
from core.faces.shape_model import ShapeFit, fit_shapes, project

#: Regions scaled independently in relative mode (the brows share one ratio).
TRANSFER_REGIONS: dict[str, tuple[int, ...]] = {
    "left_eye": LEFT_EYE,
    "right_eye": RIGHT_EYE,
    "brows": LEFT_BROW + RIGHT_BROW,
    "nose": NOSE,
    "mouth": MOUTH,
    "jaw": JAW,
}
_RATIO_LIMITS = (0.5, 2.0)


@dataclass(frozen=True)
class TransferOptions:
    strength: float = 1.0
    identity_adaptation: float = 0.0
    relative: bool = True
    reference_frame: int | None = None  # None: the frame closest to the source

    def __post_init__(self) -> None:
        for name in ("strength", "identity_adaptation"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value}")


def _region_extent(shape: np.ndarray, indices: tuple[int, ...]) -> np.ndarray:
    """(..., 2) width and height of a region of pose-free shapes (..., 68, 3)."""
    pts = shape[..., indices, :2]
    return pts.max(-2) - pts.min(-2)


def region_ratios(source_shape: np.ndarray, driving_shape: np.ndarray) -> np.ndarray:
    """(68, 3) per-landmark scale from driver to source proportions (x, y per region; z their mean)."""
    ratios = np.ones((68, 3))
    for indices in TRANSFER_REGIONS.values():
        src = _region_extent(source_shape, indices)
        drv = _region_extent(driving_shape, indices)
        xy = np.clip(src / np.maximum(drv, 1e-6), *_RATIO_LIMITS)
        # A region's height can be all expression (a closed eye): fall back to its width ratio.
        if min(src[1], drv[1]) < 0.25 * max(src[0], drv[0]):
            xy[1] = xy[0]
        ratios[list(indices), :2] = xy
        ratios[list(indices), 2] = xy.mean()
    return ratios


class LandmarkTransformer:
    """Transforms driving landmark sequences onto one source shape (fit once)."""

    def __init__(self, source_landmarks: np.ndarray):
        self.source_landmarks = np.asarray(source_landmarks, dtype=np.float64).reshape(68, 2)
        self.source: ShapeFit = fit_shapes(self.source_landmarks)

    def closest_frame(self, driving: ShapeFit, valid: np.ndarray | None = None) -> int:
        """The driving frame whose pose and expression are nearest the source's."""
        pose_cost = np.abs(driving.angles - self.source.angles).sum(-1) / 10.0  # 10 degrees ~ 1
        centred_src = self.source.shape3d[0, :, :2] - self.source.shape3d[0, :, :2].mean(0)
        centred_drv = driving.shape3d[..., :2] - driving.shape3d[..., :2].mean(-2, keepdims=True)
        expression_cost = np.sqrt(((centred_drv - centred_src) ** 2).sum(-1).mean(-1)) / 2.0  # 2 mm ~ 1
        cost = pose_cost + expression_cost
        if valid is not None and np.any(valid):
            cost = np.where(valid, cost, np.inf)
        return int(np.argmin(cost))

    def transform(
        self,
        driving_landmarks: np.ndarray,
        options: TransferOptions,
        valid: np.ndarray | None = None,
        driving_fit: ShapeFit | None = None,
    ) -> np.ndarray:
        """(T, 68, 2) driving landmarks (in the driver's aligned frame) -> (T, 68, 2) for the source."""
        driving_landmarks = np.asarray(driving_landmarks, dtype=np.float64)
        if driving_landmarks.ndim != 3 or driving_landmarks.shape[1:] != (68, 2):
            raise ValueError(f"driving landmarks must have shape (T, 68, 2), got {driving_landmarks.shape}")
        fit = driving_fit if driving_fit is not None else fit_shapes(driving_landmarks)
        frames = len(driving_landmarks)
        ref = self.closest_frame(fit, valid) if options.reference_frame is None else options.reference_frame
        if not 0 <= ref < frames:
            raise ConfigError(f"reference frame {ref} is outside the driving sequence (0 to {frames - 1})")
        src = self.source
        source_shape = src.shape3d[0]
        if options.relative:
            ratios = region_ratios(source_shape, fit.shape3d[ref])
            target = source_shape + ratios * (fit.shape3d - fit.shape3d[ref])
            rotation = fit.rotation @ fit.rotation[ref].T @ src.rotation[0]
        else:
            target = self._absolute_shapes(fit.shape3d)
            rotation = fit.rotation
        scale = np.full(frames, src.scale[0])
        translation = np.broadcast_to(src.translation[0], (frames, 2))
        shape = source_shape + options.strength * (target - source_shape)
        out = project(shape, rotation, scale, translation)
        if options.identity_adaptation > 0:
            out = out + options.identity_adaptation * (self.placed(driving_landmarks, fit) - out)
        return out.astype(np.float32)

    def placed(self, driving_landmarks: np.ndarray, fit: ShapeFit) -> np.ndarray:
        """The driving landmarks moved and scaled onto the portrait's face (their rotation kept)."""
        src = self.source
        relative = (driving_landmarks - fit.translation[:, None]) * (src.scale[0] / fit.scale)[:, None, None]
        return relative + src.translation[0]

    def _absolute_shapes(self, driving_shapes: np.ndarray) -> np.ndarray:
        """The driver's regions as they are, re-scaled to and placed at the source's regions."""
        source_shape = self.source.shape3d[0]
        mean_driver = np.median(driving_shapes, axis=0)
        ratios = region_ratios(source_shape, mean_driver)
        out = np.array(np.broadcast_to(source_shape, driving_shapes.shape))
        for indices in TRANSFER_REGIONS.values():
            idx = list(indices)
            src_centre = source_shape[idx].mean(0)
            drv_centre = mean_driver[idx].mean(0)
            out[:, idx] = src_centre + ratios[idx] * (driving_shapes[:, idx] - drv_centre)
        return out
