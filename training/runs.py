"""A training session as a request (what `main.py train` and the app's training panel both start from),
the `torchrun` command for the same run, and a run folder read back (its log as curves, its step).

`RunRequest` is the one place that turns a config file, a checkpoint to resume (or one whose generator a
new run starts from: `init_from`) and the overrides of a session into the model and train configs (the CLI's flags and the panel's fields are the same
overrides), and that writes a request back as `main.py train` arguments, so a command shown by the
panel runs exactly the run the panel would train. Importing this module does not import torch.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import ModelConfig
from core.errors import ConfigError
from training.config import TrainConfig, load_run_config

if TYPE_CHECKING:
    import argparse

    from core.checkpoint import Checkpoint

# The run folder's layout: `training.trainer` writes it with these names, and reading a run back (the
# panel, `summarize_run`) needs no torch.
CHECKPOINT_DIR = "checkpoints"
LATEST_NAME = "latest.pt"
LOG_NAME = "log.jsonl"
SAMPLES_DIR = "samples"
CONFIG_NAME = "config.yaml"

#: `TrainConfig` fields a request may override, with their `main.py train` flags.
TRAIN_OVERRIDES = {
    "steps": "--steps",
    "batch_size": "--batch-size",
    "lr_generator": "--lr-generator",
    "lr_discriminator": "--lr-discriminator",
    "checkpoint_every": "--checkpoint-every",
    "sample_every": "--sample-every",
    "perceptual": "--perceptual",
    "perceptual_fallback": "--perceptual-fallback",
    "vgg_weights": "--vgg-weights",
    "seed": "--seed",
    "threads": "--threads",
    "num_workers": "--num-workers",
    "init_from": "--init-from",
}
#: Overrides that describe this machine rather than the run: left out of a command for another one.
EXECUTION_OVERRIDES = ("threads", "num_workers")


def latest_checkpoint(run_dir: str | Path) -> Path:
    return Path(run_dir) / CHECKPOINT_DIR / LATEST_NAME


def numbered_checkpoint(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / CHECKPOINT_DIR / f"step_{step:07d}.pt"


@dataclass(frozen=True)
class RunStart:
    """A run is built and about to train: where it starts and what it uses."""

    step: int
    total: int
    perceptual: str
    device: str
    resumed_from: Path | None
    run_dir: Path
    init_from: Path | None = None  # a new run whose generator started from this checkpoint's


@dataclass(frozen=True)
class RunRequest:
    """One training session: data, run folder, config file, what to resume, and overrides (None: keep)."""

    data: Path
    out: Path
    config: Path | None = None  # YAML with `model` and `train` sections
    resume: str | None = None  # None: a new run; "": the run folder's latest checkpoint; else a checkpoint
    resolution: int | None = None  # model resolution (a new run only: a resumed network keeps its own)
    steps: int | None = None
    batch_size: int | None = None
    lr_generator: float | None = None
    lr_discriminator: float | None = None
    checkpoint_every: int | None = None
    sample_every: int | None = None
    perceptual: str | None = None  # "vgg19" | "multiscale-l1"
    perceptual_fallback: str | None = None  # "none" | "l1"
    vgg_weights: str | None = None
    seed: int | None = None
    deterministic: bool = False
    threads: int | None = None
    num_workers: int | None = None
    init_from: str | None = None  # a new run whose generator starts from this checkpoint's (train.init_from)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunRequest:
        """The request of a `main.py train` command line."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in vars(args).items() if k in known}
        values["data"], values["out"] = Path(args.data), Path(args.out)
        values["config"] = Path(args.config) if getattr(args, "config", None) else None
        values["deterministic"] = bool(getattr(args, "deterministic", False))
        return cls(**values)

    def resume_path(self) -> Path | None:
        if self.resume is None:
            return None
        return Path(self.resume) if self.resume else latest_checkpoint(self.out)

    def configs(self) -> tuple[ModelConfig, TrainConfig, Checkpoint | None]:
        """(model config, train config, checkpoint to resume or None): the config file (or, resuming
        without one, the checkpoint's own configs; else the defaults), then the overrides.

        A new run that starts from a checkpoint's generator (`init_from`, or the config's
        ``train.init_from``) takes that checkpoint's `ModelConfig`; model settings of the config file or
        `resolution` that differ from it are refused, naming them."""
        from core.checkpoint import load_checkpoint, require_config

        if self.resume is not None and self.init_from:
            raise ConfigError("--resume continues a run and --init-from starts a new one from a checkpoint's "
                              "generator: pass one of them")
        checkpoint = None
        path = self.resume_path()
        if path is not None:
            if not path.exists():
                raise ConfigError(f"nothing to resume: {path} does not exist (start without --resume)")
            checkpoint = load_checkpoint(path)
        if self.config:
            model, train = load_run_config(self.config)
            model = self._resized(model)
            if checkpoint is not None and train.init_from:  # a run started from another generator: its network
                model = self._checked_model(checkpoint.config, f"{path.name}")
            if checkpoint is not None:
                require_config(checkpoint, model)
        elif checkpoint is not None:
            model = checkpoint.config
            if self.resolution is not None and self.resolution != model.resolution:
                raise ConfigError(
                    f"{path.name} holds a {model.resolution} px network: a resumed run keeps its resolution "
                    f"(start a new run for {self.resolution} px)"
                )
            saved = checkpoint.train_state.get("train_config")
            train = TrainConfig.from_dict(saved) if saved else TrainConfig()
        else:
            model, train = self._resized(ModelConfig()), TrainConfig()
        train = train.updated(**{name: getattr(self, name) for name in TRAIN_OVERRIDES},
                              deterministic=True if self.deterministic else None)
        if checkpoint is None and train.init_from:
            model, train = self._initial_model(train)
        return model, train, checkpoint

    def _initial_model(self, train: TrainConfig) -> tuple[ModelConfig, TrainConfig]:
        """The model config of the checkpoint a new run starts from, and the train config with its path
        made absolute (as the run records it)."""
        from core.checkpoint import load_checkpoint

        path = Path(str(train.init_from)).expanduser()
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not found"
            raise ConfigError(f"--init-from {path}: {what}; give a checkpoint file (.pt) whose generator the run "
                              "starts from")
        from core.safety import refuse_overwriting_inputs

        refuse_overwriting_inputs(self.out, [path], "--out", inside_ok=True)  # the run never writes over it
        model = self._checked_model(load_checkpoint(path).config, f"--init-from {path.name}")
        return model, train.updated(init_from=str(path.resolve()))

    def _checked_model(self, own: ModelConfig, what: str) -> ModelConfig:
        """`own` (a checkpoint's network), unless the config file's model section or `resolution` asks for
        settings that differ from it: then a `ConfigError` naming them."""
        explicit = _model_settings(self.config) if self.config else {}
        if self.resolution is not None:
            explicit["resolution"] = self.resolution
        mine = own.to_dict()
        conflicts = [f"{key}: {value} asked, {mine[key]} in the checkpoint" for key, value in explicit.items()
                     if value != mine[key]]
        if conflicts:
            where = " and ".join(([f"{self.config.name}'s model section"] if self.config else [])
                                 + (["--resolution"] if "resolution" in explicit and self.resolution else []))
            raise ConfigError(
                f"{what}: the run uses the checkpoint's own network, but {where} asks for another "
                f"({'; '.join(conflicts[:5])}): remove those model settings (the model section), or start "
                "without --init-from"
            )
        return own

    def _resized(self, model: ModelConfig) -> ModelConfig:
        return model if self.resolution is None else replace(model, resolution=self.resolution)

    def arguments(self, execution: bool = True) -> list[str]:
        """This request as `main.py train` arguments (without the machine's threads and data workers
        when `execution` is False)."""
        args = ["train", "--data", str(self.data), "--out", str(self.out)]
        if self.config:
            args += ["--config", str(self.config)]
        if self.resume is not None:
            args += ["--resume"] + ([self.resume] if self.resume else [])
        if self.resolution is not None:
            args += ["--resolution", str(self.resolution)]
        for name, flag in TRAIN_OVERRIDES.items():
            value = getattr(self, name)
            if value is None or (not execution and name in EXECUTION_OVERRIDES):
                continue
            args += [flag, _number(value) if isinstance(value, float) else str(value)]
        if self.deterministic:
            args.append("--deterministic")
        return args

    def with_changes(self, **changes: Any) -> RunRequest:
        return replace(self, **changes)


def _model_settings(config: Path) -> dict[str, Any]:
    """The model settings a run config file gives explicitly (normalised as `ModelConfig` reads them)."""
    from core.config import load_mapping

    section = load_mapping(config).get("model") or {}
    normalised = ModelConfig.from_dict(section).to_dict()
    return {key: normalised[key] for key in section}


def _number(value: float) -> str:
    """A float as the shortest text that reads back as the same float (2e-05, 0.001)."""
    return repr(float(value))


def torchrun_command(request: RunRequest, processes: int, main_script: str = "main.py") -> str:
    """``torchrun --nproc_per_node=K main.py train ...`` for the same run, as one copyable shell line.

    Only this machine's execution settings (threads, data workers) are left out: the data, run folder,
    config file, resume point and every training override are the request's own.
    """
    if processes < 1:
        raise ConfigError(f"the process count must be at least 1, got {processes}")
    return shlex.join(["torchrun", f"--nproc_per_node={processes}", main_script, *request.arguments(execution=False)])


# ---------------------------------------------------------------------- reading a run folder back


def read_log(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every JSON record of the run's ``log.jsonl`` (a torn last line, from a crash, is left out)."""
    path = Path(run_dir) / LOG_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return log_records(lines)


def log_records(lines: Iterable[str | bytes]) -> list[dict[str, Any]]:
    """The JSON objects among log lines; torn or foreign lines are left out."""
    records: list[dict[str, Any]] = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass(frozen=True)
class RunSummary:
    """What a run folder holds, for someone about to continue it or use its checkpoint."""

    run_dir: Path
    checkpoint: Path | None  # the rolling latest checkpoint, when there is one
    step: int  # the last step the log records (0 for a new folder)
    config: tuple[ModelConfig, TrainConfig] | None  # from config.yaml
    config_error: str = ""  # why config.yaml could not be read
    perceptual: str | None = None  # the distance of the last session ("vgg19" | "multiscale-l1")
    history: list[dict[str, float]] = field(default_factory=list)  # logged step records, in order
    sample: Path | None = None  # the newest sample grid
    init_from: str | None = None  # the checkpoint whose generator the run started from (None: new weights)

    @property
    def holds_run(self) -> bool:
        return self.checkpoint is not None

    @property
    def total(self) -> int | None:
        return self.config[1].steps if self.config else None


def summarize_run(run_dir: str | Path) -> RunSummary:
    """Read a run folder (which may not exist yet: then it is an empty summary)."""
    run_dir = Path(run_dir)
    latest = latest_checkpoint(run_dir)
    config, error = None, ""
    if (run_dir / CONFIG_NAME).exists():
        try:
            config = load_run_config(run_dir / CONFIG_NAME)
        except (ConfigError, OSError) as err:
            error = str(err)
    records = read_log(run_dir)
    history = [r for r in records if "event" not in r and isinstance(r.get("step"), int)]
    steps = [int(r["step"]) for r in records if isinstance(r.get("step"), int)]
    start = next((r for r in reversed(records) if r.get("event") == "start"), {})
    perceptual = start.get("perceptual")
    started = start.get("init_from")
    init_from = started.get("path") if isinstance(started, dict) else None
    samples = sorted((run_dir / SAMPLES_DIR).glob("step_*.png")) if (run_dir / SAMPLES_DIR).is_dir() else []
    return RunSummary(
        run_dir=run_dir,
        checkpoint=latest if latest.exists() else None,
        step=max(steps, default=0),
        config=config,
        config_error=error,
        perceptual=perceptual,
        history=history,
        sample=samples[-1] if samples else None,
        init_from=init_from if isinstance(init_from, str) else None,
    )
