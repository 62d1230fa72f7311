"""PRMSE as `prmse_deg`: how far the head pose of a result is from the driving frame's, in degrees.

Both poses come from landmarks with `cv2.solvePnP` against the 3D mean face
(`core.faces.pose.estimate_pose`: yaw, pitch, roll relative to the line of sight, in the crop's own
camera). A pair's error is the length of the (yaw, pitch, roll) difference, and PRMSE is the root
mean square of that over the pairs (so a frame against its mirror image scores twice its yaw when
its roll is small). Pairs where either face has no landmarks (the detector found no face in a
generated crop) are not scored, and counted in `PoseError.missing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ANGLE_NAMES = ("yaw", "pitch", "roll")


def head_poses(landmarks: Sequence[np.ndarray | None], size: int | tuple[int, int]) -> np.ndarray:
    """(N, 3) yaw, pitch, roll in degrees of each (68, 2) landmark set in a `size` image; NaN for None."""
    from core.faces.pose import estimate_pose

    image_size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    out = np.full((len(landmarks), 3), np.nan)
    for i, points in enumerate(landmarks):
        if points is not None:  # one at a time: each frame is solved globally (they are unrelated)
            out[i] = estimate_pose(np.asarray(points, np.float64), image_size).angles[0]
    return out


@dataclass(frozen=True)
class PoseError:
    """PRMSE over the scored pairs, its per-angle parts, and how many pairs could not be scored."""

    rmse_deg: float | None  # None when no pair could be scored
    per_angle_deg: tuple[float, float, float] | None  # RMSE of yaw, pitch, roll alone
    scored: int
    missing: int


def pose_error(result_angles: np.ndarray, driving_angles: np.ndarray) -> PoseError:
    """PRMSE between two (N, 3) arrays of angles (degrees); rows with NaN on either side are missing."""
    a, b = np.asarray(result_angles, np.float64), np.asarray(driving_angles, np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"angles must be two (N, 3) arrays of the same shape, got {a.shape} and {b.shape}")
    ok = np.isfinite(a).all(1) & np.isfinite(b).all(1)
    scored = int(ok.sum())
    if scored == 0:
        return PoseError(None, None, 0, len(a))
    diff = a[ok] - b[ok]
    per_angle = np.sqrt((diff**2).mean(0))
    rmse = float(np.sqrt((diff**2).sum(1).mean()))
    return PoseError(rmse, (float(per_angle[0]), float(per_angle[1]), float(per_angle[2])), scored, len(a) - scored)
