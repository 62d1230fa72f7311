"""A dense backward flow from the landmarks alone: a thin-plate spline, the flow net's optional start.

With ``ModelConfig.landmark_flow`` (an addition to the paper, off by default) the flow estimation net
predicts a residual on top of this field instead of on top of the identity grid. The spline maps
every driving-frame position to the source position to sample: it interpolates the 68 landmark
correspondences (driving -> source) and keeps 16 anchors on the crop's border fixed, so the
background stays still. The result is what the `warp` evaluation baseline does (it warps piecewise-
affinely), given to the network as a starting point: a small model trained on little data then only
learns what landmarks cannot say (the mouth's inside, occlusions, texture), instead of re-learning
the geometry from heatmaps. The paper's network learns the whole flow from heatmaps on VoxCeleb.

The spline is solved per sample in float64 with a small ridge term (``regularization``): coincident
driving landmarks with different sources (the inner lips of a closed mouth) make the exact system
singular. It needs no gradient (landmarks are inputs) and costs one (84 + 3)-square solve per frame.
"""

from __future__ import annotations

import torch

from core.networks.flow import identity_grid

ANCHORS_PER_SIDE = 5


def border_anchors(
    per_side: int = ANCHORS_PER_SIDE, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(4 * (per_side - 1), 2) points on the border of the normalised square [-1, 1]^2."""
    t = torch.linspace(-1.0, 1.0, per_side, device=device, dtype=dtype)
    ones = torch.ones_like(t)
    sides = [torch.stack([t, -ones], 1), torch.stack([ones, t], 1), torch.stack([-t, ones], 1), torch.stack([-ones, -t], 1)]
    return torch.cat([side[:-1] for side in sides], 0)  # each corner once


def _radial(squared_distance: torch.Tensor) -> torch.Tensor:
    """The 2D thin-plate kernel r^2 log r^2 (0 at r = 0)."""
    return squared_distance * torch.log(squared_distance.clamp_min(1e-12))


def landmarks_to_normalised(landmarks: torch.Tensor, resolution: int) -> torch.Tensor:
    """Pixel coordinates (pixel centres at integers) -> grid_sample's align_corners=False coordinates."""
    return (landmarks + 0.5) * (2.0 / resolution) - 1.0


@torch.no_grad()
def landmark_flow(
    source_landmarks: torch.Tensor,
    driving_landmarks: torch.Tensor,
    size: int,
    resolution: int,
    regularization: float = 1e-4,
) -> torch.Tensor:
    """Backward flow (B, 2, size, size) taking driving landmarks onto source landmarks.

    Landmarks are (B, 68, 2) pixel coordinates in crops of `resolution` px; the flow is in the same
    normalised coordinates as `FlowEstimator`'s output, in the landmarks' dtype.
    """
    dtype, device = driving_landmarks.dtype, driving_landmarks.device
    batch = driving_landmarks.shape[0]
    f64 = {"device": device, "dtype": torch.float64}
    with torch.autocast(device_type=device.type, enabled=False):
        anchors = border_anchors(**f64).expand(batch, -1, -1)
        control = torch.cat([landmarks_to_normalised(driving_landmarks.double(), resolution), anchors], 1)
        target = torch.cat([landmarks_to_normalised(source_landmarks.double().expand_as(driving_landmarks),
                                                    resolution), anchors], 1)
        n = control.shape[1]
        affine = torch.cat([torch.ones(batch, n, 1, **f64), control], 2)  # (B, n, 3)
        system = torch.zeros(batch, n + 3, n + 3, **f64)
        system[:, :n, :n] = _radial(torch.cdist(control, control).square())
        system[:, :n, :n] += regularization * torch.eye(n, **f64)
        system[:, :n, n:] = affine
        system[:, n:, :n] = affine.transpose(1, 2)
        values = torch.cat([target, torch.zeros(batch, 3, 2, **f64)], 1)
        coefficients = torch.linalg.solve(system, values)  # (B, n + 3, 2)
        grid = identity_grid(1, size, size, device, torch.float64).flatten(2).transpose(1, 2)  # (1, s*s, 2)
        grid = grid.expand(batch, -1, -1)
        radial = _radial(torch.cdist(grid, control).square())  # (B, s*s, n)
        points = radial @ coefficients[:, :n] + torch.cat(
            [torch.ones(batch, grid.shape[1], 1, **f64), grid], 2
        ) @ coefficients[:, n:]
        flow = points.transpose(1, 2).reshape(batch, 2, size, size)
    return flow.to(dtype)
