"""A new run that starts from a checkpoint's generator (`--init-from`, `train.init_from`): a fine-tune from a
training checkpoint or a slim released model, with fresh discriminators and optimisers, recorded in the
log, the checkpoints and `train --json`; model settings that contradict the checkpoint are refused."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator
from core.config import ModelConfig
from core.errors import ConfigError, OutputError
from core.progress import run_to_end
from main import main
from resources import default_checkpoint
from tests.training.test_commands import last_json
from training.config import TrainConfig
from training.dataset import PairDataset
from training.runs import RunRequest, read_log, torchrun_command
from training.trainer import setup_run

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "training" / "configs" / "tiny.yaml"


@pytest.fixture
def tiny_checkpoint(synthetic_data: Path, tiny_model: ModelConfig, tiny_train: TrainConfig,
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run trained 2 steps (its generator is no longer a fresh one), its latest checkpoint."""
    run = tmp_path_factory.mktemp("base") / "run"
    run_to_end(setup_run(synthetic_data, run, tiny_model, tiny_train.updated(steps=2, seed=7)).stream())
    return run / "checkpoints" / "latest.pt"


def _outputs(generator: torch.nn.Module, data: Path, model: ModelConfig, train: TrainConfig) -> torch.Tensor:
    """The generator's images (eval mode) on the first pairs of the dataset."""
    from training.dataset import DatasetIndex, PairBatch

    index = DatasetIndex.open(data)
    dataset = PairDataset(index, index.clips, model.resolution, train, augment=False)
    batch = PairBatch.collate([dataset[k] for k in range(3)])
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        image = generator(batch.source, batch.source_landmarks, batch.driving_landmarks).image
    generator.train(was_training)
    return image


def test_a_run_initialised_from_a_checkpoint_starts_with_its_generator_and_new_discriminators(
    synthetic_data: Path, tiny_model: ModelConfig, tiny_train: TrainConfig, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    base = load_checkpoint(tiny_checkpoint)
    # mask_bias (a new network's blend-mask start, as in demo128.yaml) does not apply: the generator is the checkpoint's
    train = tiny_train.updated(init_from=str(tiny_checkpoint), steps=3, seed=1, mask_bias=1.0)
    session = setup_run(synthetic_data, tmp_path / "fine", tiny_model, train)
    trainer = session.trainer
    generator, _ = load_generator(tiny_checkpoint)
    expected = _outputs(generator, synthetic_data, tiny_model, tiny_train)
    assert torch.equal(_outputs(trainer.generator, synthetic_data, tiny_model, tiny_train), expected)
    assert trainer.step == 0 and trainer.samples_seen == 0 and not trainer.opt_generator.state
    trained_d = base.discriminators["landmark"]
    fresh_d = trainer.d_landmark.state_dict()
    assert any(not torch.equal(fresh_d[k], trained_d[k]) for k in trained_d if fresh_d[k].is_floating_point())
    assert session.init_from == tiny_checkpoint.resolve()

    result = run_to_end(session.stream())
    assert result.step == 3 and result.init_from == str(tiny_checkpoint.resolve())
    start = read_log(tmp_path / "fine")[0]
    assert start["event"] == "start" and start["step"] == 0
    assert start["init_from"]["path"] == str(tiny_checkpoint.resolve()) and start["init_from"]["step"] == 2
    saved = load_checkpoint(result.checkpoint)
    assert saved.metadata["init_from"] == start["init_from"] and saved.train_state["step"] == 3
    assert saved.train_state["train_config"]["init_from"] == str(tiny_checkpoint)

    # Resumed, the run still says where it started (the file itself is no longer read).
    resumed = setup_run(synthetic_data, tmp_path / "fine", tiny_model, train.updated(steps=4),
                        resume=load_checkpoint(result.checkpoint))
    assert resumed.init_from == tiny_checkpoint.resolve() and resumed.trainer.step == 3
    again = run_to_end(resumed.stream())
    assert load_checkpoint(again.checkpoint).metadata["init_from"] == start["init_from"]


def test_a_slim_released_checkpoint_starts_a_run(synthetic_data: Path, tiny_model: ModelConfig,
                                                 tiny_train: TrainConfig, tiny_checkpoint: Path,
                                                 tmp_path: Path) -> None:
    from training.release import release_checkpoint

    slim = tmp_path / "released.pt"
    release_checkpoint(tiny_checkpoint, slim)
    assert not load_checkpoint(slim).discriminators  # nothing to resume: only a generator
    request = RunRequest(data=synthetic_data, out=tmp_path / "run", init_from=str(slim), steps=2, batch_size=2,
                         perceptual="multiscale-l1", num_workers=0, threads=1)
    model, train, resume = request.configs()
    assert resume is None and model == tiny_model and train.init_from == str(slim.resolve())
    session = setup_run(synthetic_data, request.out, model, replace(tiny_train, init_from=train.init_from, steps=2))
    generator, _ = load_generator(slim)
    assert torch.equal(_outputs(session.trainer.generator, synthetic_data, model, tiny_train),
                       _outputs(generator, synthetic_data, model, tiny_train))
    assert run_to_end(session.stream()).step == 2


def test_the_bundled_demo_model_gives_the_run_its_own_network(tmp_path: Path) -> None:
    demo = default_checkpoint()
    assert demo is not None, "the bundled demo model is part of the repository"
    model, train, _ = RunRequest(data=tmp_path, out=tmp_path / "run", init_from=str(demo)).configs()
    assert model == load_checkpoint(demo).config and train.init_from == str(demo.resolve())
    # the demo model was trained with demo128.yaml: its model section agrees; paper256.yaml's does not
    model, _, _ = RunRequest(data=tmp_path, out=tmp_path / "run", init_from=str(demo),
                             config=ROOT / "training" / "configs" / "demo128.yaml").configs()
    assert model == load_checkpoint(demo).config
    with pytest.raises(ConfigError, match="resolution") as refused:
        RunRequest(data=tmp_path, out=tmp_path / "run", init_from=str(demo),
                   config=ROOT / "training" / "configs" / "paper256.yaml").configs()
    assert "paper256.yaml's model section" in str(refused.value) and "remove those model settings" in str(refused.value)


def test_model_settings_that_contradict_the_checkpoint_are_refused(synthetic_data: Path, tiny_checkpoint: Path,
                                                                   tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="resolution: 128 asked, 64 in the checkpoint"):
        RunRequest(data=synthetic_data, out=tmp_path / "a", init_from=str(tiny_checkpoint), resolution=128).configs()
    widths = tmp_path / "widths.yaml"
    widths.write_text("model:\n  resolution: 64\n  appearance_widths: [4, 8, 12, 16]\ntrain:\n  steps: 5\n")
    with pytest.raises(ConfigError, match=r"appearance_widths: \[4, 8, 12, 16\] asked"):
        RunRequest(data=synthetic_data, out=tmp_path / "b", config=widths, init_from=str(tiny_checkpoint)).configs()
    # Settings that agree with the checkpoint, and a train section alone, are fine.
    agreeing = tmp_path / "agreeing.yaml"
    agreeing.write_text(f"model:\n  resolution: 64\ntrain:\n  steps: 5\n  init_from: {tiny_checkpoint}\n")
    model, train, _ = RunRequest(data=synthetic_data, out=tmp_path / "c", config=agreeing).configs()
    assert model == load_checkpoint(tiny_checkpoint).config and train.steps == 5
    with pytest.raises(ConfigError, match="pass one of them"):
        RunRequest(data=synthetic_data, out=tmp_path / "d", init_from=str(tiny_checkpoint), resume="").configs()
    with pytest.raises(ConfigError, match="not found"):
        RunRequest(data=synthetic_data, out=tmp_path / "e", init_from=str(tmp_path / "nothing.pt")).configs()
    with pytest.raises(OutputError):  # the run folder would hold (and could write over) the starting checkpoint
        RunRequest(data=synthetic_data, out=tiny_checkpoint.parent.parent, init_from=str(tiny_checkpoint)).configs()


def test_train_init_from_on_the_command_line(synthetic_data: Path, tiny_checkpoint: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fine tune"
    common = ["--data", str(synthetic_data), "--out", str(out), "--steps", "2", "--batch-size", "2",
              "--perceptual", "multiscale-l1", "--num-workers", "0", "--threads", "1", "--json"]
    assert main(["train", "--init-from", str(tiny_checkpoint), *common]) == 0
    captured = capsys.readouterr()
    result = last_json(captured.out)
    assert result["init_from"] == str(tiny_checkpoint.resolve()) and result["steps"] == 2
    assert "started from the generator of" in captured.err
    start = json.loads((out / "log.jsonl").read_text().splitlines()[0])
    assert start["init_from"]["path"] == result["init_from"]
    # Resuming keeps its meaning: the run goes on from its own checkpoint, still recording its start.
    assert main(["train", "--resume", "--data", str(synthetic_data), "--out", str(out), "--steps", "3",
                 "--num-workers", "0", "--json"]) == 0
    resumed = last_json(capsys.readouterr().out)
    assert resumed["steps"] == 3 and resumed["init_from"] == result["init_from"]
    assert load_checkpoint(out / "checkpoints" / "latest.pt").metadata["init_from"]["path"] == result["init_from"]
    # A conflicting config: exit 2 with one line, nothing written.
    assert main(["train", "--init-from", str(tiny_checkpoint), "--config", str(ROOT / "training" / "configs" /
                 "paper256.yaml"), "--data", str(synthetic_data), "--out", str(tmp_path / "other"), "--json"]) == 2
    captured = capsys.readouterr()
    assert "the run uses the checkpoint's own network" in captured.err and "Traceback" not in captured.err
    assert last_json(captured.out)["ok"] is False and not (tmp_path / "other" / "checkpoints").exists()


def test_the_torchrun_command_starts_from_the_same_checkpoint(tmp_path: Path) -> None:
    request = RunRequest(data=tmp_path / "data", out=tmp_path / "run", config=TINY, init_from=str(tmp_path / "my model.pt"),
                         steps=500, threads=1)
    words = shlex.split(torchrun_command(request, 4))
    assert words[words.index("--init-from") + 1] == str(tmp_path / "my model.pt")
