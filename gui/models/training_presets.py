"""The simple training mode's presets (quick test, fine-tune to this person, full training), the folders a
simple run uses, and how long each would take on this machine.

"Fine-tune to this person" starts from the model loaded in the app (`StartingModel`: the bundled demo
model or the user's checkpoint): a new run whose generator is that model's (`train.init_from`), with
its network (the shipped config's model section is dropped), fewer steps and lower learning rates.

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

Once a preset has trained on this machine (a simple run's folder under the app's training folder, same
kind of device and the same losses), its estimate comes from that run's own logged rate instead
(`measured_rate`, the median of the logged windows of the most recent such run): what this machine
really did with the app's load on it, which the benchmark misses (it keeps the best of short tries).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from gui.models.training import CONFIGS_DIR, StartingModel, format_duration

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
    from_loaded_model: bool = False  # the run starts from the app's loaded model (its generator and network)

    @property
    def config_path(self) -> Path:
        return CONFIGS_DIR / self.config

    def run_config(self, starting: StartingModel | None = None) -> dict[str, Any]:
        """The run config this preset trains with: its shipped config with the preset's train changes; a
        preset that starts from the loaded model drops the model section (the network is `starting`'s)
        and names `starting` as `train.init_from`."""
        import yaml

        data = yaml.safe_load(self.config_path.read_text(encoding="utf-8")) or {}
        data.setdefault("train", {}).update(self.train)
        if self.from_loaded_model and starting is not None:
            data.pop("model", None)
            data["train"]["init_from"] = str(starting.path)
        return data

    def crop_size(self, starting: StartingModel | None = None) -> int:
        """The prepared footage's crop size: the preset's, or at least the starting model's resolution."""
        if self.from_loaded_model and starting is not None:
            return max(self.prep_size, starting.resolution)
        return self.prep_size


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
        "Adapts the model loaded now (the demo model or your checkpoint) to this face: 600 steps at low "
        "learning rates. It keeps what the model knows, so it needs far less footage and time than "
        "training from scratch.",
        "demo128.yaml", steps=600, prep_size=128, prep_every=1, prep_max_frames=0, reference_steps_per_s=0.64 * APP_FACTOR,
        vgg_factor=0.35,
        train={"batch_size": 6, "lr_generator": 1e-4, "lr_discriminator": 5e-5, "sample_every": 50,
               "checkpoint_every": 100, "holdout_identities": [], "holdout_fraction": 0.0},
        from_loaded_model=True,
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


#: How many of a preset's most recent runs `measured_rate` reads, and how much of each log's end.
MEASURED_RUNS = 8
LOG_TAIL_BYTES = 256 * 1024


@dataclass(frozen=True)
class MeasuredRate:
    """A preset's real training speed on this machine: a finished or stopped simple run's logged rate."""

    steps_per_s: float
    resolution: int  # the run's model resolution
    run: Path


@lru_cache(maxsize=64)
def _log_summary(path: str, mtime_ns: int, size: int) -> tuple[str, str, int, float] | None:
    """(device, perceptual, model resolution, median logged steps/s) of one run's log, or None; read
    once per version of the file (the page asks on every refresh). Only the first line and the last
    `LOG_TAIL_BYTES` are read; unreadable lines are skipped."""
    del mtime_ns  # part of the cache key
    try:
        with open(path, "rb") as handle:
            first = handle.readline(LOG_TAIL_BYTES)
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            tail = handle.read().splitlines()[1 if size > LOG_TAIL_BYTES else 0:]
    except OSError:
        return None
    from training.runs import log_records

    entries = log_records([first, *tail])
    if not entries or entries[0].get("event") != "start":
        return None
    start, model = entries[0], entries[0].get("model")
    if not isinstance(model, dict) or not isinstance(model.get("resolution"), int):
        return None

    def rate(entry: dict[str, Any]) -> float:
        value = entry.get("steps_per_s")
        return float(value) if isinstance(value, (int, float)) and 0 < value < 1e6 else 0.0

    # the logged windows; a run stopped before its first window has only its session's rate
    rates = [rate(e) for e in entries[1:] if "event" not in e and rate(e) > 0]
    rates = rates or [rate(e) for e in entries[1:] if e.get("event") in ("end", "stop") and rate(e) > 0]
    if not rates:
        return None
    return str(start.get("device", "")), str(start.get("perceptual", "")), model["resolution"], statistics.median(rates)


def measured_rate(root: Path, preset_: TrainingPreset, device: str, vgg: bool) -> MeasuredRate | None:
    """The logged speed of this preset's most recent simple run under `root` (the app's training folder)
    on the same kind of device (`device` as the environment check names it) with the same losses (VGG19
    or not); None when there is none. A damaged or foreign log is passed over, never an error."""
    found = []
    try:
        for log in root.glob(f"*/{preset_.key}/log.jsonl"):
            stat = log.stat()
            found.append((stat.st_mtime_ns, stat.st_size, log))
    except OSError:
        return None
    for mtime_ns, size, log in sorted(found, reverse=True)[:MEASURED_RUNS]:
        summary = _log_summary(str(log), mtime_ns, size)
        if summary is None:
            continue
        run_device, perceptual, resolution, rate = summary
        if run_device.startswith("cuda") == device.startswith("cuda") and (perceptual == "vgg19") == vgg:
            return MeasuredRate(rate, resolution, log.parent)
    return None


def estimate_seconds(preset_: TrainingPreset, speed: float | None, vgg: bool, resolution: int | None = None,
                     measured: MeasuredRate | None = None) -> float | None:
    """Seconds of training: from `measured` (this preset's last run here) when given, else on a machine
    whose benchmark gave `speed` (None: not measured yet); for a preset that starts from the loaded
    model, `resolution` is that model's (the cost scales with its pixels, roughly)."""
    if measured is not None:
        rate, size = measured.steps_per_s, measured.resolution
    elif speed is None or speed <= 0:
        return None
    else:
        rate = preset_.reference_steps_per_s * speed / REFERENCE_SPEED * (preset_.vgg_factor if vgg else 1.0)
        size = preset_.prep_size
    if preset_.from_loaded_model and resolution:
        rate *= (size / resolution) ** 2
    return preset_.steps / rate


def estimate_text(preset_: TrainingPreset, speed: float | None, vgg: bool, device: str = "",
                  resolution: int | None = None, measured: MeasuredRate | None = None) -> str:
    """"about 3 min on this machine", "... (as your last run went)" when measured, with a word when a GPU
    is what it needs."""
    seconds = estimate_seconds(preset_, speed, vgg, resolution, measured)
    if seconds is None:
        return "measuring this machine…"
    where = "this GPU" if device.startswith("cuda") else "this machine"
    text = f"about {format_duration(seconds)} on {where}"
    if measured is not None:
        text += " (as your last run of it went)"
    if preset_.gpu_recommended and not device.startswith("cuda") and seconds > 3 * 24 * 3600:
        text += " (meant for a GPU)"
    return text


def simple_folders(footage: str | Path, preset_: TrainingPreset, root: Path, starting: StartingModel | None = None
                   ) -> tuple[Path, Path]:
    """(dataset, run folder) of a simple run: `root/<footage name>/dataset-<size>px` and `.../<preset>`."""
    name = Path(footage).expanduser().name or "footage"
    base = root / name
    return base / f"dataset-{preset_.crop_size(starting)}px", base / preset_.key
