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
stage. The output stage then predicts a fourth channel, a blending mask m (sigmoid of a logit whose
bias starts at `MASK_BIAS`), and returns m * warped source + (1 - m) * synthesised RGB, the
occlusion-aware blending of Monkey-Net/FOMM: the network copies the source's texture where the motion
reveals nothing new and synthesises only the rest (the mouth's inside, disocclusions).

Where the mask starts matters: every gradient reaching the synthesised RGB is scaled by (1 - m). The
first demo model started at m = sigmoid(4) = 0.98 and its synthesis branch, getting 2% of the
gradient, never learned (the mask ended at 0.994). New models start at sigmoid(1) = 0.73: the output
is still mostly the warp, and the synthesis gets 27% of the gradient. Training can choose another
start (`TrainConfig.mask_bias`, `FusionNet.set_mask_bias`); a checkpoint keeps its own bias.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.config import LOCAL_CANVAS_CHANNELS, ModelConfig
from core.networks.aan import AdaptiveNorm
from core.networks.blocks import conv2d

Modulation = tuple[torch.Tensor, torch.Tensor]
MASK_BIAS = 1.0  # the blending mask starts at sigmoid(1) ~ 0.73 on the warped source (it was 4: 0.98)


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
            self.set_mask_bias(MASK_BIAS)

    def set_mask_bias(self, bias: float) -> None:
        """Start the blending mask at sigmoid(`bias`) on the warped source (its logit's bias)."""
        if not self.blend:
            raise ValueError("this model has no blending mask (warp_source is off)")
        with torch.no_grad():
            self.to_rgb.bias[3] = float(bias)

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

    def set_mask_bias(self, bias: float) -> None:
        """Start the blending mask at sigmoid(`bias`) (a new model; `warp_source` only)."""
        self.output.set_mask_bias(bias)

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
