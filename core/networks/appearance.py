"""Appearance extractor E_a: a U-Net over the source image.

Outputs the appearance feature F_a (warped by the flow, then fed to the fusion net) and
Theta = [(gamma_i, beta_i)], one pair per AAN layer of the fusion net, each a spatial map shaped like
that layer's feature map (C_i x H_i x W_i). Both come from the U-Net's skip-connected decoder: F_a and
Theta_0 from the decoder level at F_a's size, Theta_i from the level at the size of fusion stage i.
gamma_i is predicted as 1 + delta, so an untrained extractor starts from plain normalisation.
"""

from __future__ import annotations

import torch
from torch import nn

from core.config import ModelConfig
from core.networks.blocks import UNet, conv2d


class AppearanceExtractor(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        widths = config.appearance_widths
        blocks = config.fusion_blocks
        self.unet = UNet(3, widths, norm=config.block_norm, act="lrelu", spectral=config.spectral_norm)
        self.feature_head = conv2d(widths[blocks], config.fusion_widths[0], 3, spectral=config.spectral_norm)
        # AAN layer i sits at size feature_size * 2**i, i.e. decoder level (blocks - i).
        self.theta_levels = tuple(blocks - i for i in range(blocks + 1))
        self.theta_heads = nn.ModuleList(
            conv2d(widths[level], 2 * channels, 3, spectral=config.spectral_norm)
            for level, channels in zip(self.theta_levels, config.fusion_widths, strict=True)
        )

    def forward(self, source: torch.Tensor) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """source (B, 3, R, R) in [-1, 1] -> F_a (B, C_0, R/2^n, R/2^n), Theta."""
        decoded = self.unet(source)
        appearance = self.feature_head(decoded[self.theta_levels[0]])
        theta = []
        for level, head in zip(self.theta_levels, self.theta_heads, strict=True):
            delta_gamma, beta = head(decoded[level]).chunk(2, dim=1)
            theta.append((1.0 + delta_gamma, beta))
        return appearance, theta
