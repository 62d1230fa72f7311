"""The training loop: exact resume, stop requests, checkpoints that survive a full disk, run files."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator
from core.config import ModelConfig
from core.errors import ConfigError, InputError, OutputError
from core.progress import CancelToken, run_to_end
from tests.training.helpers import write_manifest
from training.config import TrainConfig
from training.trainer import TrainResult, latest_checkpoint, setup_run


def train(data: Path, run_dir: Path, model: ModelConfig, config: TrainConfig, resume: bool = False,
          cancel: CancelToken | None = None, on_step=None) -> TrainResult:
    checkpoint = load_checkpoint(latest_checkpoint(run_dir)) if resume else None
    run = setup_run(data, run_dir, model, config, "cpu", resume=checkpoint)
    return run_to_end(run.stream(cancel), on_step)


def test_a_resumed_run_continues_with_exactly_the_losses_of_an_uninterrupted_one(
    synthetic_data: Path, tmp_path: Path, tiny_model: ModelConfig, tiny_train: TrainConfig
) -> None:
    config = replace(tiny_train, steps=4, deterministic=True, seed=7)
    straight = train(synthetic_data, tmp_path / "straight", tiny_model, config)
    first = train(synthetic_data, tmp_path / "resumed", tiny_model, replace(config, steps=2))
    assert first.step == 2 and first.checkpoint is not None
    second = train(synthetic_data, tmp_path / "resumed", tiny_model, config, resume=True)
    assert second.steps_run == 2
    by_step = {entry["step"]: entry for entry in straight.history}
    for entry in second.history:
        expected = by_step[entry["step"]]
        losses = {k: v for k, v in entry.items() if k.startswith(("g_", "d_"))}
        assert losses == {k: expected[k] for k in losses}, f"step {entry['step']} differs after resume"
    final_straight = load_checkpoint(latest_checkpoint(tmp_path / "straight"))
    final_resumed = load_checkpoint(latest_checkpoint(tmp_path / "resumed"))
    assert all(torch.equal(final_straight.generator[k], final_resumed.generator[k]) for k in final_straight.generator)
    assert final_resumed.train_state["step"] == 4 and final_resumed.train_state["samples_seen"] == 8


def test_run_folder_holds_log_samples_config_and_rolling_checkpoints(
    synthetic_data: Path, tmp_path: Path, tiny_model: ModelConfig, tiny_train: TrainConfig
) -> None:
    config = replace(tiny_train, steps=6, sample_every=3, checkpoint_every=2, keep_checkpoints=2, eval_every=3)
    steps = []
    result = train(synthetic_data, tmp_path, tiny_model, config, on_step=steps.append)
    assert [p.done for p in steps] == [1, 2, 3, 4, 5, 6]
    samples = [p.payload.sample for p in steps if p.payload.sample is not None]
    assert len(samples) == 2 and samples[0].shape == (2 * 64, 4 * 64, 3) and samples[0].dtype.name == "uint8"
    assert all(p.payload.steps_per_s > 0 for p in steps[1:])
    assert sorted(f.name for f in (tmp_path / "samples").iterdir()) == ["step_0000003.png", "step_0000006.png"]
    numbered = sorted(f.name for f in (tmp_path / "checkpoints").glob("step_*.pt"))
    assert numbered == ["step_0000004.pt", "step_0000006.pt"]  # older ones rolled away
    assert result.checkpoint == latest_checkpoint(tmp_path)
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "start" and records[0]["perceptual"] == "multiscale-l1"
    assert "NOT the paper's" in records[0]["perceptual_note"]
    assert [r["step"] for r in records if "g_total" in r] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in records if r.get("event") == "eval"] == [0, 3, 6]
    assert records[-1]["event"] == "end"
    checkpoint = load_checkpoint(result.checkpoint)
    assert checkpoint.metadata["perceptual"] == "multiscale-l1"
    assert checkpoint.train_state["train_config"]["perceptual_fallback"] == "l1"
    generator, _ = load_generator(result.checkpoint)  # the app can use a training checkpoint directly
    assert generator.config == tiny_model
    assert (tmp_path / "config.yaml").read_text().startswith("model:")


def test_a_stop_request_ends_at_the_next_step_with_a_checkpoint(
    synthetic_data: Path, tmp_path: Path, tiny_model: ModelConfig, tiny_train: TrainConfig
) -> None:
    cancel = CancelToken()

    def on_step(progress) -> None:
        if progress.done == 2:
            cancel.cancel()

    result = train(synthetic_data, tmp_path, tiny_model, replace(tiny_train, steps=50), cancel=cancel,
                   on_step=on_step)
    assert result.stopped and result.step == 2
    assert load_checkpoint(latest_checkpoint(tmp_path)).train_state["step"] == 2
    resumed = train(synthetic_data, tmp_path, tiny_model, replace(tiny_train, steps=3), resume=True)
    assert resumed.step == 3 and resumed.steps_run == 1


def test_a_full_disk_while_checkpointing_keeps_the_previous_checkpoint(
    synthetic_data: Path, tmp_path: Path, tiny_model: ModelConfig, tiny_train: TrainConfig,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(tiny_train, steps=4, checkpoint_every=2)
    real_fsync = os.fsync

    def on_step(progress) -> None:
        if progress.done == 3:  # the next checkpoint (step 4) hits a full disk
            def full(fd: int) -> None:
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(os, "fsync", full)

    with pytest.raises(OutputError, match="disk is full"):
        train(synthetic_data, tmp_path, tiny_model, config, on_step=on_step)
    monkeypatch.setattr(os, "fsync", real_fsync)
    kept = load_checkpoint(latest_checkpoint(tmp_path))
    assert kept.train_state["step"] == 2
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if ".part" in p.name]  # no debris


def test_bad_runs_are_refused_with_a_clear_message(
    synthetic_data: Path, tmp_path: Path, tiny_model: ModelConfig, tiny_train: TrainConfig
) -> None:
    train(synthetic_data, tmp_path / "run", tiny_model, replace(tiny_train, steps=1))
    with pytest.raises(ConfigError, match="--resume"):
        train(synthetic_data, tmp_path / "run", tiny_model, tiny_train)
    with pytest.raises(Exception, match="different model config"):
        train(synthetic_data, tmp_path / "run", ModelConfig.tiny(96), tiny_train, resume=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    write_manifest(empty, 64, [], skipped=[{"source": "a/cat.jpg", "reason": "no face found in it"}])
    with pytest.raises(InputError, match="no usable clips"):
        train(empty, tmp_path / "other", tiny_model, tiny_train)
