"""A release model keeps the generator and its provenance, and renders exactly like the training checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator, save_checkpoint
from core.config import ModelConfig
from core.networks.discriminator import identity_discriminator, landmark_discriminator
from core.networks.generator import Generator
from tests.core.networks.conftest import face_landmarks
from training.release import main, release_checkpoint


def test_release_drops_the_training_state_and_renders_the_same(tmp_path: Path) -> None:
    config = ModelConfig.tiny(64)
    torch.manual_seed(0)
    generator = Generator(config)
    discriminators = {"landmark": landmark_discriminator(config), "identity": identity_discriminator(config)}
    optimizer = torch.optim.Adam(generator.parameters())
    generator(torch.zeros(1, 3, 64, 64), face_landmarks(1, 64), face_landmarks(1, 64, 1)).image.mean().backward()
    optimizer.step()
    trained = save_checkpoint(tmp_path / "step.pt", config, generator, discriminators, {"g": optimizer},
                              train_state={"step": 7, "train_config": {"steps": 9}, "rng": [1, 2, 3]},
                              metadata={"perceptual": "multiscale-l1"})
    summary = release_checkpoint(trained, tmp_path / "demo.pt", note="a test")
    released = load_checkpoint(tmp_path / "demo.pt")
    assert summary["step"] == 7 and summary["bytes"] < summary["source_bytes"] / 2
    assert released.discriminators == {} and released.optimizers == {}
    assert released.train_state == {"step": 7, "train_config": {"steps": 9}}
    assert released.metadata["note"] == "a test" and released.metadata["perceptual"] == "multiscale-l1"
    before, _ = load_generator(trained)
    after, _ = load_generator(tmp_path / "demo.pt")
    source, src_lm, drv_lm = torch.rand(1, 3, 64, 64) * 2 - 1, face_landmarks(1, 64, 2), face_landmarks(1, 64, 3)
    with torch.no_grad():
        torch.testing.assert_close(after(source, src_lm, drv_lm).image, before(source, src_lm, drv_lm).image)


def test_a_file_that_is_not_a_checkpoint_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.pt"
    bad.write_text("hello")
    assert main([str(bad), "-o", str(tmp_path / "out.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and not (tmp_path / "out.pt").exists()


def test_weights_that_do_not_fit_their_config_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    config = ModelConfig.tiny(64)
    other = replace(config, output_convs=config.output_convs + 1)
    foreign = save_checkpoint(tmp_path / "foreign.pt", other, Generator(config))
    assert main([str(foreign), "-o", str(tmp_path / "out.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and not (tmp_path / "out.pt").exists()
