"""`training.runs`: one request for the CLI and the app, the torchrun command for the same run, and a run
folder read back."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import pytest

from core.errors import ConfigError
from training.commands.train import add_arguments
from training.runs import RunRequest, read_log, summarize_run, torchrun_command

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "training" / "configs" / "tiny.yaml"


def parse(words: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(words)


def test_a_request_written_as_arguments_reads_back_to_the_same_configs(tmp_path: Path) -> None:
    request = RunRequest(data=tmp_path / "data set", out=tmp_path / "run", config=TINY, resolution=128, steps=777,
                         batch_size=3, lr_generator=2e-5, lr_discriminator=1.5e-5, checkpoint_every=50,
                         sample_every=25, perceptual_fallback="l1", threads=1, num_workers=0)
    model, train, checkpoint = request.configs()
    assert checkpoint is None and model.resolution == 128
    assert (train.steps, train.batch_size, train.lr_generator, train.lr_discriminator) == (777, 3, 2e-5, 1.5e-5)
    assert (train.checkpoint_every, train.sample_every, train.threads, train.num_workers) == (50, 25, 1, 0)
    again = RunRequest.from_args(parse(request.arguments()[1:]))
    assert again == request
    assert again.configs()[:2] == (model, train)


def test_the_torchrun_command_leaves_out_only_this_machines_threads_and_workers(tmp_path: Path) -> None:
    request = RunRequest(data=tmp_path / "data", out=tmp_path / "my run", config=TINY, steps=5000, threads=1,
                         num_workers=0, resume="")
    words = shlex.split(torchrun_command(request, 8))
    assert words[:4] == ["torchrun", "--nproc_per_node=8", "main.py", "train"]
    assert "--threads" not in words and "--num-workers" not in words
    assert str(tmp_path / "my run") in words and "--resume" in words
    back = RunRequest.from_args(parse(words[4:]))
    assert back == request.with_changes(threads=None, num_workers=None)
    with pytest.raises(ConfigError):
        torchrun_command(request, 0)


def test_resuming_keeps_the_checkpoints_network(synthetic_data: Path, tiny_model, tiny_train, tmp_path: Path) -> None:
    from core.progress import run_to_end
    from training.trainer import setup_run

    run_to_end(setup_run(synthetic_data, tmp_path, tiny_model, tiny_train).stream())
    model, train, checkpoint = RunRequest(data=synthetic_data, out=tmp_path, resume="", steps=9).configs()
    assert model == tiny_model and train.steps == 9 and checkpoint.train_state["step"] == tiny_train.steps
    with pytest.raises(ConfigError, match="keeps its resolution"):
        RunRequest(data=synthetic_data, out=tmp_path, resume="", resolution=128).configs()
    with pytest.raises(ConfigError, match="nothing to resume"):
        RunRequest(data=synthetic_data, out=tmp_path / "empty", resume="").configs()


def test_a_run_folder_reads_back_with_its_log_step_config_and_sample(synthetic_data: Path, tiny_model, tiny_train,
                                                                     tmp_path: Path) -> None:
    from core.progress import run_to_end
    from training.trainer import setup_run

    empty = summarize_run(tmp_path / "nothing")
    assert not empty.holds_run and empty.step == 0 and empty.history == [] and empty.config is None
    train = tiny_train.updated(sample_every=2)
    run_to_end(setup_run(synthetic_data, tmp_path, tiny_model, train).stream())
    with (tmp_path / "log.jsonl").open("a") as log:
        log.write('{"step": 99, "g_tot')  # a torn last line (the process was killed while writing)
    summary = summarize_run(tmp_path)
    assert summary.holds_run and summary.step == train.steps and summary.total == train.steps
    assert [r["step"] for r in summary.history] == list(range(1, train.steps + 1))
    assert summary.config == (tiny_model, train)
    assert summary.perceptual == "multiscale-l1"
    assert summary.sample == tmp_path / "samples" / f"step_{train.steps:07d}.png"
    assert json.loads(json.dumps(read_log(tmp_path)[-1]))["event"] == "end"
