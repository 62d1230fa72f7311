"""Multi-scale patch discriminators (pix2pixHD style) for D_L and D_I.

D_L judges pose and expression: it sees [image, driving heatmaps] (3 + 68 channels).
D_I judges identity: it sees [image, source image] (3 + 3 channels).
Each is `scales` PatchGANs on the input average-pooled by 1, 2, 4...; every PatchGAN returns its
intermediate features (for feature matching) with its patch logits last. Spectral norm on every
convolution, LeakyReLU(0.2), no normalisation layers (they would couple real and fake batches).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.config import ModelConfig
from core.faces.regions import NUM_LANDMARKS
from core.networks.blocks import conv2d


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int, widths: tuple[int, ...], spectral: bool = True):
        super().__init__()
        layers = []
        previous = in_channels
        for i, width in enumerate(widths):
            stride = 2 if i < len(widths) - 1 else 1
            layers.append(nn.Sequential(conv2d(previous, width, 4, stride, spectral, padding=1), nn.LeakyReLU(0.2)))
            previous = width
        layers.append(conv2d(previous, 1, 4, 1, spectral, padding=1))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return features


class MultiScaleDiscriminator(nn.Module):
    def __init__(self, in_channels: int, scales: int, widths: tuple[int, ...], spectral: bool = True):
        super().__init__()
        self.discriminators = nn.ModuleList(PatchDiscriminator(in_channels, widths, spectral) for _ in range(scales))

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        """Per scale, the list of features with the patch logits last."""
        outputs = []
        for i, discriminator in enumerate(self.discriminators):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(discriminator(x))
        return outputs


def landmark_discriminator(config: ModelConfig) -> MultiScaleDiscriminator:
    """D_L: [image, driving heatmaps at full resolution]."""
    return MultiScaleDiscriminator(
        3 + NUM_LANDMARKS, config.discriminator_scales, config.discriminator_widths, config.spectral_norm
    )


def identity_discriminator(config: ModelConfig) -> MultiScaleDiscriminator:
    """D_I: [image, source image]."""
    return MultiScaleDiscriminator(6, config.discriminator_scales, config.discriminator_widths, config.spectral_norm)
