"""Flow estimation net: an hourglass over source and driving landmark heatmaps, and the warp.

The flow F_sd is a *backward* field: for each position of the driving frame, where to sample the
source, in grid_sample's normalised coordinates. It is the identity grid plus a predicted offset
(or, with ``ModelConfig.landmark_flow``, a landmark thin-plate spline plus the offset: see
`core.networks.landmark_flow`).
Choices the paper leaves open:
- the hourglass runs on heatmaps at F_a's size (R/4 at the default config: 136 channels at full
  256 px would cost over 10 GFLOPs per frame on their own);
- the offset is the head's output times a learnable gain initialised small (0.05), so training starts
  from a near-identity warp; a zero-initialised head is impossible under spectral norm;
- warping samples bilinearly with zero padding (outside the source there is no appearance).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.config import ModelConfig
from core.faces.regions import NUM_LANDMARKS
from core.networks.blocks import UNet, conv2d


def identity_grid(batch: int, height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(B, 2, H, W) normalised pixel-centre coordinates (align_corners=False), x first."""
    ys = (torch.arange(height, device=device, dtype=dtype) * 2 + 1) / height - 1
    xs = (torch.arange(width, device=device, dtype=dtype) * 2 + 1) / width - 1
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), 0)
    return grid.unsqueeze(0).expand(batch, -1, -1, -1)


def warp(feature: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample `feature` at the backward `flow` (B, 2, h, w), resampled bilinearly to the feature's size."""
    if flow.shape[-2:] != feature.shape[-2:]:
        flow = F.interpolate(flow, size=feature.shape[-2:], mode="bilinear", align_corners=False)
    return F.grid_sample(
        feature, flow.permute(0, 2, 3, 1), mode="bilinear", padding_mode="zeros", align_corners=False
    )


class FlowEstimator(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        widths = config.flow_widths
        self.hourglass = UNet(2 * NUM_LANDMARKS, widths, norm=config.block_norm, spectral=config.spectral_norm)
        self.head = conv2d(widths[0], 2, 3, spectral=config.spectral_norm)
        self.gain = nn.Parameter(torch.tensor(0.05))

    def forward(
        self, source_heatmaps: torch.Tensor, driving_heatmaps: torch.Tensor, base: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Heatmaps (B, 68, h, w) each -> flow (B, 2, h, w): `base` (default the identity) + offset."""
        features = self.hourglass(torch.cat([source_heatmaps, driving_heatmaps], 1))[0]
        offset = self.head(features) * self.gain
        if base is None:
            b, _, h, w = offset.shape
            base = identity_grid(b, h, w, offset.device, offset.dtype)
        return base + offset
