"""Small shared blocks: spectrally normalised convolution, conv-norm-act, and a U-Net.

Variants are parameters (norm kind, activation, stride, spectral norm on/off), never copies. The U-Net
serves the appearance extractor, the flow net's hourglass and the four local nets. Its skips are
*added* (feature-pyramid style) rather than concatenated, and each decoder level first narrows at the
coarse resolution and then upsamples, which keeps the per-frame nets cheap at high resolution.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

Activation = Literal["relu", "lrelu", "none"]
Norm = Literal["batch", "instance", "none"]


def conv2d(
    in_channels: int,
    out_channels: int,
    kernel: int = 3,
    stride: int = 1,
    spectral: bool = True,
    bias: bool = True,
    padding: int | None = None,
) -> nn.Module:
    """A Conv2d, spectrally normalised when `spectral` (the paper puts SN on every generator conv)."""
    layer = nn.Conv2d(
        in_channels, out_channels, kernel, stride, padding=kernel // 2 if padding is None else padding, bias=bias
    )
    return spectral_norm(layer) if spectral else layer


def norm2d(kind: Norm, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def activation(kind: Activation) -> nn.Module:
    if kind == "relu":
        return nn.ReLU(inplace=True)
    if kind == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    return nn.Identity()


class ConvBlock(nn.Sequential):
    """conv -> norm -> activation (order CNA)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int = 3,
        stride: int = 1,
        norm: Norm = "batch",
        act: Activation = "relu",
        spectral: bool = True,
    ):
        super().__init__(
            conv2d(in_channels, out_channels, kernel, stride, spectral, bias=norm != "batch"),
            norm2d(norm, out_channels),
            activation(act),
        )


class UpLevel(nn.Module):
    """One decoder level: narrow at the coarse size, upsample x2 (nearest), add the skip, refine."""

    def __init__(self, in_channels: int, out_channels: int, norm: Norm, act: Activation, spectral: bool):
        super().__init__()
        self.narrow = ConvBlock(in_channels, out_channels, 3, 1, norm, act, spectral)
        self.refine = ConvBlock(out_channels, out_channels, 3, 1, norm, act, spectral)

    def forward(self, coarse: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(self.narrow(coarse), size=skip.shape[-2:], mode="nearest")
        return self.refine(up + skip)


class UNet(nn.Module):
    """Encoder-decoder with additive skips.

    ``widths[0]`` is the width at the input resolution (a stride-1 stem), each further entry a stride-2
    down block; the decoder mirrors the down blocks. `forward` returns the decoder's features at every
    level, finest first: ``[full, 1/2, 1/4, ..., bottleneck]`` with widths ``widths``.
    """

    def __init__(
        self,
        in_channels: int,
        widths: tuple[int, ...],
        norm: Norm = "batch",
        act: Activation = "relu",
        spectral: bool = True,
    ):
        super().__init__()
        self.widths = tuple(widths)
        self.stem = ConvBlock(in_channels, widths[0], 3, 1, norm, act, spectral)
        self.down = nn.ModuleList(
            ConvBlock(widths[i - 1], widths[i], 3, 2, norm, act, spectral) for i in range(1, len(widths))
        )
        self.up = nn.ModuleList(
            UpLevel(widths[i], widths[i - 1], norm, act, spectral) for i in range(len(widths) - 1, 0, -1)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        skips = [self.stem(x)]
        for block in self.down:
            skips.append(block(skips[-1]))
        decoded = [skips[-1]]
        for level, block in zip(range(len(skips) - 2, -1, -1), self.up, strict=True):
            decoded.append(block(decoded[-1], skips[level]))
        return decoded[::-1]
