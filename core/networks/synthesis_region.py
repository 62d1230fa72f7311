"""Where a model with ``warp_source`` may paint: the whole face, or only around the driving mouth.

The output stage blends the flow-warped source with what the network synthesises through a mask m
(`core.networks.fusion`). With ``ModelConfig.synthesis_region = "mouth"`` the synthesis is kept only
inside a soft ellipse around the driving frame's outer lips and the output is exactly the warped
source elsewhere: ``image = warped + w * (blended - warped)``, and the reported mask becomes
``1 - w * (1 - m)``. This is the one place a small model's synthesis pays on a face it never saw (the
mouth's inside, which a warp cannot show), while elsewhere the warp of the photo is sharper and more
faithful than what it paints (resources/README.md has the validation figures that chose it for the
demo model). Training with it teaches synthesis in the mouth only.

The ellipse: centred on the outer lips (points 48-59), its long axis through the mouth corners (48,
54), half-axes `MOUTH_GROW` times the lips' extent along and across that axis (across at least
`MOUTH_MIN_ASPECT` of along, so a closed mouth still has room to open), weight 1 inside and a
smoothstep to 0 at `1 + MOUTH_FEATHER` times the half-axes. Both constants were chosen on the demo
model's validation split (grow 1.2-1.8, feather 0.4-0.8 tried; all within 0.002 SSIM of each other).
"""

from __future__ import annotations

import torch

from core.config import SynthesisRegion
from core.faces.regions import OUTER_LIPS

MOUTH_GROW = 1.5
MOUTH_FEATHER = 0.8
MOUTH_MIN_ASPECT = 0.35
_LEFT_CORNER, _RIGHT_CORNER = 48, 54


def mouth_region(landmarks: torch.Tensor, size: int, grow: float = MOUTH_GROW,
                 feather: float = MOUTH_FEATHER) -> torch.Tensor:
    """(B, 1, size, size) float32 weights in [0, 1] around the mouth of (B, 68, 2) pixel landmarks."""
    lm = landmarks.float()
    lips = lm[:, list(OUTER_LIPS)]
    centre = lips.mean(1, keepdim=True)  # (B, 1, 2)
    axis = lm[:, _RIGHT_CORNER] - lm[:, _LEFT_CORNER]
    along = axis / axis.norm(dim=-1, keepdim=True).clamp_min(1e-6)  # (B, 2)
    across = torch.stack([-along[:, 1], along[:, 0]], -1)
    rel = lips - centre
    half_along = ((rel * along[:, None]).sum(-1).abs().amax(-1) * grow).clamp_min(1e-3)  # (B,)
    half_across = torch.maximum((rel * across[:, None]).sum(-1).abs().amax(-1) * grow,
                                MOUTH_MIN_ASPECT * half_along)
    pixels = torch.arange(size, dtype=torch.float32, device=lm.device)
    ys, xs = torch.meshgrid(pixels, pixels, indexing="ij")
    offset = torch.stack([xs, ys], -1).reshape(1, -1, 2) - centre  # (B, N, 2)
    u = (offset * along[:, None]).sum(-1) / half_along[:, None]
    v = (offset * across[:, None]).sum(-1) / half_across[:, None]
    t = ((1 + feather - (u * u + v * v).sqrt()) / feather).clamp(0, 1)
    return (t * t * (3 - 2 * t)).reshape(-1, 1, size, size)


def limit_synthesis(
    region: SynthesisRegion, image: torch.Tensor, warped_source: torch.Tensor, mask: torch.Tensor,
    landmarks: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The output and blend mask with the synthesis kept inside `region` (unchanged for ``face``)."""
    if region == "face":
        return image, mask
    weight = mouth_region(landmarks, image.shape[-1]).to(image.dtype)
    return warped_source + weight * (image - warped_source), 1 - weight * (1 - mask)
