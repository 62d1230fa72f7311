"""Appearance adaptive normalisation is eq. 2-4 of the paper."""

from __future__ import annotations

import torch

from core.networks.aan import AdaptiveNorm


def _by_hand(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, dims: tuple[int, ...], eps: float = 1e-5):
    mu = x.mean(dim=dims, keepdim=True)  # eq. 2
    var = ((x - mu) ** 2).mean(dim=dims, keepdim=True)  # eq. 3 (biased, as in the paper)
    return gamma * (x - mu) / torch.sqrt(var + eps) + beta  # eq. 4


def test_batch_statistics_match_equations_2_to_4() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 5, 7, 6) * 3 + 1
    gamma, beta = torch.rand(3, 5, 7, 6) + 0.5, torch.randn(3, 5, 7, 6)
    aan = AdaptiveNorm(5, "batch").train()
    torch.testing.assert_close(aan(x, gamma, beta), _by_hand(x, gamma, beta, (0, 2, 3)), rtol=1e-5, atol=1e-5)


def test_instance_statistics_match_equations_per_sample() -> None:
    torch.manual_seed(1)
    x = torch.randn(2, 4, 8, 8)
    gamma, beta = torch.rand(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    for mode in (True, False):
        aan = AdaptiveNorm(4, "instance").train(mode)
        torch.testing.assert_close(aan(x, gamma, beta), _by_hand(x, gamma, beta, (2, 3)), rtol=1e-5, atol=1e-5)


def test_inference_uses_running_statistics_and_folds_into_scale_and_shift() -> None:
    torch.manual_seed(2)
    aan = AdaptiveNorm(4, "batch").train()
    for _ in range(20):
        aan(torch.randn(8, 4, 5, 5) * 2 + 3, torch.ones(1, 4, 5, 5), torch.zeros(1, 4, 5, 5))
    aan.eval()
    x = torch.randn(1, 4, 5, 5)
    gamma, beta = torch.rand(1, 4, 5, 5), torch.randn(1, 4, 5, 5)
    rm, rv = aan.norm.running_mean.view(1, -1, 1, 1), aan.norm.running_var.view(1, -1, 1, 1)
    expected = gamma * (x - rm) / torch.sqrt(rv + 1e-5) + beta
    torch.testing.assert_close(aan(x, gamma, beta), expected, rtol=1e-5, atol=1e-5)
    assert aan.foldable()
    torch.testing.assert_close(AdaptiveNorm.apply_folded(x, *aan.fold(gamma, beta)), expected, rtol=1e-5, atol=1e-5)
    assert not AdaptiveNorm(4, "instance").eval().foldable()
