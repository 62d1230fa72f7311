"""`main.py self-test` renders the demo scene headless and checks the frames."""

from __future__ import annotations

import torch

from core.checkpoint import save_checkpoint
from core.config import ModelConfig
from core.networks.generator import Generator
from resources import default_checkpoint
from tests.test_cli import last_json, run_main


def test_self_test_renders_and_checks_the_demo_scene(tmp_path) -> None:
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", config, Generator(config))
    proc = run_main("self-test", "--checkpoint", str(checkpoint), "--frames", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    data = last_json(proc.stdout)
    assert data["ok"] is True and data["frames"] == 3
    assert all(data["checks"].values())
    assert data["detector"].startswith("dlib-") and data["detector"].endswith("-turned")  # the CNN fallback is there


def test_self_test_uses_the_bundled_demo_model_or_says_it_is_missing() -> None:
    proc = run_main("self-test", "--json")
    if default_checkpoint() is None:
        assert proc.returncode == 2
        assert "no demo checkpoint" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert last_json(proc.stdout)["ok"] is True
