"""Damaged, hostile or odd checkpoints are refused with a message that says what is wrong: PyTorch
does not check the archive's CRCs, so a recorded checksum catches silent damage; weights that are not
finite, parts of the wrong type and configs that would need absurd memory never reach the network."""

from __future__ import annotations

import os
import struct
import time
import zipfile
from pathlib import Path

import pytest
import torch

from core.checkpoint import FORMAT, load_checkpoint, load_generator, save_checkpoint, weights_checksum
from core.config import ModelConfig
from core.errors import CheckpointError, OutputError
from core.networks.generator import Generator


@pytest.fixture(scope="module")
def tiny() -> tuple[ModelConfig, Generator]:
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    return config, Generator(config)


def _payload(config: ModelConfig, network: Generator, **changes: object) -> dict:
    payload = {
        "format": FORMAT,
        "format_version": 1,
        "project_version": "0.1.0",
        "model_config": config.to_dict(),
        "generator": network.state_dict(),
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _zero_inside_the_largest_tensor(path: Path, count: int = 4096) -> None:
    """Overwrite `count` bytes in the middle of the largest tensor's stored data (the zip stays valid)."""
    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    assert info.compress_type == zipfile.ZIP_STORED and info.file_size > count
    with open(path, "r+b") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        fh.seek(start + (info.file_size - count) // 2)
        fh.write(bytes(count))


def test_saving_records_a_checksum_that_loading_verifies(tmp_path: Path, tiny) -> None:
    config, generator = tiny
    path = save_checkpoint(tmp_path / "model.pt", config, generator)
    payload = torch.load(path, weights_only=True)
    assert payload["weights_checksum"]["generator"] == weights_checksum(generator.state_dict())
    load_generator(path)  # intact: loads


def test_a_checkpoint_damaged_inside_its_zip_is_refused_instead_of_loading_wrong_weights(
    tmp_path: Path, tiny
) -> None:
    config, generator = tiny
    path = save_checkpoint(tmp_path / "model.pt", config, generator)
    _zero_inside_the_largest_tensor(path)
    torch.load(path, weights_only=True)  # PyTorch itself does not notice
    with pytest.raises(CheckpointError, match=r"model\.pt is damaged: its generator weights differ from the checksum"):
        load_checkpoint(path)


def test_an_old_checkpoint_without_a_checksum_still_loads(tmp_path: Path, tiny) -> None:
    config, generator = tiny
    path = tmp_path / "old.pt"
    torch.save(_payload(config, generator), path)
    loaded, checkpoint = load_generator(path)
    assert checkpoint.config == config
    for name, tensor in generator.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)


def test_weights_that_are_not_finite_are_refused(tmp_path: Path, tiny) -> None:
    config, generator = tiny
    state = {k: v.clone() for k, v in generator.state_dict().items()}
    name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
    state[name][0] = float("nan")
    path = tmp_path / "diverged.pt"
    torch.save(_payload(config, generator, generator=state), path)
    with pytest.raises(CheckpointError, match=rf"generator weight {name} holds NaN or infinite values"):
        load_checkpoint(path)
    state[name][0] = float("inf")
    torch.save(_payload(config, generator, generator=state), path)
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"generator": None}, "holds no generator weights"),
        ({"generator": "weights"}, "generator weights are not a mapping of names to tensors"),
        ({"generator": {"w": 5}}, "generator weights are not a mapping of names to tensors"),
        ({"discriminators": [1, 2]}, "its discriminators is a list, not a mapping"),
        ({"discriminators": {"identity": "x"}}, "identity discriminator weights are not a mapping"),
        ({"optimizers": "adam"}, "its optimizers is text, not a mapping"),
        ({"train_state": 7}, "its train_state is a number, not a mapping"),
        ({"metadata": [1]}, "its metadata is a list, not a mapping"),
        ({"model_config": "resolution: 64"}, "its model config is text, not a mapping"),
        ({"model_config": None}, "its model config is missing"),
        ({"format_version": "1"}, r"format_version is text \('1'\), where a whole number is expected"),
        ({"format_version": 1.0}, "format_version is a number"),
        ({"format_version": 99}, "checkpoint format 99, written by a newer Reenact Studio"),
        ({"format_version": 0}, "impossible checkpoint format 0"),
        ({"weights_checksum": "abc"}, "its weights checksum cannot be read"),
    ],
)
def test_parts_of_the_wrong_kind_are_named(tmp_path: Path, tiny, changes: dict, message: str) -> None:
    config, generator = tiny
    path = tmp_path / "odd.pt"
    payload = _payload(config, generator)
    payload.update(changes)
    torch.save({k: v for k, v in payload.items() if v is not None}, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "changes",
    [
        {"appearance_widths": [1_000_000] * 5},
        {"resolution": 1 << 20},
        {"fusion_widths": [8] * 1000},
        {"output_convs": 10_000},
        {"local_size": 1 << 16},
        {"heatmap_variance": float("nan")},
    ],
)
def test_configs_that_would_need_absurd_memory_are_refused_before_building(
    tmp_path: Path, tiny, changes: dict
) -> None:
    config, generator = tiny
    path = tmp_path / "huge.pt"
    torch.save(_payload(config, generator, model_config={**config.to_dict(), **changes}), path)
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match="holds a model config this version cannot build"):
        load_generator(path)
    assert time.perf_counter() - started < 10


def test_a_folder_or_a_pipe_given_as_a_checkpoint_says_what_it_is(tmp_path: Path, tiny) -> None:
    config, generator = tiny
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    save_checkpoint(run / "checkpoints" / "latest.pt", config, generator)
    with pytest.raises(CheckpointError, match=r"is a folder, not a checkpoint file.*pass .*latest\.pt"):
        load_checkpoint(run)
    with pytest.raises(CheckpointError, match=r"is a folder, not a checkpoint file: pass a \.pt file$"):
        load_checkpoint(run / "checkpoints")
    fifo = tmp_path / "model.pt"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"named pipe \(FIFO\), not a checkpoint file"):
        load_checkpoint(fifo)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_release_onto_its_own_training_checkpoint_is_refused(tmp_path: Path, tiny) -> None:
    """`training.release` slims a checkpoint: written over its source, the training state would be lost."""
    from training.release import release_checkpoint

    config, generator = tiny
    source = save_checkpoint(tmp_path / "step_100.pt", config, generator, train_state={"step": 100})
    before = source.read_bytes()
    (tmp_path / "latest.pt").symlink_to(source)
    for target in (source, tmp_path / "latest.pt"):
        with pytest.raises(OutputError, match="would destroy the input"):
            release_checkpoint(source, target)
    assert source.read_bytes() == before


def _trained_one_step(generator: Generator) -> torch.optim.Adam:
    """An Adam optimiser with state (step, moments), as a training checkpoint holds for a resume."""
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4)
    for parameter in generator.parameters():
        parameter.grad = torch.full_like(parameter, 1e-3)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return optimizer


def test_the_optimizer_state_a_resume_loads_is_checked_against_its_checksum_too(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    generator = Generator(config)
    optimizer = _trained_one_step(generator)
    path = save_checkpoint(tmp_path / "latest.pt", config, generator, optimizers={"generator": optimizer})
    loaded = load_checkpoint(path).optimizers["generator"]
    resumed = torch.optim.Adam(generator.parameters(), lr=1.0)
    resumed.load_state_dict(loaded)  # intact: a resume gets the moments and the rate it saved
    assert resumed.param_groups[0]["lr"] == 1e-4
    assert torch.equal(resumed.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])

    payload = torch.load(path, weights_only=True)
    payload["optimizers"]["generator"]["state"][3]["exp_avg_sq"].view(-1)[:64] = 0  # damaged where no weight is
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"latest\.pt is damaged: its generator optimizer moments and settings differ from the checksum"):
        load_checkpoint(path)
    payload = torch.load(save_checkpoint(path, config, generator, optimizers={"generator": optimizer}), weights_only=True)
    payload["optimizers"]["generator"]["param_groups"][0]["lr"] = 1e4
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="generator optimizer moments and settings differ"):
        load_checkpoint(path)


def test_checkpoints_whose_checksum_covered_only_the_weights_still_load(tmp_path: Path, tiny) -> None:
    """Written before the optimizer state had a checksum: its weights are checked, its optimizer state loads."""
    config, generator = tiny
    copy = Generator(config)
    copy.load_state_dict(generator.state_dict())
    optimizer = _trained_one_step(copy)
    recorded = {"algorithm": "blake2b-128", "generator": weights_checksum(copy.state_dict()), "discriminators": {}}
    path = tmp_path / "older.pt"
    torch.save(_payload(config, copy, optimizers={"generator": optimizer.state_dict()}, weights_checksum=recorded), path)
    assert load_checkpoint(path).optimizers["generator"]["param_groups"][0]["lr"] == 1e-4
    from resources import default_checkpoint

    demo = default_checkpoint()
    assert demo is not None and demo.name == "demo.pt"
    assert load_checkpoint(demo).optimizers == {} and load_generator(demo)[1].config.resolution > 0
