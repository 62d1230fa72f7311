"""A dense backward flow from the landmarks alone: the flow net's optional start, and the `spline` baseline.

With ``ModelConfig.landmark_flow`` (an addition to the paper, off by default) the flow estimation net
predicts a residual on top of this field instead of on top of the identity grid. The field is the
head's motion of `core.faces.motion.HeadMotion` (a thin-plate spline through the landmarks inside a
head ring that follows the head's outline, fading to no motion beyond), sampled on the net's grid: the
same motion the full-resolution renderer applies to the photo, so the network, its training and the
picture a user sees agree. A small model trained on little data then only learns what landmarks cannot
say (the mouth's inside, occlusions, texture) instead of re-learning the geometry from heatmaps. The
paper's network learns the whole flow from heatmaps on VoxCeleb.

It needs no gradient (landmarks are inputs).
"""

from __future__ import annotations

import torch

from core.faces.motion import HeadMotion, MotionRegion


def landmarks_to_normalised(landmarks: torch.Tensor, resolution: int) -> torch.Tensor:
    """Pixel coordinates (pixel centres at integers) -> grid_sample's align_corners=False coordinates."""
    return (landmarks + 0.5) * (2.0 / resolution) - 1.0


@torch.no_grad()
def landmark_flow(
    source_landmarks: torch.Tensor,
    driving_landmarks: torch.Tensor,
    size: int,
    resolution: int,
    region: MotionRegion | None = None,
) -> torch.Tensor:
    """Backward flow (B, 2, size, size) taking driving landmarks onto source landmarks.

    Landmarks are (B, 68, 2) pixel coordinates in crops of `resolution` px; the flow is in the same
    normalised coordinates as `FlowEstimator`'s output, float32.
    """
    return HeadMotion(source_landmarks, driving_landmarks, resolution, region or MotionRegion()).flow(size)
