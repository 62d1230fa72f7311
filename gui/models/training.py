"""The training panel's state: what the user set up, what the trainer reports, and the loss curves.

No widgets and no torch here: the controller fills it from worker results, the panel draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

import training
from training.runs import RunRequest, RunStart, torchrun_command

#: Where the shipped run configs live (the panel's presets).
CONFIGS_DIR = Path(training.__file__).resolve().parent / "configs"

TrainingStatus = Literal[
    "idle",  # nothing running; a new run (or a run folder to continue) is set up
    "preparing",  # the dataset is being prepared
    "starting",  # the trainer is being built (dataset opened, networks made, checkpoint loaded)
    "running",
    "stopping",  # a pause or stop was asked: the current step ends, then a checkpoint is written
    "paused",  # stopped with a checkpoint, to be resumed
    "stopped",  # stopped by the user with a checkpoint
    "finished",  # reached the step count
    "failed",
]

#: The curves of the panel: (key, label). Discriminator curves add their real and fake terms.
CURVES: tuple[tuple[str, str], ...] = (
    ("g_total", "Generator total"),
    ("g_l1", "L1"),
    ("g_perceptual", "Perceptual"),
    ("g_local", "Local"),
    ("d_landmark", "D_L landmark"),
    ("d_identity", "D_I identity"),
)
GENERATOR_CURVES = ("g_total", "g_l1", "g_perceptual", "g_local")
DISCRIMINATOR_CURVES = ("d_landmark", "d_identity")

#: The `TrainingSetup` fields that are also `TrainConfig` fields: filled from a run config, and passed
#: as they are to the `RunRequest`.
TRAIN_FIELDS = ("batch_size", "steps", "lr_generator", "lr_discriminator", "checkpoint_every", "sample_every",
                "perceptual_fallback")



def curve_values(losses: dict[str, float]) -> dict[str, float]:
    """The panel's curves from one step's (or one log record's) named losses."""
    out = {key: float(losses[key]) for key in GENERATOR_CURVES if key in losses}
    for name in ("landmark", "identity"):
        real, fake = losses.get(f"d_{name}_real"), losses.get(f"d_{name}_fake")
        if real is not None and fake is not None:
            out[f"d_{name}"] = float(real) + float(fake)
    return out


def ema_accumulate(values: np.ndarray, weight: float, start: float = 0.0) -> np.ndarray:
    """``acc[i] = weight * acc[i-1] + (1 - weight) * values[i]`` from ``acc[-1] = start``, vectorised in
    blocks short enough that ``weight ** -block`` stays far from overflow (no scipy: its import takes
    half a second of the UI thread)."""
    x = np.asarray(values, np.float64)
    out = np.empty_like(x)
    if x.size == 0:
        return out
    if weight <= 0:
        out[:] = x
        return out
    block = int(min(1024, max(1, 12 / -np.log10(weight))))
    k = np.arange(block, dtype=np.float64)
    rise, fall, decay = weight ** -k, weight ** (k + 1), (1 - weight) * weight**k
    acc = float(start)
    for s in range(0, x.size, block):
        segment = x[s : s + block]
        m = segment.size
        # acc_i = w^(i+1) acc_start + (1 - w) w^i sum_{j<=i} w^-j x_j  (i, j counted within the block)
        result = fall[:m] * acc + decay[:m] * np.cumsum(segment * rise[:m])
        out[s : s + m] = result
        acc = float(result[-1])
    return out


def debias(accumulated: np.ndarray, weight: float, offset: int = 0) -> np.ndarray:
    """TensorBoard's debiasing of an EMA that started at 0 (point `offset + i` is the (offset+i+1)-th)."""
    if weight <= 0:
        return accumulated
    return accumulated / (1 - weight ** np.arange(offset + 1, offset + 1 + accumulated.size, dtype=np.float64))


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's debiasing (the first points are not pulled to 0).

    `weight` 0 returns the values; 0.99 is very smooth."""
    return debias(ema_accumulate(values, weight), weight)


class LossHistory:
    """Loss curves on a step axis, in growing arrays (cheap to append, cheap to hand to a plot)."""

    def __init__(self) -> None:
        self._steps = np.zeros(256, np.int64)
        self._values = {key: np.full(256, np.nan) for key, _ in CURVES}
        self._size = 0
        self.generation = 0  # bumped whenever points are taken away (views rebuild what they derived)

    def __len__(self) -> int:
        return self._size

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self._size]

    def values(self, key: str) -> np.ndarray:
        return self._values[key][: self._size]

    @property
    def last_step(self) -> int | None:
        return int(self._steps[self._size - 1]) if self._size else None

    def append(self, step: int, losses: dict[str, float]) -> None:
        if self._size == self._steps.size:
            grow = self._steps.size
            self._steps = np.concatenate([self._steps, np.zeros(grow, np.int64)])
            for key in self._values:
                self._values[key] = np.concatenate([self._values[key], np.full(grow, np.nan)])
        values = curve_values(losses)
        self._steps[self._size] = step
        for key in self._values:
            self._values[key][self._size] = values.get(key, np.nan)
        self._size += 1

    def truncate_after(self, step: int) -> None:
        """Forget points after `step` (a run resumed from an earlier checkpoint than its last log line)."""
        size = int(np.searchsorted(self.steps, step, side="right"))
        if size != self._size:
            self._size = size
            self.generation += 1

    def clear(self) -> None:
        self._size = 0
        self.generation += 1


def improvement_verdict(history: LossHistory, key: str = "g_l1", min_points: int = 40) -> tuple[str, str]:
    """(level, sentence): whether the results still improve, in plain words, from the reconstruction
    error's last quarter of the run against the quarter before (medians: robust to noisy steps)."""
    values = history.values(key) if len(history) else np.zeros(0)
    steps = history.steps
    keep = np.isfinite(values)
    values, steps = values[keep], steps[keep]
    if values.size < min_points:
        return ("info", "Too early to tell whether the results still improve: look at the samples as they come.")
    quarter = values.size // 4
    before, last = np.median(values[-2 * quarter : -quarter]), np.median(values[-quarter:])
    span = int(steps[-1] - steps[-quarter]) + 1
    change = (before - last) / before if before > 0 else 0.0
    if change > 0.05:
        return ("ok", f"Still improving: the error fell {change:.0%} over the last {span:,} steps. Keep training.")
    if change > 0.01:
        return ("ok", f"Improving slowly: {change:.0%} better over the last {span:,} steps. More steps help a little.")
    if change >= -0.01:
        return ("warning", f"Levelled off: no clear gain over the last {span:,} steps. Stop here, or train on more "
                "footage for better results.")
    return ("danger", f"Getting worse over the last {span:,} steps ({-change:.0%}). Stop, and use an earlier "
            "checkpoint.")


@dataclass(frozen=True)
class TrainingSetup:
    """Everything the panel lets the user choose (plain values; the controller turns it into a request)."""

    raw_dir: str = ""  # videos and photos to prepare
    dataset_dir: str = ""  # a prepared dataset (what training reads)
    prep_size: int = 256  # crop size of the prepared frames
    prep_every: int = 1  # keep every n-th video frame
    prep_max_frames: int = 0  # at most this many frames per video (0: all)
    run_dir: str = ""
    config_path: str = str(CONFIGS_DIR / "tiny.yaml")
    resolution: int = 64
    batch_size: int = 8
    steps: int = 2000
    lr_generator: float = 1e-3
    lr_discriminator: float = 5e-4
    checkpoint_every: int = 500
    sample_every: int = 100
    perceptual_fallback: str = "none"  # "l1": the explicit multi-scale L1 fallback when VGG19 is absent
    vgg_weights: str = ""  # a VGG19 weight file ("" : the torch hub cache)
    gpus: int = 2  # processes of the torchrun command shown for several GPUs
    preset: str = "quick"  # the simple mode's preset (`gui.models.training_presets`)
    init_from: str = ""  # a new run's generator starts from this checkpoint's ("": new weights)

    def changed(self, **changes: Any) -> TrainingSetup:
        return replace(self, **changes)

    def with_configs(self, model: Any, train: Any, vgg_default: str, **changes: Any) -> TrainingSetup:
        """This setup with the fields of a run config (`ModelConfig`, `TrainConfig`); the VGG19 file is the
        config's, else `vgg_default`."""
        fields_ = {name: getattr(train, name) for name in TRAIN_FIELDS}
        vgg_weights = train.vgg_weights or vgg_default
        return replace(self, resolution=model.resolution, **fields_, vgg_weights=vgg_weights,
                       init_from=train.init_from or "", **changes)


@dataclass(frozen=True)
class StartingModel:
    """The trained model loaded in the app, which "fine-tune to this person" starts from."""

    path: Path  # its checkpoint file
    name: str  # the file's name
    resolution: int
    is_demo: bool = False  # the bundled demo model

    @property
    def label(self) -> str:
        """"the demo model (128 px)", "my_face.pt (256 px)"."""
        return f"{'the demo model' if self.is_demo else self.name} ({self.resolution} px)"


@dataclass(frozen=True)
class Environment:
    """What this machine offers for training (found in a worker: it needs torch)."""

    vgg_weights: Path | None = None  # the VGG19 file training would use
    vgg_error: str = ""  # a configured file that is missing
    looked_in: tuple[str, ...] = ()  # where the hub cache was searched
    gpus: int = 0
    device: str = "cpu"  # the device training runs on, in words
    speed: float | None = None  # GFLOP/s of a small convolution there (the presets' time estimates)


@dataclass(frozen=True)
class PrepareReport:
    clips: int
    frames: int
    new_clips: int
    reused_clips: int
    skipped: tuple[tuple[str, str], ...]  # (source, reason)
    dataset_dir: Path


@dataclass(frozen=True)
class TrainingTick:
    """One training step as the panel sees it (made in the worker: the sample is a QImage already)."""

    step: int
    total: int
    losses: dict[str, float]
    steps_per_s: float
    sample: QImage | None = None
    checkpoint: Path | None = None
    holdout_l1: float | None = None


@dataclass
class RunState:
    """The run the panel shows: from its folder (resumable runs), then from the trainer."""

    run_dir: Path | None = None
    step: int = 0
    total: int = 0
    steps_per_s: float = 0.0
    perceptual: str | None = None
    device: str = ""
    checkpoint: Path | None = None  # the latest usable checkpoint of this run
    checkpoint_step: int | None = None
    sample: QImage | None = None
    sample_step: int | None = None
    holdout_l1: float | None = None
    message: str = ""
    history: LossHistory = field(default_factory=LossHistory)


class TrainingModel(QObject):
    """State + signals of the training panel."""

    setupChanged = Signal()
    statusChanged = Signal(str)
    startingModelChanged = Signal()  # the app's loaded model, which a fine-tune starts from
    progressChanged = Signal()  # step, rate, ETA, checkpoint
    curvesChanged = Signal()
    sampleChanged = Signal()
    environmentChanged = Signal()
    runChanged = Signal()  # the run folder's summary (resumable or not)
    prepareChanged = Signal()  # dataset preparation progress or report

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setup = TrainingSetup()
        self.status: TrainingStatus = "idle"
        self.environment: Environment | None = None
        self.run = RunState()
        self.run_summary: Any = None  # training.runs.RunSummary of the chosen run folder
        self.prepare_progress: tuple[int, int, str] | None = None  # done, total, message
        self.prepare_report: PrepareReport | None = None
        self.starting_model: StartingModel | None = None  # the trained model loaded in the app

    # -- setup ---------------------------------------------------------------------------------------------
    def set_setup(self, setup: TrainingSetup) -> None:
        if setup != self.setup:
            self.setup = setup
            self.setupChanged.emit()

    def set_starting_model(self, starting: StartingModel | None) -> None:
        if starting != self.starting_model:
            self.starting_model = starting
            self.startingModelChanged.emit()

    def set_environment(self, environment: Environment) -> None:
        self.environment = environment
        self.environmentChanged.emit()

    def set_status(self, status: TrainingStatus, message: str = "") -> None:
        self.run.message = message
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)
        self.progressChanged.emit()

    @property
    def busy(self) -> bool:
        """Something runs on the training lane (the setup cannot change)."""
        return self.status in ("preparing", "starting", "running", "stopping")

    @property
    def training(self) -> bool:
        return self.status in ("starting", "running", "stopping")

    @property
    def resumable(self) -> bool:
        """The run folder holds a checkpoint to continue from."""
        return self.run.checkpoint is not None

    # -- run -------------------------------------------------------------------------------------------------
    def show_run(self, summary: Any, sample: QImage | None) -> None:
        """A run folder was read (a `training.runs.RunSummary`): its curves, step and checkpoint."""
        self.run_summary = summary
        run = RunState(run_dir=summary.run_dir)
        run.step = summary.step
        run.total = summary.total or 0
        run.perceptual = summary.perceptual
        run.checkpoint = summary.checkpoint
        run.checkpoint_step = summary.step if summary.checkpoint is not None else None
        for record in summary.history:
            run.history.append(int(record["step"]), record)
        if sample is not None and summary.sample is not None:
            run.sample = sample
            run.sample_step = _step_of(summary.sample)
        self._replace_run(run)

    def clear_run(self, run_dir: Path | None) -> None:
        self.run_summary = None
        self._replace_run(RunState(run_dir=run_dir))

    def _replace_run(self, run: RunState) -> None:
        self.run = run
        self.runChanged.emit()
        self.curvesChanged.emit()
        self.sampleChanged.emit()
        self.progressChanged.emit()

    def started(self, event: RunStart) -> None:
        run = self.run
        if run.run_dir != event.run_dir:
            run.history.clear()
            run.sample, run.sample_step = None, None
        run.run_dir = event.run_dir
        run.history.truncate_after(event.step)
        run.step, run.total = event.step, event.total
        run.perceptual, run.device = event.perceptual, event.device
        run.steps_per_s = 0.0
        self.curvesChanged.emit()
        self.progressChanged.emit()

    def add_ticks(self, ticks: list[TrainingTick]) -> None:
        """Steps delivered by the worker, in order (several per call when the UI was busy)."""
        if not ticks:
            return
        run = self.run
        sample = None
        for tick in ticks:
            run.history.append(tick.step, tick.losses)
            if tick.sample is not None:
                sample = tick
            if tick.checkpoint is not None:
                run.checkpoint, run.checkpoint_step = tick.checkpoint, tick.step
            if tick.holdout_l1 is not None:
                run.holdout_l1 = tick.holdout_l1
        last = ticks[-1]
        run.step, run.total, run.steps_per_s = last.step, last.total, last.steps_per_s
        self.curvesChanged.emit()
        if sample is not None:
            run.sample, run.sample_step = sample.sample, sample.step
            self.sampleChanged.emit()
        self.progressChanged.emit()

    def ended(self, step: int, checkpoint: Path | None) -> None:
        run = self.run
        run.step = step
        if checkpoint is not None:
            run.checkpoint, run.checkpoint_step = checkpoint, step
        self.progressChanged.emit()

    # -- what can be started --------------------------------------------------------------------------------
    def request(self, threads: int | None = None, num_workers: int | None = None) -> RunRequest:
        """The session the panel would start: a new run from the config file and the fields (its generator
        from `init_from`'s when set, with that checkpoint's network), or, when the run folder holds a
        checkpoint, that run resumed (its network as saved) with the fields."""
        s = self.setup
        resume = self.resumable
        init_from = None if resume or not s.init_from else str(Path(s.init_from).expanduser())
        return RunRequest(
            data=Path(s.dataset_dir).expanduser(),
            out=Path(s.run_dir).expanduser(),
            config=None if resume else Path(s.config_path),
            resume="" if resume else None,
            init_from=init_from,
            resolution=None if resume or init_from else s.resolution,
            **{name: getattr(s, name) for name in TRAIN_FIELDS},
            vgg_weights=s.vgg_weights or None,
            threads=threads,
            num_workers=num_workers,
        )

    def torchrun_command(self) -> str:
        """The exact `torchrun` line for the same run on a machine with `setup.gpus` GPUs ("" until the
        dataset and run folders are chosen)."""
        if not (self.setup.dataset_dir and self.setup.run_dir):
            return ""
        return torchrun_command(self.request(), self.setup.gpus)

    def start_problem(self) -> str:
        """Why Start (or Resume) cannot run now, as a sentence; "" when it can."""
        s, env = self.setup, self.environment
        if self.busy:
            return "Training or dataset preparation is already running."
        if not s.dataset_dir:
            return "Choose a prepared dataset folder (or prepare one from a folder of videos and photos)."
        if not s.run_dir:
            return "Choose a run folder: it receives the checkpoints, samples, config and log."
        if env is not None and env.vgg_error:
            return env.vgg_error
        if env is not None and env.vgg_weights is None and s.perceptual_fallback != "l1":
            return ("The VGG19 weights were not found, so the paper's perceptual and local losses cannot be "
                    "used: choose the multi-scale L1 fallback explicitly, or name the weight file.")
        if self.resumable and self.run.step >= s.steps:
            return f"This run is at step {self.run.step} of {s.steps}: raise Steps to continue it."
        return ""

    @property
    def eta_s(self) -> float | None:
        """Seconds to the step count at the current rate (None when unknown)."""
        run = self.run
        if self.status != "running" or run.steps_per_s <= 0 or run.total <= run.step:
            return None
        return (run.total - run.step) / run.steps_per_s

    # -- dataset ----------------------------------------------------------------------------------------------
    def set_prepare_progress(self, progress: tuple[int, int, str] | None) -> None:
        self.prepare_progress = progress
        self.prepareChanged.emit()

    def set_prepare_report(self, report: PrepareReport | None) -> None:
        self.prepare_report = report
        self.prepareChanged.emit()


def _step_of(sample: Path) -> int | None:
    try:
        return int(sample.stem.split("_")[-1])
    except ValueError:
        return None


def count_noun(n: int, noun: str) -> str:
    """"1 clip", "3 clips"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_duration(seconds: float) -> str:
    """"45 s", "3 min 20 s", "2 h 05 min", "4 days 6 h" (beyond two days)."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"
