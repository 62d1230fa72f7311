"""Training options that let the synthesis branch learn: where the blend mask starts, its penalty, and the
weight and share of warped (still) pairs. Old checkpoints keep their own mask."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from core.config import ModelConfig
from core.errors import ConfigError
from core.networks.fusion import MASK_BIAS
from tests.training.helpers import mean_landmarks
from tests.training.test_losses import random_batch
from training.config import TrainConfig
from training.dataset import DatasetIndex, PairDataset, still_repeats
from training.losses import PerceptualLoss
from training.trainer import Trainer

BLENDING = replace(ModelConfig.tiny(64), warp_source=True, landmark_flow=True)


def mask_bias(trainer: Trainer) -> float:
    return float(trainer.generator.fusion.output.to_rgb.bias[3].detach())


def test_a_new_run_starts_the_mask_at_the_configured_bias_and_logs_its_mean() -> None:
    default = Trainer(BLENDING, TrainConfig(perceptual_fallback="l1"), "cpu", PerceptualLoss(None))
    assert mask_bias(default) == MASK_BIAS == 1.0  # sigmoid(1) = 0.73: the synthesis gets 27% of the gradient
    config = TrainConfig(perceptual_fallback="l1", mask_bias=-1.0, mask_penalty=0.5)
    trainer = Trainer(BLENDING, config, "cpu", PerceptualLoss(None))
    assert mask_bias(trainer) == -1.0
    losses = trainer.generator_step(random_batch())
    assert 0.1 < losses["mask_mean"] < 0.45  # about sigmoid(-1) = 0.27
    expected = (config.lambda_gan * (losses["g_adv_landmark"] + losses["g_adv_identity"])
                + config.lambda_content * (losses["g_l1"] + losses["g_perceptual"])
                + config.lambda_local * losses["g_local"] + config.mask_penalty * losses["mask_mean"])
    assert losses["g_total"] == pytest.approx(expected, rel=1e-5)


def test_mask_options_without_a_mask_are_refused() -> None:
    for config in (TrainConfig(perceptual_fallback="l1", mask_bias=0.0),
                   TrainConfig(perceptual_fallback="l1", mask_penalty=0.1)):
        with pytest.raises(ConfigError, match="warp_source"):
            Trainer(ModelConfig.tiny(64), config, "cpu", PerceptualLoss(None))
    with pytest.raises(ConfigError, match="mask_bias"):
        TrainConfig(mask_bias=40.0)


def test_warped_pairs_count_less_in_the_content_loss() -> None:
    """The same batch, once as video pairs and once with its first pair marked warped at weight 0.25."""
    losses = []
    for warped in (None, torch.tensor([True, False])):
        torch.manual_seed(0)
        trainer = Trainer(ModelConfig.tiny(64), TrainConfig(perceptual_fallback="l1", warped_weight=0.25), "cpu",
                          PerceptualLoss(None))
        batch = random_batch()
        batch.warped = warped
        losses.append(trainer.generator_step(batch))
    assert losses[1]["g_l1"] < losses[0]["g_l1"]
    assert losses[1]["g_adv_landmark"] == pytest.approx(losses[0]["g_adv_landmark"])  # adversarial terms as before


def test_stills_are_capped_to_their_share_of_an_epoch(synthetic_data) -> None:
    assert still_repeats(100, 2, TrainConfig(still_repeats=10, max_still_share=0.2)) == 10  # 20 of 120
    assert still_repeats(40, 2, TrainConfig(still_repeats=10, max_still_share=0.2)) == 5  # 10 of 50
    assert still_repeats(2, 4, TrainConfig(still_repeats=10, max_still_share=0.2)) == 1  # at least one each
    assert still_repeats(0, 3, TrainConfig(still_repeats=10, max_still_share=0.2)) == 10  # stills only
    assert still_repeats(40, 2, TrainConfig(still_repeats=10, max_still_share=1.0)) == 10
    index = DatasetIndex.open(synthetic_data)
    dataset = PairDataset(index, index.clips, 64, TrainConfig(still_pairs=True))
    assert dataset.still_repeats == 0 and len(dataset) == index.frame_count


def test_an_old_checkpoint_keeps_its_own_mask(tmp_path) -> None:
    """A model trained from the old mask bias of +4 (the first demo model's start) loads with its stored
    bias, not the new start, and its blend stays almost all warped source, as it was released."""
    from core.checkpoint import load_checkpoint, load_generator, save_checkpoint
    from core.networks.generator import Generator

    torch.manual_seed(0)
    old = Generator(BLENDING)
    old.fusion.set_mask_bias(4.0)
    path = save_checkpoint(tmp_path / "old.pt", BLENDING, old)
    checkpoint = load_checkpoint(path)
    generator, _ = load_generator(path)
    stored = next(v for k, v in checkpoint.generator.items() if k.endswith("output.to_rgb.bias"))
    assert float(generator.fusion.output.to_rgb.bias[3].detach()) == float(stored[3]) != MASK_BIAS
    size = checkpoint.config.resolution
    landmarks = torch.from_numpy(mean_landmarks(size))[None]
    moved = landmarks + torch.tensor([1.5, 0.0])
    with torch.no_grad():
        out = generator(torch.zeros(1, 3, size, size), landmarks, moved)
    assert out.mask is not None and float(out.mask.mean()) > 0.9
