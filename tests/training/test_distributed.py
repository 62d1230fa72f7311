"""Two gloo processes on the CPU train in lockstep: identical weights, disjoint data, one writer."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from core.config import ModelConfig
from training.config import TrainConfig

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, world_size: int, port: int, data: str, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    from core.progress import run_to_end
    from training import distributed
    from training.trainer import setup_run

    context = distributed.init_distributed("cpu")
    try:
        config = TrainConfig(steps=3, batch_size=2, perceptual_fallback="l1", num_workers=0, log_every=1,
                             sample_every=0, checkpoint_every=2, holdout_fraction=0.0, still_pairs=False,
                             threads=1, lr_generator=1e-3, lr_discriminator=1e-3)
        run = setup_run(data, Path(out) / "run", ModelConfig.tiny(64), config, context.device, context)
        seen: list[int] = []
        original = run.trainer.train_step

        def recording_step(batch):  # which samples did this rank train on?
            seen.append(int(batch.driving_landmarks.sum().item() * 1000))
            return original(batch)

        run.trainer.train_step = recording_step
        run_to_end(run.stream())
        trainer = run.trainer
        state = {
            "generator": {k: v for k, v in trainer.generator.named_parameters()},
            "d_landmark": {k: v for k, v in trainer.d_landmark.named_parameters()},
            "d_identity": {k: v for k, v in trainer.d_identity.named_parameters()},
        }
        torch.save({k: {n: p.detach().clone() for n, p in v.items()} for k, v in state.items()},
                   Path(out) / f"rank{rank}.pt")
        (Path(out) / f"rank{rank}.json").write_text(json.dumps({"batches": seen, "step": trainer.step}))
    finally:
        distributed.shutdown(context)


def test_two_gloo_processes_keep_identical_weights(synthetic_data: Path, tmp_path: Path) -> None:
    mp.spawn(worker, args=(2, free_port(), str(synthetic_data), str(tmp_path)), nprocs=2, join=True)
    states = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    for net in ("generator", "d_landmark", "d_identity"):
        for name, value in states[0][net].items():
            assert torch.equal(value, states[1][net][name]), f"{net}.{name} differs between ranks"
    info = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert info[0]["step"] == info[1]["step"] == 3
    assert info[0]["batches"] != info[1]["batches"]  # each rank trained on its own share of the data
    run_dir = tmp_path / "run"
    log_lines = (run_dir / "log.jsonl").read_text().splitlines()
    assert sum(json.loads(line).get("event") == "start" for line in log_lines) == 1  # rank 0 writes alone
    assert json.loads(log_lines[0])["world_size"] == 2
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "latest.pt", "step_0000002.pt", "step_0000003.pt"]
