"""The paper's losses: adversarial (eq. 6) with D_L and D_I, content (L1 + perceptual), local (eq. 9).

    L_G = lambda_GAN * L_GAN + lambda_c * L_c + lambda_local * L_local  (+ feature matching, optional)
    L_c = |I_d - G|_1 + sum_l w_l |phi_l(I_d) - phi_l(G)|_1
    L_local = sum_j sum_l w_l |phi_l(crop_j(I_d)) - phi_l(local_j)|_1     (j = eyes, nose, mouth)

phi_l are VGG19 ImageNet features. Without those weights `PerceptualLoss` can be built as a
multi-scale L1 distance instead (the explicit ``perceptual_fallback: l1``); `kind` says which.
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


def multiscale_l1(x: torch.Tensor, y: torch.Tensor, scales: int = 4) -> torch.Tensor:
    """Mean of the L1 distances at full size and `scales - 1` successive 2x area-downsamplings."""
    terms = []
    for level in range(scales):
        if level:
            if min(x.shape[-2:]) < 2:
                break
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
        terms.append(F.l1_loss(x.float(), y.float()))
    return torch.stack(terms).mean()


class PerceptualLoss(nn.Module):
    """sum_l w_l |phi_l(x) - phi_l(y)|_1 over VGG19 layers, or the multi-scale L1 fallback.

    ``kind`` is ``"vgg19"`` or ``"multiscale-l1"``; the trainer records it in the log and checkpoint.
    """

    def __init__(self, vgg: VGG19Features | None, weights: Sequence[float] = ()):
        super().__init__()
        self.vgg = vgg
        self.kind = "vgg19" if vgg is not None else "multiscale-l1"
        if vgg is not None and len(weights) != len(vgg.layers):
            raise ValueError("one weight per VGG layer is needed")
        self.weights = tuple(float(w) for w in weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.vgg is None:
            return multiscale_l1(x, y)
        # One pass over both: the batch dimension doubles, the features split again.
        features = self.vgg(torch.cat([x, y.detach()], 0))
        total = x.new_zeros((), dtype=torch.float32)
        for weight, feature in zip(self.weights, features, strict=True):
            fx, fy = feature.float().chunk(2, 0)
            total = total + weight * F.l1_loss(fx, fy.detach())
        return total


def local_targets(driving: torch.Tensor, driving_landmarks: torch.Tensor, size: int) -> torch.Tensor:
    """Ground truth for the local nets: the driving frame's eyes, nose and mouth (B, 4, 3, size, size).

    Cropped at the boxes of the driving landmarks, the frame in which the local nets draw their parts.
    """
    return crop_regions(driving, region_boxes(driving_landmarks.to(driving.dtype)), size)


def local_loss(local_images: torch.Tensor, targets: torch.Tensor, perceptual: PerceptualLoss) -> torch.Tensor:
    """Eq. 9: the perceptual distance of each local net's output to its target, summed over the parts."""
    parts = local_images.shape[1]
    distance = perceptual(local_images.flatten(0, 1), targets.flatten(0, 1))  # mean over the B*4 crops
    return distance * parts


def content_loss(
    image: torch.Tensor, target: torch.Tensor, perceptual: PerceptualLoss, l1_weight: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(pixel L1, perceptual distance) between the generated image and the driving frame."""
    return F.l1_loss(image.float(), target.float()) * l1_weight, perceptual(image, target)


PERCEPTUAL_NOTES = {
    "vgg19": "VGG19 ImageNet perceptual distance (the paper's content and local losses)",
    "multiscale-l1": (
        "multi-scale L1 in place of the VGG19 perceptual distance (explicit fallback: VGG19 weights not "
        "used); the content and local losses are NOT the paper's"
    ),
}


def build_perceptual(
    layers: Sequence[str], weights: Sequence[float], fallback: str = "none", vgg_weights: str | None = None
) -> PerceptualLoss:
    """The VGG19 perceptual loss when its weights are found; else the fallback or a `ConfigError`.

    The weights are torchvision's ``vgg19-dcbb9e9d.pth``, at `vgg_weights` or in the torch hub cache.
    With ``fallback="l1"`` and no weights the loss is the multi-scale L1 (`PerceptualLoss.kind` says
    so); with ``fallback="none"`` training refuses to start, naming where the file was looked for.
    """
    from core.errors import ConfigError
    from training.vgg import VGG19_FILENAME, VGG19_URL, find_vgg19_weights, hub_checkpoint_dirs

    path = find_vgg19_weights(vgg_weights)
    if path is not None:
        vgg = VGG19Features(tuple(layers))
        vgg.load_torchvision(path)
        return PerceptualLoss(vgg, weights)
    if fallback == "l1":
        return PerceptualLoss(None)
    looked = ", ".join(str(d) for d in hub_checkpoint_dirs())
    raise ConfigError(
        f"the VGG19 ImageNet weights ({VGG19_FILENAME}) were not found (looked in {looked}); without them the "
        "perceptual and local losses cannot be the paper's. Put torchvision's file there (it is "
        f"{VGG19_URL}) or name it with --vgg-weights, or pass --perceptual-fallback l1 to train with a "
        "multi-scale L1 distance instead (recorded in the log and checkpoints)"
    )
