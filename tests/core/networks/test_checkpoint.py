"""Checkpoints round-trip exactly and refuse what they cannot safely or correctly load."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator, require_config, save_checkpoint
from core.config import ModelConfig
from core.errors import CheckpointError
from core.networks.discriminator import identity_discriminator
from core.networks.generator import Generator
from tests.core.networks.conftest import face_landmarks


class Sneaky:
    """Any pickled class: loading it would run arbitrary code."""

    def __reduce__(self):
        return (print, ("this ran while loading",))


def test_round_trip_gives_identical_outputs(tmp_path, generator, tiny_config) -> None:
    generator.train()
    src = torch.rand(2, 3, 64, 64) * 2 - 1
    lm, drv = face_landmarks(2, 64), face_landmarks(2, 64, seed=3)
    generator(src, lm, drv)  # move running statistics and spectral-norm vectors away from init
    generator.eval()
    path = save_checkpoint(
        tmp_path / "model.pt",
        tiny_config,
        generator,
        discriminators={"identity": identity_discriminator(tiny_config)},
        train_state={"step": 12, "rng": torch.get_rng_state()},
    )
    loaded, ckpt = load_generator(path)
    assert ckpt.config == tiny_config
    assert ckpt.train_state["step"] == 12
    assert "identity" in ckpt.discriminators
    with torch.no_grad():
        torch.testing.assert_close(loaded(src, lm, drv).image, generator(src, lm, drv).image, rtol=0, atol=0)
    assert not list(tmp_path.glob(".*part*")), "temporary files must not remain"


def test_a_checkpoint_with_pickled_objects_is_refused(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "reenact-studio-checkpoint", "payload": Sneaky()}, path)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        load_checkpoint(path)


def test_checkpoints_from_elsewhere_say_what_they_are(tmp_path) -> None:
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}}, foreign)
    with pytest.raises(CheckpointError, match="not a Reenact Studio checkpoint"):
        load_checkpoint(foreign)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a zip file at all" * 10)
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_checkpoint(garbage)
    empty = tmp_path / "empty.pt"
    empty.touch()
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(empty)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_newer_format_is_reported_with_versions(tmp_path, generator, tiny_config) -> None:
    path = save_checkpoint(tmp_path / "m.pt", tiny_config, generator)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(path)


def test_a_different_config_is_named_instead_of_a_shape_mismatch(tmp_path, generator, tiny_config) -> None:
    path = save_checkpoint(tmp_path / "m.pt", tiny_config, generator)
    other = dataclasses.replace(tiny_config, fusion_widths=(32, 16, 8))
    with pytest.raises(CheckpointError, match=r"fusion_widths: \[24, 16, 8\] vs \[32, 16, 8\]"):
        require_config(load_checkpoint(path), other)


def test_weights_that_do_not_fit_their_config_are_reported(tmp_path, tiny_config) -> None:
    other = dataclasses.replace(tiny_config, fusion_widths=(32, 16, 8))
    path = save_checkpoint(tmp_path / "m.pt", tiny_config, Generator(other))
    with pytest.raises(CheckpointError, match="generator weights do not fit"):
        load_generator(path)


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, generator, tiny_config, monkeypatch) -> None:
    path = save_checkpoint(tmp_path / "m.pt", tiny_config, generator, train_state={"step": 1})
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("core.checkpoint.os.fsync", disk_full)
    with pytest.raises(Exception, match="disk is full"):
        save_checkpoint(path, tiny_config, generator, train_state={"step": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_config_validation_rejects_unknown_keys_and_impossible_values() -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown key model\.colour"):
        ModelConfig.from_dict({"colour": "blue"})
    with pytest.raises(ConfigError, match="resolution 100 must be"):
        ModelConfig.from_dict({"resolution": 100})
    with pytest.raises(ConfigError, match=r"model\.aan_statistics must be one of"):
        ModelConfig.from_dict({"aan_statistics": "layer"})
    with pytest.raises(ConfigError, match=r"model\.resolution must be an integer"):
        ModelConfig.from_dict({"resolution": "256"})
    assert ModelConfig.from_dict({"fusion_widths": [64, 32, 16]}).fusion_widths == (64, 32, 16)
