"""Landmark heatmaps: Gaussians of the paper's variance, peaked at the landmark, alias-free when coarse."""

from __future__ import annotations

import math

import torch

from core.config import ModelConfig
from core.faces.heatmaps import landmark_heatmaps, region_heatmaps
from core.faces.regions import LEFT_EYE, MIRROR_PERMUTATION, mirror_landmarks, region_boxes
from tests.core.networks.conftest import face_landmarks


def test_full_resolution_heatmap_is_the_papers_gaussian() -> None:
    sigma = ModelConfig().heatmap_sigma
    assert math.isclose(sigma**2, 3.0)
    heat = landmark_heatmaps(torch.tensor([[[100.0, 80.0]]]), 256, 256, sigma)[0, 0]
    assert heat.shape == (256, 256)
    y, x = divmod(int(heat.argmax()), 256)
    assert (x, y) == (100, 80)
    ys, xs = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    point = torch.exp(-((xs - 100) ** 2 + (ys - 80) ** 2) / (2 * sigma**2))
    assert (heat - point).abs().max() < 0.05  # pixel-averaged vs point-sampled: within a few percent


def test_coarse_heatmaps_average_the_fine_ones() -> None:
    lm = torch.tensor([[[37.3, 150.8], [200.0, 20.5]]])
    fine = landmark_heatmaps(lm, 256, 256, 1.73)
    coarse = landmark_heatmaps(lm, 64, 256, 1.73)
    torch.testing.assert_close(coarse, torch.nn.functional.avg_pool2d(fine, 4), rtol=0, atol=1e-5)


def test_sigma_scales_with_resolution() -> None:
    assert math.isclose(ModelConfig.tiny(128).heatmap_sigma, math.sqrt(3) / 2)


def test_region_heatmaps_peak_at_the_landmarks_in_the_crop_frame() -> None:
    lm = face_landmarks(2, 64)
    boxes = region_boxes(lm)
    heat = region_heatmaps(lm, boxes[:, 0], LEFT_EYE, 32, 1.0)
    assert heat.shape == (2, 6, 32, 32)
    cx, cy, half = boxes[1, 0]
    x, y = lm[1, LEFT_EYE[0]]
    u = (x - (cx - half)) * 32 / (2 * half) - 0.5
    v = (y - (cy - half)) * 32 / (2 * half) - 0.5
    py, px = divmod(int(heat[1, 0].argmax()), 32)
    assert abs(px - float(u)) <= 1 and abs(py - float(v)) <= 1


def test_mirror_permutation_is_an_involution_and_mirrors_eyes() -> None:
    perm = list(MIRROR_PERMUTATION)
    assert sorted(perm) == list(range(68))
    assert [perm[i] for i in perm] == list(range(68))
    lm = face_landmarks(1, 64)
    twice = mirror_landmarks(mirror_landmarks(lm, 64), 64)
    torch.testing.assert_close(twice, lm)
    mirrored = mirror_landmarks(lm, 64)
    assert mirrored[0, 36, 0] < mirrored[0, 45, 0]  # the image-left eye stays on the left
