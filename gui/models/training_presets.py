"""The simple training mode's presets (quick test, fine-tune to this person, full training), the folders a
simple run uses, and how long each would take on this machine.

Estimates: each preset's training speed on a reference machine (a 2-core CPU shared with other work),
as the app trains (one thread, at low priority, the preview playing beside it): the quick test was
measured there (2.3 steps/s); the others are the command line's figures (training/README.md,
resources/README.md) scaled by the same app-to-command-line ratio (2.3 / 3.6). This machine's speed
is a short convolution benchmark (`Environment.speed`, from the environment check) compared with the
reference's. The VGG19 perceptual losses cost a share of each step that shrinks as the generator grows:
measured with the command line on the reference machine, `tiny.yaml` at 64 px ran 0.49 steps/s with
them against 2.07 without (x0.24); at 256 px they about halve the rate (training/README.md); the 128 px
preset's factor lies between (x0.35, not measured). The estimate is shown as "about ..." (expect a factor
of two either way on a busy machine); once a run trains, the page shows its real rate and time left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui.models.training import CONFIGS_DIR, format_duration

#: The convolution benchmark's result on the reference machine (GFLOP/s with one thread, as the app
#: trains there; `speed_probe` in the controller gave 46-112 under load, median 67).
REFERENCE_SPEED = 67.0
#: The app trains slower than the command line (low priority, one thread, the preview beside it).
APP_FACTOR = 2.3 / 3.6


@dataclass(frozen=True)
class TrainingPreset:
    """A run a non-programmer can start with one click: a shipped config with a few changes."""

    key: str
    label: str
    summary: str  # what it gives, in plain words
    config: str  # a file of training/configs
    steps: int
    prep_size: int  # crop size of the prepared footage (at least the model's resolution)
    prep_every: int
    prep_max_frames: int
    reference_steps_per_s: float  # in the app on the reference machine (multi-scale L1 losses)
    vgg_factor: float  # the speed left with the VGG19 perceptual losses instead (the network runs on every step)
    train: dict[str, Any] = field(default_factory=dict)  # changes to the config's train section
    gpu_recommended: bool = False

    @property
    def config_path(self) -> Path:
        return CONFIGS_DIR / self.config


PRESETS: tuple[TrainingPreset, ...] = (
    TrainingPreset(
        "quick", "Quick test",
        "A tiny 64 px model for a few hundred steps: checks that your footage works and shows the first "
        "samples. Not for use.",
        "tiny.yaml", steps=300, prep_size=64, prep_every=3, prep_max_frames=60, reference_steps_per_s=2.3,
        vgg_factor=0.24, train={"batch_size": 8, "sample_every": 25, "checkpoint_every": 100},
    ),
    TrainingPreset(
        "person", "Fine-tune to this person",
        "A 128 px model (the demo model's size) trained on this footage only: it learns this one face. "
        "Starts from scratch (the bundled demo model keeps no training state to continue).",
        "demo128.yaml", steps=2000, prep_size=128, prep_every=1, prep_max_frames=0, reference_steps_per_s=0.64 * APP_FACTOR,
        vgg_factor=0.35,
        train={"batch_size": 6, "sample_every": 100, "checkpoint_every": 250, "holdout_identities": [],
               "holdout_fraction": 0.0},
    ),
    TrainingPreset(
        "full", "Full training",
        "The paper's 256 px network and losses on all the footage in the folder (many people): days on a "
        "GPU, far longer on a CPU.",
        "paper256.yaml", steps=200_000, prep_size=256, prep_every=1, prep_max_frames=0,
        reference_steps_per_s=0.062 * APP_FACTOR, vgg_factor=0.5, gpu_recommended=True,
    ),
)
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}


def preset(key: str) -> TrainingPreset:
    return PRESETS_BY_KEY.get(key, PRESETS[0])


def estimate_seconds(preset_: TrainingPreset, speed: float | None, vgg: bool) -> float | None:
    """Seconds of training on a machine whose benchmark gave `speed` (None: not measured yet)."""
    if speed is None or speed <= 0:
        return None
    rate = preset_.reference_steps_per_s * speed / REFERENCE_SPEED * (preset_.vgg_factor if vgg else 1.0)
    return preset_.steps / rate


def estimate_text(preset_: TrainingPreset, speed: float | None, vgg: bool, device: str = "") -> str:
    """"about 3 min on this machine", with a word when a GPU is what it needs."""
    seconds = estimate_seconds(preset_, speed, vgg)
    if seconds is None:
        return "measuring this machine…"
    where = "this GPU" if device.startswith("cuda") else "this machine"
    text = f"about {format_duration(seconds)} on {where}"
    if preset_.gpu_recommended and not device.startswith("cuda") and seconds > 3 * 24 * 3600:
        text += " (meant for a GPU)"
    return text


def simple_folders(footage: str | Path, preset_: TrainingPreset, root: Path) -> tuple[Path, Path]:
    """(dataset, run folder) of a simple run: `root/<footage name>/dataset-<size>px` and `.../<preset>`."""
    name = Path(footage).expanduser().name or "footage"
    base = root / name
    return base / f"dataset-{preset_.prep_size}px", base / preset_.key
