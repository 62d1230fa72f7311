"""The flow's resampling: offsets, not absolute positions, and float32 coordinates under autocast."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.config import ModelConfig
from core.networks.flow import identity_grid, upsample_flow, warp
from core.networks.generator import Generator


def test_a_translation_upsampled_from_32_to_128_is_exact_up_to_the_border() -> None:
    shift = torch.tensor([0.1, -0.05]).view(1, 2, 1, 1)
    coarse = identity_grid(1, 32, 32, torch.device("cpu"), torch.float32) + shift
    fine = upsample_flow(coarse, (128, 128))
    expected = identity_grid(1, 128, 128, torch.device("cpu"), torch.float32) + shift
    assert (fine - expected).abs().max() < 1e-6
    # Resampling the absolute grid (the old way) clamps the edge rows: over a pixel wrong at 128 px.
    absolute = F.interpolate(coarse, size=(128, 128), mode="bilinear", align_corners=False)
    assert (absolute - expected).abs().max() * 64 > 1.0


def test_warping_an_image_by_the_identity_returns_it() -> None:
    image = torch.rand(1, 3, 40, 40)
    flow = identity_grid(1, 10, 10, torch.device("cpu"), torch.float32)
    assert (warp(image, flow, padding="border") - image).abs().max() < 1e-5


def test_landmarks_and_flow_stay_float32_under_bf16_autocast() -> None:
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    config = ModelConfig(**{**config.to_dict(), "landmark_flow": True, "warp_source": True})
    generator = Generator(config).eval()
    source = torch.rand(1, 3, 64, 64) * 2 - 1
    landmarks = torch.rand(1, 68, 2) * 30 + 17.37  # sub-pixel positions bf16 cannot hold at 64 px
    seen: list[torch.Tensor] = []
    original = generator.flow.forward

    def spy(source_heatmaps, driving_heatmaps, base=None):
        seen.append(base)
        return original(source_heatmaps, driving_heatmaps, base)

    generator.flow.forward = spy
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        prepared = generator.prepare_source(source, landmarks)
        out = generator.render(prepared, landmarks + 0.3)
    assert prepared.landmarks.dtype == torch.float32
    assert torch.equal(prepared.landmarks, landmarks)
    assert seen[0].dtype == torch.float32 and out.flow.dtype == torch.float32
    assert out.mask is not None and out.mask.shape == (1, 1, 64, 64)
    assert out.warped_source is not None and out.warped_source.shape == (1, 3, 64, 64)
