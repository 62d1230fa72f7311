"""68 landmarks -> 68 Gaussian heatmap channels.

The paper draws each landmark as a Gaussian of variance 3 at 256 px; here sigma = sqrt(variance) *
R / 256 for a model of resolution R. Each heatmap pixel holds the Gaussian's *average over that pixel*
(a product of erf differences, separable in x and y). At full resolution this is within a few percent
of point sampling; at the coarse sizes the flow net uses (R/4) it stays smooth and alias-free instead of
collapsing to a sub-pixel spike. Peak value is about 1 at full resolution.
"""

from __future__ import annotations

import math

import torch


def _axis_profile(
    centres: torch.Tensor, size: int, image_size: float, sigma: float | torch.Tensor
) -> torch.Tensor:
    """Pixel-averaged 1D Gaussian: (..., K) centres in image px -> (..., K, size).

    `sigma` is a number or a tensor broadcastable to `centres`.
    """
    step = image_size / size
    edges = torch.arange(size + 1, device=centres.device, dtype=centres.dtype) * step - 0.5
    sigma_t = torch.as_tensor(sigma, device=centres.device, dtype=centres.dtype).unsqueeze(-1)
    cdf = torch.erf((edges - centres.unsqueeze(-1)) / (sigma_t * math.sqrt(2.0)))
    return (cdf[..., 1:] - cdf[..., :-1]) * (sigma_t * (math.sqrt(math.pi / 2.0) / step))


def landmark_heatmaps(
    landmarks: torch.Tensor,
    size: int,
    image_size: float,
    sigma: float | torch.Tensor,
) -> torch.Tensor:
    """Heatmaps (B, K, size, size) for landmarks (B, K, 2) given in pixels of a square `image_size` image.

    `sigma` is in image pixels: a number, or a tensor broadcastable to (B, K). Landmarks outside the
    image give (near) empty channels.
    """
    if landmarks.dim() != 3 or landmarks.shape[-1] != 2:
        raise ValueError(f"landmarks must have shape (B, K, 2), got {tuple(landmarks.shape)}")
    landmarks = landmarks.float()
    gx = _axis_profile(landmarks[..., 0], size, image_size, sigma)  # (B, K, W)
    gy = _axis_profile(landmarks[..., 1], size, image_size, sigma)  # (B, K, H)
    return gy.unsqueeze(-1) * gx.unsqueeze(-2)


def region_heatmaps(
    landmarks: torch.Tensor,
    boxes: torch.Tensor,
    indices: tuple[int, ...],
    size: int,
    sigma: float,
) -> torch.Tensor:
    """Heatmaps of one region's landmarks in its crop box: (B, k, size, size).

    `boxes` is (B, 3) with centre x, centre y and half side in image pixels; the crop spans
    [centre - half, centre + half] and is sampled at `size` pixels. `sigma` is in image pixels.
    """
    pts = landmarks[:, list(indices), :]
    half = boxes[:, 2:3].unsqueeze(-1)
    corner = boxes[:, None, :2] - half
    scale = size / (2 * half)
    local = (pts - corner) * scale - 0.5  # image px -> crop px (pixel centres at integers)
    return landmark_heatmaps(local, size, size, sigma * scale.reshape(-1, 1))
