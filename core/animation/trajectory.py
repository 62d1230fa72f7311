"""Trajectories: the head's place, size, pose, mouth and eyes over time, as plain per-frame arrays.

What the trajectory view plots, so an artist sees jitter and what smoothing, stabilisation and the
controls do: `measure` reads a fitted landmark sequence into named channels, and a `Trajectory` holds
them for the driver as analysed (``raw``), the driver as used (after smoothing and stabilisation), and
the portrait's head as rendered (``result``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.faces.shape_model import ShapeFit, eye_openness, mouth_opening

#: Channel names with their units, in the order the view lists them.
CHANNELS: dict[str, str] = {
    "x": "px from the reference",
    "y": "px from the reference",
    "scale": "size / reference size",
    "yaw": "degrees",
    "pitch": "degrees",
    "roll": "degrees",
    "mouth": "inner-lip gap / mouth width",
    "eye_left": "eye aspect ratio",
    "eye_right": "eye aspect ratio",
}


def measure(fit: ShapeFit, reference: ShapeFit) -> dict[str, np.ndarray]:
    """Every channel of `CHANNELS` for each frame of `fit` ((T,) float64 arrays); position and size are
    relative to the one fitted `reference` frame, angles are the head's own (`core.faces.shape_model`)."""
    angles = fit.angles
    eyes = eye_openness(fit.shape3d)
    offset = fit.translation - reference.translation[0]
    return {
        "x": offset[:, 0],
        "y": offset[:, 1],
        "scale": fit.scale / reference.scale[0],
        "yaw": angles[:, 0],
        "pitch": angles[:, 1],
        "roll": angles[:, 2],
        "mouth": mouth_opening(fit.shape3d),
        "eye_left": eyes[:, 0],
        "eye_right": eyes[:, 1],
    }


@dataclass(frozen=True)
class Trajectory:
    """Per-frame channels of the driver as analysed, as used, and of the portrait as rendered."""

    raw: Mapping[str, np.ndarray]
    used: Mapping[str, np.ndarray]
    result: Mapping[str, np.ndarray]

    @property
    def frame_count(self) -> int:
        return len(self.raw["x"])
