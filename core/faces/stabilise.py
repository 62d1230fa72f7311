"""Stabilisation: pull the driver's head position, size and rotation toward the reference frame's.

Each lock has an amount in [0, 1] per frame: 0 leaves the driver as it moves, 1 holds it where it is in
the reference frame, and between them the motion away from the reference is scaled down (the
position linearly, the size in log scale, the rotation about its axis). Position, size and rotation
lock separately, so a driver walking toward the camera can keep its drift across the frame while its
head no longer grows. The expression (the pose-free shape) is never touched.

Stabilisation acts on the driver, before the landmark transformer: it shows in the trajectory view's
"as used" curves, and it composes with the transformer's ``head_position`` and ``head_rotation``
strengths (which only carry the driver's motion over; with ``head_position`` at 0, the default, the
position and size locks change nothing in the result).
"""

from __future__ import annotations

import numpy as np

from core.faces.shape_model import ShapeFit
from core.faces.transformer import scale_rotations


def stabilise(
    fit: ShapeFit,
    reference: ShapeFit,
    position: np.ndarray | float = 0.0,
    scale: np.ndarray | float = 0.0,
    rotation: np.ndarray | float = 0.0,
) -> ShapeFit:
    """`fit` (T frames) with each lock amount (a number or (T,) in [0, 1]) applied, relative to the one
    fitted `reference` frame."""
    frames = len(fit.scale)
    position, scale, rotation = (np.broadcast_to(np.asarray(a, np.float64), (frames,)) for a in (position, scale, rotation))
    if not (np.any(position) or np.any(scale) or np.any(rotation)):
        return fit
    translation = fit.translation + position[:, None] * (reference.translation[0] - fit.translation)
    sizes = fit.scale * (reference.scale[0] / fit.scale) ** scale
    rotations = fit.rotation
    if np.any(rotation):
        rotations = scale_rotations(fit.rotation @ reference.rotation[0].T, 1.0 - rotation) @ reference.rotation[0]
    return ShapeFit(scale=sizes, rotation=rotations, translation=translation, shape3d=fit.shape3d)
