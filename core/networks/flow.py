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
- warping samples bilinearly with zero padding (outside the source there is no appearance);
- a coarse flow is brought to a finer grid by resampling its *offset* from the identity
  (`upsample_flow`), never the absolute positions: those would be clamped at the borders (up to
  1.5 px wrong on the edge rows at 32 -> 128), while a translation's offset is exact everywhere.
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


def upsample_flow(flow: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """A backward flow (B, 2, h, w) on a (H, W) grid: the offset from the identity is resampled.

    Normalised coordinates with align_corners=False are resolution-independent, so the identity of
    the fine grid plus the resampled offset is the same motion; beyond the coarse grid's outer cell
    centres the offset is held (a translation stays exact up to the border).
    """
    size = (int(size[0]), int(size[1]))
    if tuple(flow.shape[-2:]) == size:
        return flow
    b, _, h, w = flow.shape
    offset = flow - identity_grid(b, h, w, flow.device, flow.dtype)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    offset = F.interpolate(offset, size=size, mode=mode, **kwargs)
    return identity_grid(b, size[0], size[1], flow.device, flow.dtype) + offset


def warp(feature: torch.Tensor, flow: torch.Tensor, padding: str = "zeros") -> torch.Tensor:
    """Sample `feature` at the backward `flow` (B, 2, h, w), brought to the feature's size as an offset.

    Sampling runs in float32 whatever the feature's dtype (under bf16 autocast a normalised position
    would round to a quarter of a pixel at 64 px); the result has the feature's dtype. `padding` is
    grid_sample's: "zeros" for appearance features (outside the source there is none), "border" for
    images (a position just outside the crop repeats its edge instead of showing a hole).
    """
    with torch.autocast(device_type=feature.device.type, enabled=False):
        flow = upsample_flow(flow.float(), feature.shape[-2:])
        sampled = F.grid_sample(
            feature.float(), flow.permute(0, 2, 3, 1), mode="bilinear", padding_mode=padding, align_corners=False
        )
    return sampled.to(feature.dtype)


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
