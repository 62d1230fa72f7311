from __future__ import annotations

import dataclasses

import pytest
import torch

from core.config import ModelConfig
from core.networks.generator import Generator


@pytest.fixture(params=["paper", "guided"])
def tiny_config(request: pytest.FixtureRequest) -> ModelConfig:
    """The paper's generator, and the demo model's variant (warped-source blending on a landmark spline)."""
    config = ModelConfig.tiny(64)
    if request.param == "guided":
        config = dataclasses.replace(config, warp_source=True, landmark_flow=True)
    return config


@pytest.fixture
def generator(tiny_config: ModelConfig) -> Generator:
    torch.manual_seed(0)
    return Generator(tiny_config)


def face_landmarks(batch: int, size: int, seed: int = 0) -> torch.Tensor:
    """Plausible, distinct 68-point shapes: a mean face layout, jittered per sample."""
    from core.faces import regions

    g = torch.Generator().manual_seed(seed)
    base = torch.zeros(68, 2)
    jaw = torch.linspace(-1.0, 1.0, 17)
    base[list(regions.JAW)] = torch.stack([jaw * 0.42, 0.1 + 0.35 * (1 - jaw**2) ** 0.5], -1)
    base[list(regions.LEFT_BROW)] = torch.stack([torch.linspace(-0.35, -0.08, 5), torch.full((5,), -0.22)], -1)
    base[list(regions.RIGHT_BROW)] = torch.stack([torch.linspace(0.08, 0.35, 5), torch.full((5,), -0.22)], -1)
    base[list(regions.NOSE)] = torch.tensor(
        [[0, -0.12], [0, -0.06], [0, 0.0], [0, 0.06], [-0.06, 0.1], [-0.03, 0.11], [0, 0.12], [0.03, 0.11], [0.06, 0.1]]
    )
    angles = torch.linspace(0, 2 * torch.pi, 7)[:-1]
    eye = torch.stack([0.07 * torch.cos(angles), 0.03 * torch.sin(angles)], -1)
    base[list(regions.LEFT_EYE)] = eye + torch.tensor([-0.2, -0.12])
    base[list(regions.RIGHT_EYE)] = eye + torch.tensor([0.2, -0.12])
    mouth_angles = torch.linspace(0, 2 * torch.pi, 13)[:-1]
    base[list(regions.OUTER_LIPS)] = torch.stack([0.15 * torch.cos(mouth_angles), 0.22 + 0.06 * torch.sin(mouth_angles)], -1)
    inner_angles = torch.linspace(0, 2 * torch.pi, 9)[:-1]
    base[list(regions.INNER_LIPS)] = torch.stack([0.1 * torch.cos(inner_angles), 0.22 + 0.02 * torch.sin(inner_angles)], -1)
    shapes = base.expand(batch, -1, -1) + 0.02 * torch.randn(batch, 68, 2, generator=g)
    return (shapes * 0.9 + 0.5) * size - 0.5
