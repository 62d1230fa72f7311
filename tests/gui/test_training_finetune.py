"""The Training page's "fine-tune to this person": it starts from the model loaded in the app (the demo
model or the user's checkpoint), says so, and the run it starts (and the torchrun command it shows) has
that model's generator and network, with fewer steps and lower learning rates."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.checkpoint import load_checkpoint
from core.errors import ConfigError
from gui.models.training_presets import PRESETS_BY_KEY
from tests.gui.conftest import show_main_window

PERSON = PRESETS_BY_KEY["person"]


@pytest.fixture
def train_window(controller, qtbot):
    return show_main_window(controller, qtbot, (1280, 720), "train")


def test_the_fine_tune_preset_starts_from_the_loaded_model(train_window, controller, qtbot, dialogs, tiny_checkpoint,
                                                           astronaut: np.ndarray, tmp_path: Path):
    from core.paths import data_dir
    from gui.models.specs import ModelChoice
    from tests.conftest import shared_file
    from tests.training.helpers import synthetic_video_dataset

    panel, training = train_window.training_panel, controller.training
    model = training.model
    footage = tmp_path / "anna"
    footage.mkdir()
    (footage / "talk.avi").symlink_to(shared_file("Megamind.avi"))
    panel.footage.edit.setText(str(footage))
    panel.footage.edit.editingFinished.emit()
    panel.preset_buttons["person"].click()
    assert model.setup.preset == "person"

    # Nothing loaded: the page says what to do, and Start waits for a model.
    assert model.starting_model is None
    assert "No trained model is loaded" in panel.preset_starts["person"].text()
    assert not panel.start_button.isEnabled() and "Load a trained model first" in panel.start_button.toolTip()

    controller.model.choose(ModelChoice.file(tiny_checkpoint))
    qtbot.waitUntil(lambda: model.starting_model is not None, timeout=60_000)
    assert model.starting_model.path == tiny_checkpoint and model.starting_model.resolution == 64
    assert "Starts from tiny64.pt (64 px), loaded now" in panel.preset_starts["person"].text()
    assert panel.start_button.isEnabled()

    # Start writes the preset's config (no model section: the loaded model's network) and prepares the footage.
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert model.status == "preparing"
    training.cancel_prepare()  # the whole clip would take a while to prepare: the run is checked on small data
    qtbot.waitUntil(lambda: model.status == "idle", timeout=60_000)
    config = data_dir() / "training" / "presets" / "person.yaml"
    assert Path(model.setup.config_path) == config and "model:" not in config.read_text()
    assert model.setup.init_from == str(tiny_checkpoint) and model.setup.resolution == 64
    assert model.setup.steps == PERSON.steps < 2000
    request = model.request()
    assert request.init_from == str(tiny_checkpoint) and request.resolution is None
    network, train, resume = request.configs()
    assert resume is None and network == load_checkpoint(tiny_checkpoint).config
    assert (train.lr_generator, train.lr_discriminator) == (1e-4, 5e-5)  # a quarter of demo128.yaml's
    words = shlex.split(panel.command.toPlainText())
    assert words[words.index("--init-from") + 1] == str(tiny_checkpoint)  # the torchrun command starts there too

    # The run itself, on a small dataset: its generator starts from the loaded model's.
    training.set("dataset_dir", str(synthetic_video_dataset(tmp_path / "data", astronaut)))
    training.set("steps", 2)
    training.set("batch_size", 2)
    training.set("perceptual_fallback", "l1")
    assert training.start() is not None
    qtbot.waitUntil(lambda: model.status in ("finished", "failed"), timeout=180_000)
    assert dialogs.errors == [] and model.status == "finished"
    run_dir = data_dir() / "training" / "anna" / "person"
    saved = load_checkpoint(run_dir / "checkpoints" / "latest.pt")
    assert saved.metadata["init_from"]["path"] == str(tiny_checkpoint.resolve()) and saved.train_state["step"] == 2
    training.inspect_run()
    qtbot.waitUntil(lambda: model.run_summary is not None and model.run_summary.holds_run, timeout=30_000)
    assert "continues the fine-tune" in panel.preset_starts["person"].text() and "tiny64.pt" in \
        panel.preset_starts["person"].text()


def test_the_advanced_start_from_field_is_the_request_and_locks_the_resolution(train_window, controller, tiny_checkpoint,
                                                                               tmp_path: Path):
    panel, training = train_window.training_panel, controller.training
    panel.set_advanced(True)
    training.set("dataset_dir", str(tmp_path / "data"))
    training.set("run_dir", str(tmp_path / "run"))
    assert panel.resolution.isEnabled() and training.model.request().init_from is None
    panel.init_from.edit.setText(str(tiny_checkpoint))
    panel.init_from.edit.editingFinished.emit()
    assert training.model.setup.init_from == str(tiny_checkpoint)
    assert not panel.resolution.isEnabled() and "network of the checkpoint" in panel.resolution.toolTip()
    assert "--init-from" in panel.command.toPlainText()
    # tiny.yaml's model section asks for other heatmaps than this checkpoint's: Start would say so (the core's words)
    with pytest.raises(ConfigError, match=r"tiny\.yaml's model section asks for another"):
        training.model.request().configs()
    # A config of train settings only (the fields come from the config; Start from is set after it)
    train_only = tmp_path / "finetune.yaml"
    train_only.write_text("train:\n  steps: 300\n  lr_generator: 5.0e-5\n")
    assert training.apply_config_file(train_only) and training.model.setup.init_from == ""
    training.set("init_from", str(tiny_checkpoint))
    network, train, _ = training.model.request().configs()
    assert network == load_checkpoint(tiny_checkpoint).config and (train.steps, train.lr_generator) == (300, 5e-5)
