"""Fusion net: fusion blocks with appearance adaptive normalisation and pixel-shuffle upsampling.

    F_{i+1} = FB_i([F_i, I_local resized to F_i], gamma_i, beta_i)

A fusion block is: concat(F_i, I_local) -> conv3x3 -> AAN(gamma_i, beta_i) -> ReLU ->
conv3x3 to 4*C_{i+1} channels -> pixel shuffle (x2) -> LeakyReLU. AAN sits after the block's first
convolution, so Theta_i is C_i x H_i x W_i with C_i = fusion_widths[i] at F_i's size. The output stage
at full resolution repeats the first half (concat, conv, AAN with the last Theta, ReLU), then applies
`output_convs` residual 3x3 convolutions and a 3x3 convolution to RGB with tanh. I_local is the local
nets' 4-channel canvas (RGB + coverage), area-downsampled to each stage's size.

With ``ModelConfig.warp_source`` (an addition to the paper, off by default), the canvas also carries
the source image warped by the same flow (upsampled to full resolution): three more channels at every
stage. The output stage then predicts a fourth channel, a blending mask m (sigmoid; its bias starts
at +4, m ~ 0.98), and returns m * warped source + (1 - m) * synthesised RGB, the occlusion-aware
blending of Monkey-Net/FOMM: the network copies the source's texture where the motion reveals
nothing new and synthesises only the rest (the mouth's inside, disocclusions). On this project's
little training data it is what lets a small model beat the plain landmark warp (resources/README.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.config import LOCAL_CANVAS_CHANNELS, ModelConfig
from core.networks.aan import AdaptiveNorm
from core.networks.blocks import conv2d

Modulation = tuple[torch.Tensor, torch.Tensor]
MASK_BIAS = 4.0  # the blending mask starts at sigmoid(4) ~ 0.98 on the warped source


class _Modulated(nn.Module):
    """concat(x, local) -> conv -> AAN -> ReLU: the first half of every fusion stage."""

    def __init__(self, channels: int, config: ModelConfig):
        super().__init__()
        self.conv = conv2d(channels + config.guide_channels, channels, 3, spectral=config.spectral_norm)
        self.norm = AdaptiveNorm(channels, config.aan_statistics)

    def forward(self, x: torch.Tensor, local: torch.Tensor, modulation: Modulation, folded: bool) -> torch.Tensor:
        h = self.conv(torch.cat([x, local], 1))
        h = AdaptiveNorm.apply_folded(h, *modulation) if folded else self.norm(h, *modulation)
        return F.relu(h, inplace=True)


class FusionBlock(nn.Module):
    def __init__(self, channels: int, out_channels: int, config: ModelConfig):
        super().__init__()
        self.modulated = _Modulated(channels, config)
        self.expand = conv2d(channels, 4 * out_channels, 3, spectral=config.spectral_norm)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor, local: torch.Tensor, modulation: Modulation, folded: bool) -> torch.Tensor:
        h = self.modulated(x, local, modulation, folded)
        return F.leaky_relu(self.shuffle(self.expand(h)), 0.2, inplace=True)


class OutputStage(nn.Module):
    def __init__(self, channels: int, config: ModelConfig):
        super().__init__()
        self.modulated = _Modulated(channels, config)
        self.residual = nn.ModuleList(
            conv2d(channels, channels, 3, spectral=config.spectral_norm) for _ in range(config.output_convs)
        )
        self.blend = config.warp_source
        self.to_rgb = conv2d(channels, 4 if self.blend else 3, 3, spectral=config.spectral_norm)
        if self.blend:
            with torch.no_grad():
                self.to_rgb.bias[3] = MASK_BIAS

    def forward(
        self, x: torch.Tensor, local: torch.Tensor, modulation: Modulation, folded: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """RGB in [-1, 1], and the blending mask on the warped source (None without warp_source)."""
        h = self.modulated(x, local, modulation, folded)
        for conv in self.residual:
            h = h + conv(F.leaky_relu(h, 0.2))
        out = self.to_rgb(h)
        if not self.blend:
            return torch.tanh(out), None
        mask = torch.sigmoid(out[:, 3:])
        warped_source = local[:, LOCAL_CANVAS_CHANNELS : LOCAL_CANVAS_CHANNELS + 3]  # after the canvas
        return mask * warped_source + (1 - mask) * torch.tanh(out[:, :3]), mask


class FusionNet(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        widths = config.fusion_widths
        self.blocks = nn.ModuleList(
            FusionBlock(widths[i], widths[i + 1], config) for i in range(config.fusion_blocks)
        )
        self.output = OutputStage(widths[-1], config)

    def norms(self) -> list[AdaptiveNorm]:
        """The AAN layers in Theta's order."""
        return [block.modulated.norm for block in self.blocks] + [self.output.modulated.norm]

    def forward(
        self,
        warped: torch.Tensor,
        local_canvas: torch.Tensor,
        modulations: list[Modulation],
        folded: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """warped F_a (B, C_0, h, w), guide canvas (B, 4 or 7, R, R), Theta (or its folded form) -> RGB
        (B, 3, R, R) and the blending mask (B, 1, R, R) on the warped source, or None without one."""
        h = warped
        for block, modulation in zip(self.blocks, modulations[:-1], strict=True):
            factor = local_canvas.shape[-1] // h.shape[-1]
            local = F.avg_pool2d(local_canvas, factor) if factor > 1 else local_canvas
            h = block(h, local, modulation, folded)
        return self.output(h, local_canvas, modulations[-1], folded)
