"""The local net: four independent U-Nets that reenact the left eye, right eye, nose and mouth first.

Each net sees the source crop of its part plus the part's source and driving heatmaps, both drawn in
the crop's frame: the source landmarks relative to the source's box, the driving landmarks relative
to the driving box (so the net learns the part's expression, not its position). The reenacted crop is
then moved to the driving position and scale by the similarity transform of the driving box
(`paste_regions`) and composited, with a feathered window, into a 4-channel canvas (RGB + coverage)
that the fusion net reads at every scale.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from core.config import ModelConfig
from core.faces.regions import LOCAL_INDICES
from core.networks.blocks import UNet, conv2d


def _crop_theta(boxes: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Affine (N, 2, 3) from crop-normalised to image-normalised coordinates for boxes (N, 3)."""
    cx, cy, half = boxes.unbind(-1)
    theta = boxes.new_zeros(boxes.shape[0], 2, 3)
    theta[:, 0, 0] = 2 * half / width
    theta[:, 0, 2] = (2 * cx + 1) / width - 1
    theta[:, 1, 1] = 2 * half / height
    theta[:, 1, 2] = (2 * cy + 1) / height - 1
    return theta


def crop_regions(image: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear crops of `image` (B, C, H, W) at `boxes` (B, N, 3) -> (B, N, C, size, size)."""
    b, c, h, w = image.shape
    n = boxes.shape[1]
    theta = _crop_theta(boxes.reshape(b * n, 3), w, h)
    grid = F.affine_grid(theta, [b * n, c, size, size], align_corners=False)
    repeated = image.unsqueeze(1).expand(b, n, c, h, w).reshape(b * n, c, h, w)
    crops = F.grid_sample(repeated, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return crops.view(b, n, c, size, size)


def feather_window(size: int, device: torch.device, dtype: torch.dtype, inner: float = 0.6) -> torch.Tensor:
    """(size, size) window: 1 inside `inner` of the half side, a cosine fall-off to 0 at the edge."""
    u = (torch.arange(size, device=device, dtype=dtype) * 2 + 1) / size - 1
    ramp = ((1 - u.abs()) / (1 - inner)).clamp(0, 1)
    profile = 0.5 - 0.5 * torch.cos(torch.pi * ramp)
    return profile[:, None] * profile[None, :]


def paste_regions(crops: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Composite crops (B, N, 3, L, L) into a (B, 4, size, size) canvas at `boxes` (B, N, 3).

    Channels 0-2 are the composited RGB (zero where no part lies), channel 3 the coverage in [0, 1].
    Later parts are drawn over earlier ones where their windows overlap. Each part is resampled only
    inside its box's pixel window (a box covers a few percent of the image), bilinearly with the
    feathered window as alpha.
    """
    b, _, c, crop_size, _ = crops.shape
    window = feather_window(crop_size, crops.device, crops.dtype).expand(1, 1, crop_size, crop_size)
    canvas = crops.new_zeros(b, c + 1, size, size)
    coords = torch.arange(size, device=crops.device, dtype=crops.dtype)
    for bi, boxes_b in enumerate(boxes.detach().to("cpu", torch.float64).tolist()):
        for i, (cx, cy, half) in enumerate(boxes_b):
            x0, x1 = max(0, math.floor(cx - half)), min(size, math.ceil(cx + half) + 1)
            y0, y1 = max(0, math.floor(cy - half)), min(size, math.ceil(cy + half) + 1)
            if x1 <= x0 or y1 <= y0:
                continue  # the part lies outside the image
            u = (coords[x0:x1] - cx) / half  # crop-normalised coordinates of the window's pixels
            v = (coords[y0:y1] - cy) / half
            grid = torch.stack(torch.meshgrid(u, v, indexing="xy"), -1).unsqueeze(0)
            layer = torch.cat([crops[bi, i : i + 1], window], 1)
            placed = F.grid_sample(layer, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
            placed = placed.to(canvas.dtype)  # autocast runs grid_sample in float32
            alpha = placed[c:]
            region = canvas[bi, :, y0:y1, x0:x1].clone()  # autograd keeps this copy, not the canvas
            rgb = torch.lerp(region[:c], placed[:c], alpha)
            coverage = region[c:] + alpha * (1 - region[c:])
            canvas[bi, :, y0:y1, x0:x1] = torch.cat([rgb, coverage], 0)
    return canvas


class LocalNet(nn.Module):
    """One part's U-Net (three down blocks, three up): crop + heatmaps -> reenacted crop in [-1, 1]."""

    def __init__(self, landmarks: int, config: ModelConfig):
        super().__init__()
        self.unet = UNet(3 + 2 * landmarks, config.local_widths, norm=config.block_norm, spectral=config.spectral_norm)
        self.head = conv2d(config.local_widths[0], 3, 3, spectral=config.spectral_norm)

    def forward(self, crop: torch.Tensor, source_heatmaps: torch.Tensor, driving_heatmaps: torch.Tensor) -> torch.Tensor:
        features = self.unet(torch.cat([crop, source_heatmaps, driving_heatmaps], 1))[0]
        return torch.tanh(self.head(features))


class LocalNets(nn.Module):
    """The four local nets, in the order of `core.faces.regions.LOCAL_REGIONS`."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.nets = nn.ModuleList(LocalNet(len(indices), config) for indices in LOCAL_INDICES)

    def forward(
        self,
        source_crops: torch.Tensor,
        source_heatmaps: list[torch.Tensor],
        driving_heatmaps: list[torch.Tensor],
    ) -> torch.Tensor:
        """source_crops (B, 4, 3, L, L) and per-part heatmaps -> reenacted crops (B, 4, 3, L, L)."""
        outputs = [
            net(source_crops[:, i], source_heatmaps[i], driving_heatmaps[i]) for i, net in enumerate(self.nets)
        ]
        return torch.stack(outputs, 1)
