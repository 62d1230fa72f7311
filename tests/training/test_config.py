"""Run configs: the paper's defaults, the shipped YAML files, and clear messages for mistakes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.config import ModelConfig
from core.errors import ConfigError
from training.config import TrainConfig, load_run_config
from training.demo_data import VALIDATION_IDENTITY

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"


def test_defaults_are_the_papers_settings() -> None:
    config = TrainConfig()
    assert (config.lambda_gan, config.lambda_content, config.lambda_local) == (10.0, 5.0, 5.0)
    assert (config.lr_generator, config.lr_discriminator) == (2e-5, 1e-5)
    assert config.gan_mode == "nonsaturating"
    assert config.perceptual_fallback == "none"  # no silent replacement of the VGG losses
    assert config.perceptual == "vgg19"  # the L1 stand-in only by an explicit choice


def test_small_data_defaults_let_the_synthesis_learn() -> None:
    config = TrainConfig()
    assert config.mask_bias is None and config.mask_penalty == 0.0  # None: the network's own start, sigmoid(1)
    assert config.warped_weight == 0.5 and config.max_still_share == 0.25
    for bad in ({"warped_weight": -1.0}, {"max_still_share": 0.0}, {"mask_penalty": -0.1}, {"perceptual": "l2"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            TrainConfig.from_dict(bad)


def test_shipped_configs_load() -> None:
    model, train = load_run_config(CONFIGS / "paper256.yaml")
    assert model == replace(ModelConfig(), flow_heatmap_variance=3.0) and model.resolution == 256
    assert train.lambda_gan == 10.0 and train.perceptual_fallback == "none"
    tiny_model, tiny_train = load_run_config(CONFIGS / "tiny.yaml")
    assert tiny_model.resolution == 64 and tiny_model.fusion_widths == ModelConfig.tiny(64).fusion_widths
    assert tiny_train.perceptual_fallback == "l1" and tiny_train.perceptual == "vgg19"  # L1 only without VGG19
    demo_model, demo_train = load_run_config(CONFIGS / "demo128.yaml")
    assert demo_model.warp_source and demo_model.flow_heatmap_variance == 3.0
    assert demo_train.perceptual == "vgg19" and demo_train.perceptual_fallback == "none"
    assert demo_train.holdout_identities == (VALIDATION_IDENTITY,) and demo_train.mask_bias == 1.0


def test_the_final_demo_run_is_demo128_trained_on_the_validation_shot_too() -> None:
    """demo128_final.yaml repeats demo128.yaml; only what the final run changes may differ."""
    model, train = load_run_config(CONFIGS / "demo128.yaml")
    final_model, final_train = load_run_config(CONFIGS / "demo128_final.yaml")
    assert final_model == model
    assert final_train.holdout_identities == () and final_train.holdout_fraction == 0.0
    assert replace(final_train, holdout_identities=train.holdout_identities, holdout_fraction=train.holdout_fraction,
                   steps=train.steps) == train


def test_round_trip_through_plain_data() -> None:
    config = TrainConfig(gan_mode="hinge", betas=(0.0, 0.99), holdout_identities=("alice",), threads=3)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_unknown_keys_and_bad_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"train\.lamda_gan"):
        TrainConfig.from_dict({"lamda_gan": 3})
    with pytest.raises(ConfigError, match="gan_mode"):
        TrainConfig.from_dict({"gan_mode": "wasserstein"})
    with pytest.raises(ConfigError, match="perceptual_layers"):
        TrainConfig(perceptual_layers=("relu9_1",), perceptual_weights=(1.0,))
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size=0)
    bad = tmp_path / "run.yaml"
    bad.write_text("model: {}\ntrian: {}\n")
    with pytest.raises(ConfigError, match="trian"):
        load_run_config(bad)


def test_cosine_schedule_decays_to_one_percent() -> None:
    config = TrainConfig(steps=100, lr_schedule="cosine")
    assert config.lr_factor(0) == 1.0
    assert config.lr_factor(50) == pytest.approx(0.505)
    assert config.lr_factor(100) == pytest.approx(0.01)
    assert TrainConfig(steps=100).lr_factor(70) == 1.0
