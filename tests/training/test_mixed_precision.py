"""The trainer's mixed-precision path (autocast + channels_last), exercised with CPU bfloat16.

CUDA is where `train.amp` and `train.channels_last` apply; this machine has none, so the same code
path runs here under CPU autocast, the closest stand-in.
"""

from __future__ import annotations

import math

import torch

from core.config import ModelConfig
from tests.training.test_losses import random_batch
from training.config import TrainConfig
from training.losses import PerceptualLoss
from training.trainer import Trainer
from training.vgg import VGG19Features


def amp_trainer() -> Trainer:
    config = TrainConfig(perceptual_fallback="l1", feature_matching=1.0, perceptual_layers=("relu1_1", "relu2_1"),
                         perceptual_weights=(1.0, 1.0))
    vgg = VGG19Features(config.perceptual_layers)
    trainer = Trainer(ModelConfig.tiny(64), config, "cpu", PerceptualLoss(vgg, config.perceptual_weights))
    trainer.amp_dtype = torch.bfloat16  # what CUDA AMP would pick on a bf16 GPU
    trainer.memory_format = torch.channels_last
    for module in (trainer.generator, trainer.d_landmark, trainer.d_identity):
        module.to(memory_format=torch.channels_last)
    return trainer


def test_a_mixed_precision_step_trains_both_sides() -> None:
    trainer = amp_trainer()
    batch = random_batch(64, 4)
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    losses = trainer.train_step(batch)
    assert all(math.isfinite(v) for v in losses.values())
    assert any(not torch.equal(p, b) for p, b in zip(trainer.generator.parameters(), before, strict=True))
    assert all(p.dtype == torch.float32 for p in trainer.generator.parameters())  # weights stay float32
    assert trainer.sample_grid(batch.head(2)).shape == (2 * 64, 4 * 64, 3)


def test_the_generator_itself_runs_under_autocast() -> None:
    trainer = amp_trainer()
    losses = trainer.train_step(random_batch(64, 2))
    assert all(math.isfinite(v) for v in losses.values())
