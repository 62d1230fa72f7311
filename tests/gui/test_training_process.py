"""The trainer in its helper process: it reports its start and every step, stops with a checkpoint when
asked or when the app goes away, runs at a lower CPU priority, and its failures come back as errors
(a user's problem as the core's `UserError`, a dead process as a `TrainingProcessError`)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserError
from gui.models.training import CONFIGS_DIR
from gui.workers.priority import BACKGROUND_NICE
from gui.workers.training_process import TrainingProcess, TrainingProcessError
from tests.training.helpers import synthetic_video_dataset
from training.runs import RunRequest, RunStart, latest_checkpoint


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    return synthetic_video_dataset(tmp_path_factory.mktemp("process") / "data", astronaut)


def tiny_request(data: Path, out: Path) -> RunRequest:
    return RunRequest(data=data, out=out, config=CONFIGS_DIR / "tiny.yaml", steps=10_000, batch_size=2,
                      sample_every=2, checkpoint_every=0, perceptual="multiscale-l1", threads=1, num_workers=0)


def until_steps(process: TrainingProcess, steps: int) -> tuple[list[tuple], list]:
    """The messages up to the `steps`-th step report."""
    seen, reports = [], []
    for message in process.messages():
        seen.append(message)
        if message[0] == "step":
            reports.append(message[1])
            if len(reports) == steps:
                return seen, reports
    raise AssertionError(f"the run ended before {steps} steps: {seen[-1]}")


def test_a_run_reports_its_start_and_steps_and_stops_with_a_checkpoint(dataset, tmp_path):
    from core.checkpoint import load_checkpoint

    process = TrainingProcess(tiny_request(dataset, tmp_path / "run"), "cpu")
    try:
        seen, reports = until_steps(process, 3)
        assert seen[0][0] == "progress"
        start = next(m[1] for m in seen if m[0] == "started")
        assert isinstance(start, RunStart) and start.step == 0 and start.total == 10_000
        assert start.perceptual == "multiscale-l1" and start.run_dir == tmp_path / "run"
        assert [r.step for r in reports] == [1, 2, 3]
        assert all(np.isfinite(v) for r in reports for v in r.losses.values())
        grid = next(r.sample for r in reports if r.sample is not None)
        assert grid.dtype == np.uint8 and grid.shape[1] == 4 * 64
        if sys.platform.startswith("linux"):  # the trainer yields the CPU to the app
            assert os.getpriority(os.PRIO_PROCESS, process.pid) == BACKGROUND_NICE

        process.request_stop()
        rest = list(process.messages())
    finally:
        process.close()
    kind, result = rest[-1]
    assert kind == "result" and result.stopped and result.step >= 3
    assert result.checkpoint is not None and result.checkpoint.exists()
    assert load_checkpoint(result.checkpoint).train_state["step"] == result.step
    assert not process.alive


def test_the_child_stops_with_a_checkpoint_when_the_app_goes_away(dataset, tmp_path):
    process = TrainingProcess(tiny_request(dataset, tmp_path / "run"), "cpu")
    until_steps(process, 2)
    process._conn.close()  # what the child sees when the app crashes: its pipe ends
    process._process.join(timeout=120)
    assert process._process.exitcode == 0
    checkpoint = latest_checkpoint(tmp_path / "run")
    assert checkpoint is not None and checkpoint.exists()


def test_a_problem_the_user_can_fix_comes_back_as_the_core_user_error(tmp_path):
    process = TrainingProcess(tiny_request(tmp_path / "nowhere", tmp_path / "run"), "cpu")
    try:
        messages = list(process.messages())
    finally:
        process.close()
    kind, error = messages[-1]
    assert kind == "user_error" and isinstance(error, UserError)
    assert "nowhere" in str(error)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_training_process_that_dies_is_reported_with_how_it_ended(dataset, tmp_path):
    process = TrainingProcess(tiny_request(dataset, tmp_path / "run"), "cpu")
    try:
        until_steps(process, 1)
        os.kill(process.pid, signal.SIGKILL)
        with pytest.raises(TrainingProcessError, match="killed by signal 9"):
            list(process.messages())
    finally:
        process.close()
    assert not process.alive
