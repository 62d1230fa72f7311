"""Appearance adaptive normalisation (AAN), paper eq. 2-4.

    mu_c      = mean over (n, h, w) of x[n, c, h, w]                      (eq. 2)
    sigma_c^2 = mean over (n, h, w) of (x[n, c, h, w] - mu_c)^2            (eq. 3)
    AAN(x)    = gamma[n, c, h, w] * (x - mu_c) / sqrt(sigma_c^2 + eps) + beta[n, c, h, w]   (eq. 4)

gamma and beta are *spatial* maps predicted from the source by the appearance extractor, one pair per
AAN layer. ``statistics="batch"`` is the paper's choice: batch statistics while training and running
averages at inference, as batch norm does, so a frame never depends on what else is in its batch.
``statistics="instance"`` uses per-sample statistics over (h, w) in training and inference alike.

At inference with batch statistics the normalisation is a fixed per-channel affine map, so AAN folds
with gamma and beta into one spatial scale and shift, computed once per source (`fold`).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Statistics = Literal["batch", "instance"]


class AdaptiveNorm(nn.Module):
    """x -> gamma * normalise(x) + beta with spatial gamma, beta of x's shape (or broadcastable)."""

    def __init__(self, channels: int, statistics: Statistics = "batch", eps: float = 1e-5):
        super().__init__()
        self.channels = channels
        self.statistics = statistics
        if statistics == "batch":
            self.norm: nn.Module = nn.BatchNorm2d(channels, eps=eps, affine=False)
        else:
            self.norm = nn.InstanceNorm2d(channels, eps=eps, affine=False)

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(beta, self.norm(x), gamma)

    def foldable(self) -> bool:
        """True when the normalisation is a fixed affine map (batch statistics, eval mode)."""
        return self.statistics == "batch" and not self.training

    def fold(self, gamma: torch.Tensor, beta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) with AAN(x) = x * scale + shift; only valid when `foldable()`."""
        assert isinstance(self.norm, nn.BatchNorm2d)
        inv_std = torch.rsqrt(self.norm.running_var + self.norm.eps).view(1, -1, 1, 1)
        mean = self.norm.running_mean.view(1, -1, 1, 1)
        scale = gamma * inv_std
        return scale, beta - mean * scale

    @staticmethod
    def apply_folded(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(shift, x, scale)
