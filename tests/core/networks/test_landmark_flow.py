"""The head motion that the demo model's flow net refines, sampled on the net's grid."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
import torch.nn.functional as F

from core.config import ModelConfig
from core.networks.flow import identity_grid, warp
from core.networks.generator import Generator
from core.networks.landmark_flow import landmark_flow, landmarks_to_normalised
from tests.core.networks.conftest import face_landmarks


def test_equal_landmarks_give_the_identity_flow() -> None:
    landmarks = face_landmarks(2, 64)
    flow = landmark_flow(landmarks, landmarks, 16, 64)
    torch.testing.assert_close(flow, identity_grid(2, 16, 16, flow.device, flow.dtype), rtol=0, atol=2e-3)


def test_the_flow_takes_each_inner_landmark_to_its_source_landmark_and_keeps_the_corners() -> None:
    source = face_landmarks(3, 128, seed=1)
    driving = source.clone()  # the mouth opened, the brows rose
    driving[:, 48:60] *= torch.tensor([1.0, 1.04])
    driving[:, 17:27] += torch.tensor([0.0, -3.0])
    flow = landmark_flow(source, driving, 128, 128)
    inner = list(range(17, 60))  # brows, nose, eyes, outer lips: interpolated (the jaw is approximated)
    at_driving = F.grid_sample(
        flow, landmarks_to_normalised(driving[:, inner], 128).unsqueeze(2), align_corners=False
    ).squeeze(-1).transpose(1, 2)
    error_px = (at_driving - landmarks_to_normalised(source[:, inner], 128)).norm(dim=-1) * 64
    assert error_px.median() < 0.3 and error_px.max() < 1.0
    corners = flow[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    identity = identity_grid(1, 128, 128, flow.device, flow.dtype)[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners - identity).abs().max() < 0.02


def test_closed_mouth_over_an_open_one_stays_finite_and_the_batch_is_independent() -> None:
    source = face_landmarks(2, 64, seed=3)
    driving = source.clone()
    driving[:, 65:68] = driving[:, [63, 62, 61]]  # inner lips closed: coincident driving points
    flow = landmark_flow(source, driving, 16, 64)
    assert torch.isfinite(flow).all()
    torch.testing.assert_close(landmark_flow(source[1:], driving[1:], 16, 64), flow[1:], rtol=0, atol=1e-5)


def test_an_untrained_guided_generator_starts_near_the_landmark_warp_of_the_source() -> None:
    config = dataclasses.replace(ModelConfig.tiny(64), warp_source=True, landmark_flow=True)
    torch.manual_seed(0)
    generator = Generator(config).eval()
    from skimage.data import astronaut

    image = torch.from_numpy(np.ascontiguousarray(astronaut()[:256:4, 128:384:4])).permute(2, 0, 1)[None]
    source = image.float() / 127.5 - 1
    src_lm, drv_lm = face_landmarks(1, 64, seed=4), face_landmarks(1, 64, seed=5)
    with torch.no_grad():
        out = generator(source, src_lm, drv_lm)
    spline = warp(source, landmark_flow(src_lm, drv_lm, 64, 64), padding="border")
    assert (out.image - spline).abs().mean() < (source - spline).abs().mean()
    assert out.flow.shape == (1, 2, config.feature_size, config.feature_size)
