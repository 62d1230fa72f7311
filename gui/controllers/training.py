"""Training in the app: prepare a dataset, start / pause / resume / stop the trainer on its own lane,
follow it (curves, samples, checkpoints), and hand a checkpoint to the preview.

The trainer's generator (`training.trainer`) runs in a child process (`gui.workers.training_process`)
that a job on the *training* lane starts and follows: the trainer's own Python then never holds this
process's GIL, which the UI thread needs to paint. Pause and stop ask the child to end at the next step
*with a checkpoint*; so does the job's token (the app's last-resort shutdown), which then gives up on
the child after a grace period. Each step is put in an inbox that the GUI thread drains when a
(coalesced) progress signal arrives, so no loss point or sample is lost however busy the UI is. Workers
get data (a `RunRequest`, paths), never widgets.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from core.errors import ConfigError, UserError
from core.progress import CancelToken, Progress
from gui.controllers.context import AppContext
from gui.images import to_qimage
from gui.models.specs import ModelChoice
from gui.models.training import (
    Environment,
    PrepareReport,
    StartingModel,
    TrainingModel,
    TrainingTick,
    count_noun,
)
from gui.workers import Job, JobFailure, JobHandle
from gui.workers.priority import background_priority
from training.runs import RunRequest, RunStart, numbered_checkpoint

if TYPE_CHECKING:
    from gui.controllers.model import ModelController

log = logging.getLogger(__name__)

#: Data-loading processes of a run started from the app that trains on the CPU. 0 loads batches in the
#: training process itself: at the sizes a CPU trains, loading is a small part of a step, and more
#: processes would compete with the UI and the preview for the cores. A run on a GPU keeps its config's
#: value (a GPU step is fast enough for loading to be the bottleneck), as the command-line trainer does.
APP_DATA_WORKERS = 0


def data_workers(device_request: str, environment: Environment | None) -> int | None:
    """`RunRequest.num_workers` for a run from the app: APP_DATA_WORKERS on the CPU, None (the config's
    value) when the run will use a GPU, as far as the environment check knows."""
    if device_request == "cpu" or environment is None or environment.gpus == 0:
        return APP_DATA_WORKERS
    return None


# ---------------------------------------------------------------------- work (runs on the training lane)


def speed_probe(device: str, threads: int, seconds: float = 0.08, tries: int = 4) -> float:
    """GFLOP/s of a small convolution's forward and backward pass on `device` with `threads` CPU threads,
    the best of `tries` short measurements (other work only ever slows one down): this machine's speed
    for the training presets' estimates (`gui.models.training_presets`)."""
    import time

    import torch

    from core.device import pick_device

    target = pick_device(device)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        conv = torch.nn.Conv2d(32, 32, 3, padding=1).to(target)
        x = torch.randn(4, 32, 64, 64, device=target, requires_grad=True)
        flops = 3 * 2 * x.numel() * 32 * 9  # forward, and backward about twice the forward
        for _ in range(2):
            conv(x).sum().backward()
        best = 0.0
        for _ in range(tries):
            done, began = 0, time.perf_counter()
            while time.perf_counter() - began < seconds or done < 2:
                conv(x).sum().backward()
                done += 1
            if target.type == "cuda":
                torch.cuda.synchronize()
            best = max(best, done * flops / (time.perf_counter() - began) / 1e9)
        return best
    finally:
        torch.set_num_threads(previous)


def environment_work(vgg_weights: str, device: str, threads: int = 1) -> Callable[[CancelToken], Environment]:
    """Where the VGG19 weights are, how many GPUs there are, the device training would use and its speed."""

    def work(_token: CancelToken) -> Environment:
        background_priority()
        import torch

        from core.device import describe, pick_device
        from training.vgg_files import find_vgg19_weights, hub_checkpoint_dirs

        try:
            found, error = find_vgg19_weights(vgg_weights or None), ""
        except ConfigError as err:
            found, error = None, str(err)
        try:
            device_text = describe(pick_device(device))
            speed = speed_probe(device, threads)
        except ConfigError as err:
            device_text, speed = f"unavailable ({err})", None
        return Environment(
            vgg_weights=found,
            vgg_error=error,
            looked_in=tuple(str(d) for d in hub_checkpoint_dirs()),
            gpus=torch.cuda.device_count() if torch.cuda.is_available() else 0,
            device=device_text,
            speed=speed,
        )

    return work


def run_summary_work(run_dir: Path) -> Callable[[CancelToken], tuple[Any, QImage | None]]:
    """The run folder read back (`training.runs.RunSummary`) and its newest sample grid."""

    def work(_token: CancelToken) -> tuple[Any, QImage | None]:
        from training.runs import summarize_run

        summary = summarize_run(run_dir)
        sample = QImage(str(summary.sample)) if summary.sample is not None else None
        return summary, (sample if sample is not None and not sample.isNull() else None)

    return work


def prepare_work(raw_dir: Path, dataset_dir: Path, options: dict[str, int], detector: Callable[[], Any]
                 ) -> Callable[[CancelToken], Iterator[Progress]]:
    """`training.preprocess.preprocess` with the app's shared face detector; returns a `PrepareReport`.

    `options` are `PreprocessOptions` fields (the module is imported here, off the UI thread)."""

    def work(token: CancelToken):
        background_priority()
        from training.preprocess import PreprocessOptions, preprocess

        options_ = PreprocessOptions(**options)
        yield Progress(0, 0, "Loading the face detector…")
        report = yield from preprocess(raw_dir, dataset_dir, options_, detector(), token)
        return PrepareReport(
            clips=report.clips,
            frames=report.frames,
            new_clips=report.new_clips,
            reused_clips=report.reused_clips,
            skipped=tuple((s["source"], s["reason"]) for s in report.skipped),
            dataset_dir=dataset_dir,
        )

    return work


def training_work(request: RunRequest, device: str, stop: CancelToken, inbox: queue.SimpleQueue
                  ) -> Callable[[CancelToken], Iterator[Progress]]:
    """Train in a child process (`gui.workers.training_process`: the trainer's Python must not hold
    this process's GIL) until the steps are reached or `stop` is set; relay its start and every step
    to `inbox`; return the `TrainResult`. The job's own token stops the run the same way (with a
    checkpoint) and gives up on it after `STOP_GRACE_S`."""

    def work(token: CancelToken):
        process = None
        try:
            yield Progress(0, 0, "Starting the training process…")
            from gui.workers.training_process import RemoteTraceback, TrainingProcess, TrainingProcessError

            process = TrainingProcess(request, device)
            for message in process.messages(should_stop=lambda: stop.cancelled or token.cancelled):
                kind, payload = message[0], message[1]
                if kind == "progress":
                    yield payload
                elif kind == "started":
                    inbox.put(payload)
                    yield Progress(payload.step, payload.total, "started")
                elif kind == "step":
                    inbox.put(TrainingTick(
                        step=payload.step,
                        total=payload.total,
                        losses=payload.losses,
                        steps_per_s=payload.steps_per_s,
                        sample=to_qimage(payload.sample) if payload.sample is not None else None,
                        checkpoint=_numbered(request.out, payload.step) if payload.checkpoint is not None else None,
                        holdout_l1=payload.holdout_l1,
                    ))
                    yield Progress(payload.step, payload.total, f"step {payload.step}")
                elif kind == "result":
                    return payload
                elif kind == "user_error":
                    raise payload
                else:
                    raise TrainingProcessError(payload) from RemoteTraceback(message[2])
            raise TrainingProcessError("the training process ended without a result")
        finally:
            if process is not None:
                process.close()

    return work


def _numbered(run_dir: Path, step: int) -> Path:
    """The numbered checkpoint of `step` (a name that says the step), else the rolling latest."""
    from training.runs import latest_checkpoint

    numbered = numbered_checkpoint(run_dir, step)
    return numbered if numbered.exists() else latest_checkpoint(run_dir)


# ---------------------------------------------------------------------- the controller (GUI thread)


class TrainingController(QObject):
    closeReady = Signal()  # training stopped after a close request: the window may close now
    checkpointUsed = Signal()  # the run's checkpoint went to the preview (the window shows it)

    def __init__(self, ctx: AppContext, models: ModelController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = TrainingModel(self)
        self._models = models
        self._handle: JobHandle | None = None
        self._prepare: JobHandle | None = None
        self._stop: CancelToken | None = None
        self._stop_kind: str | None = None  # "pause" | "stop" | "close"
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._environment_asked = False
        self._start_after_prepare = False  # the simple mode: train once the footage is prepared
        self._run_request = 0
        self.apply_config_file(self.model.setup.config_path, quiet=True)
        self._restore_setup()
        self.model.setupChanged.connect(self._remember_setup)
        ctx.model_state.changed.connect(self._model_loaded)
        self._model_loaded()

    @property
    def lane(self):
        return self.ctx.lanes.training

    @property
    def running(self) -> bool:
        """A training job is on the lane (starting, running or stopping)."""
        return self._handle is not None

    # -- environment ------------------------------------------------------------------------------------
    def activate(self) -> None:
        """The panel was shown: find the VGG19 weights and GPUs once (this imports torch in a worker), and
        read the remembered run folder."""
        if not self._environment_asked:
            self.check_environment()
            if self.model.setup.run_dir and self.model.run_summary is None and not self.model.busy:
                self.inspect_run()

    def check_environment(self) -> JobHandle:
        self._environment_asked = True
        job = Job(environment_work(self.model.setup.vgg_weights, self.ctx.engine.device_request, self.ctx.engine.threads))
        handle = self.lane.submit(job)
        handle.succeeded.connect(self._environment_found)
        handle.failed.connect(lambda failure: self.ctx.report("Could not check the training setup", failure))
        return handle

    def _environment_found(self, environment: Environment) -> None:
        if environment.gpus > 1 and not self.model.busy:
            self.model.set_setup(self.model.setup.changed(gpus=environment.gpus))
        self.model.set_environment(environment)

    def _model_loaded(self) -> None:
        """The app's loaded model, which "fine-tune to this person" starts from (None while none, or an
        untrained network, is loaded)."""
        state = self.ctx.model_state
        info = state.info if state.ready else None
        starting = None
        if info is not None and info.path is not None and not info.random_weights and info.kind in ("demo", "file"):
            starting = StartingModel(Path(info.path), info.name, info.resolution, info.is_demo)
        self.model.set_starting_model(starting)

    # -- setup ----------------------------------------------------------------------------------------------
    def _restore_setup(self) -> None:
        """The fields of the last session (settings), where they still fit `TrainingSetup`."""
        saved = self.ctx.settings.training_setup
        current = self.model.setup
        valid = {}
        for f in fields(current):
            value = saved.get(f.name)
            default = getattr(current, f.name)
            if value is not None and type(value) is type(default):
                valid[f.name] = value
        if valid.get("config_path") and not Path(valid["config_path"]).is_file():
            del valid["config_path"]
        if valid:
            self.model.set_setup(current.changed(**valid))

    def _remember_setup(self) -> None:
        self.ctx.settings.training_setup = asdict(self.model.setup)

    def set(self, name: str, value: Any) -> None:
        """A field of the panel was edited."""
        if self.model.busy:
            return
        if name == "config_path":
            self.apply_config_file(value)
            return
        self.model.set_setup(self.model.setup.changed(**{name: value}))
        if name == "run_dir":
            self.inspect_run()
        elif name == "vgg_weights":
            self.check_environment()

    def apply_config_file(self, path: str | Path, quiet: bool = False) -> bool:
        """Take the fields of a run config file (a preset or the user's own YAML)."""
        from training.config import load_run_config

        try:
            model, train = load_run_config(path)
        except (UserError, OSError) as err:
            if not quiet:
                self.ctx.dialogs.show_error("Cannot use this config", f"{Path(path).name}: {err}")
            return False
        setup = self.model.setup
        self.model.set_setup(setup.with_configs(model, train, setup.vgg_weights, config_path=str(path)))
        return True

    def inspect_run(self) -> JobHandle | None:
        """Read the chosen run folder: a run to continue (its config, curves, sample, checkpoint) or new."""
        self._run_request += 1
        request = self._run_request
        text = self.model.setup.run_dir
        if not text:
            self.model.clear_run(None)
            return None
        handle = self.lane.submit(Job(run_summary_work(Path(text).expanduser())))
        handle.succeeded.connect(lambda result: self._show_run(request, *result))
        handle.failed.connect(lambda failure: self.ctx.report("Could not read the run folder", failure))
        return handle

    def _show_run(self, request: int, summary: Any, sample: QImage | None) -> None:
        if request != self._run_request or self.model.training:
            return  # another folder was chosen since, or a run is training into it (its state is live)
        self.model.show_run(summary, sample)
        if summary.config is not None and summary.holds_run:
            model, train = summary.config
            self.model.set_setup(self.model.setup.with_configs(model, train, ""))

    # -- dataset --------------------------------------------------------------------------------------------
    def prepare_dataset(self) -> JobHandle | None:
        """Preprocess the footage folder into the dataset folder (progress; skipped clips reported)."""
        setup = self.model.setup
        if self.model.busy:
            return None
        if not setup.raw_dir or not setup.dataset_dir:
            self.ctx.dialogs.show_error(
                "Cannot prepare the dataset",
                "Choose the folder of videos and photos to prepare, and the dataset folder that receives the "
                "aligned face crops.",
            )
            return None
        options = {"size": setup.prep_size, "every": setup.prep_every, "max_frames": setup.prep_max_frames}
        raw, out = Path(setup.raw_dir).expanduser(), Path(setup.dataset_dir).expanduser()
        handle = self.lane.submit(Job(prepare_work(raw, out, options, self.ctx.engine.detector),
                                      "Preparing the dataset"))
        self._prepare = handle
        self.model.set_prepare_report(None)
        self.model.set_prepare_progress((0, 0, "Starting…"))
        self.model.set_status("preparing", f"Preparing {out.name} from {raw.name}…")
        self.ctx.track("prepare", handle, "Preparing the dataset…")
        handle.progress.connect(lambda p: self.model.set_prepare_progress((p.done, p.total, p.message)))
        handle.succeeded.connect(self._prepared)
        handle.failed.connect(self._prepare_failed)
        handle.cancelled.connect(lambda: self._prepare_ended("Dataset preparation cancelled: run it again to "
                                                             "continue where it stopped."))
        return handle

    # -- the simple mode --------------------------------------------------------------------------------------
    def start_simple(self) -> JobHandle | None:
        """Footage folder + preset -> the preset's config, folders under the user's data folder, the footage
        prepared (finished clips are reused), then training starts (or resumes the preset's run)."""
        from core.paths import data_dir
        from gui.models.training_presets import preset, simple_folders

        setup = self.model.setup
        if self.model.busy:
            return None
        if not setup.raw_dir:
            self.ctx.dialogs.show_error("Choose your footage", "Choose the folder of videos or photos of the person "
                                        "to train on (step 1).")
            return None
        chosen = preset(setup.preset)
        starting = self.model.starting_model if chosen.from_loaded_model else None
        dataset, run = simple_folders(setup.raw_dir, chosen, data_dir() / "training", starting)
        if chosen.from_loaded_model and starting is None and not self._holds_run(run):
            self.ctx.dialogs.show_error(
                "Load a model first",
                "Fine-tuning starts from the model loaded in the app: load the bundled demo model (Model ▸ Use the "
                "bundled demo model) or your own checkpoint (Model ▸ Choose checkpoint…), then Start again.",
            )
            return None
        config = self._preset_config(chosen, data_dir() / "training" / "presets", starting)
        if config is None or not self.apply_config_file(config):
            return None
        fields_ = [("dataset_dir", str(dataset)), ("prep_size", chosen.crop_size(starting)),
                   ("prep_every", chosen.prep_every), ("prep_max_frames", chosen.prep_max_frames),
                   ("steps", chosen.steps), ("run_dir", str(run))]
        if starting is not None:
            fields_.append(("resolution", starting.resolution))  # the network is the starting model's
        for name, value in fields_:
            self.set(name, value)
        if self.model.resumable and self.model.run.step >= self.model.setup.steps:
            self.set("steps", self.model.run.step + chosen.steps)  # a finished run: train the preset's steps more
        problem = self.model.start_problem()
        if problem and not self.model.resumable:
            self.ctx.dialogs.show_error("Cannot start training", problem)
            return None
        self._start_after_prepare = True
        handle = self.prepare_dataset()
        if handle is None:
            self._start_after_prepare = False
        return handle

    @staticmethod
    def _holds_run(run_dir: Path) -> bool:
        from training.runs import latest_checkpoint

        return latest_checkpoint(run_dir).exists()

    def _preset_config(self, chosen: Any, folder: Path, starting: StartingModel | None = None) -> Path | None:
        """The preset's run config (`TrainingPreset.run_config`: from `starting` when the preset starts from
        the loaded model), written to `folder`."""
        import yaml

        from core.atomic import write_text

        try:
            data = chosen.run_config(starting)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{chosen.key}.yaml"
            header = f"# {chosen.label}: {chosen.config} with the training page's changes (written by the app)\n"
            if starting is not None:
                header += (f"# The network and its starting weights are those of {starting.path} (train.init_from);"
                           " the model section is left out\n")
            write_text(target, header + yaml.safe_dump(data, sort_keys=False))
        except (OSError, UserError, yaml.YAMLError) as err:
            self.ctx.dialogs.show_error("Cannot use this preset", f"{chosen.label}: {err}")
            return None
        return target

    def cancel_prepare(self) -> None:
        if self._prepare is not None:
            self._prepare.cancel()

    def _prepared(self, report: PrepareReport) -> None:
        self.model.set_prepare_report(report)
        if report.clips == 0:
            reasons = "\n".join(f"• {source}: {reason}" for source, reason in report.skipped[:12])
            more = f"\n… and {len(report.skipped) - 12} more" if len(report.skipped) > 12 else ""
            self.ctx.dialogs.show_error(
                "No faces found",
                f"No usable clip in {Path(self.model.setup.raw_dir).name}: training needs videos or photos in "
                f"which a face is found (a video needs two frames with a face).\n\n{reasons}{more}",
            )
            self._prepare_ended("No usable clip: nothing to train on.")
            return
        skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
        train_next = self._start_after_prepare
        self._prepare_ended(f"Dataset ready: {count_noun(report.clips, 'clip')}, "
                            f"{count_noun(report.frames, 'frame')}{skipped}.")
        if train_next:
            self.start()

    def _prepare_failed(self, failure: JobFailure) -> None:
        self.ctx.report("Could not prepare the dataset", failure)
        self._prepare_ended(failure.message)

    def _prepare_ended(self, message: str) -> None:
        self._prepare = None
        self._start_after_prepare = False
        self.model.set_prepare_progress(None)
        self.model.set_status("idle", message)
        self.ctx.activity.say(message, 6000)

    # -- training -------------------------------------------------------------------------------------------
    def start(self) -> JobHandle | None:
        """Start a new run, or continue the run folder's run from its latest checkpoint."""
        problem = self.model.start_problem()
        if problem:
            self.ctx.dialogs.show_error("Cannot start training", problem)
            return None
        if self.model.environment is None:
            self.check_environment()
        resumed = self.model.resumable
        workers = data_workers(self.ctx.engine.device_request, self.model.environment)
        request = self.model.request(threads=self.ctx.engine.threads, num_workers=workers)
        self._stop, self._stop_kind = CancelToken(), None
        self._inbox = queue.SimpleQueue()
        job = Job(training_work(request, self.ctx.engine.device_request, self._stop, self._inbox),
                  "Training")
        handle = self.lane.submit(job)
        self._handle = handle
        verb = "Resuming" if resumed else "Starting"
        self.model.set_status("starting", f"{verb}: building the networks…")
        where = "GPU" if self.ctx.engine.device_request == "cuda" else "CPU"
        self.ctx.activity.begin("training", "Training", note=f"preview may be slower while training shares the {where}")
        handle.progress.connect(self._drain)
        handle.succeeded.connect(self._ended)
        handle.failed.connect(self._failed)
        handle.cancelled.connect(self._aborted)
        return handle

    def pause(self) -> None:
        """Stop at the next step with a checkpoint; Resume continues the step count from it."""
        self._request_stop("pause")

    def stop(self) -> None:
        """Stop at the next step with a checkpoint (a paused run just becomes stopped)."""
        if self.running:
            self._request_stop("stop")
        elif self.model.status == "paused":
            self.model.set_status("stopped", self._ended_text("Stopped", self.model.run.step))

    def _request_stop(self, kind: str) -> None:
        if self._stop is None or not self.running:
            return
        if self._stop_kind is None or kind == "close":
            self._stop_kind = kind
        self._stop.cancel()
        what = "Pausing" if self._stop_kind == "pause" else "Stopping"
        self.model.set_status("stopping", f"{what}: finishing the current step and saving a checkpoint…")

    def _drain(self, *_: object) -> None:
        ticks: list[TrainingTick] = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, RunStart):
                self.model.add_ticks(ticks)
                ticks = []
                self.model.started(item)
                if self.model.status == "starting":
                    verb = "Resumed" if item.resumed_from else "Started"
                    origin = f" from the generator of {item.init_from.name}" if item.init_from and not item.resumed_from else ""
                    self.model.set_status("running", f"{verb} at step {item.step}{origin}.")
            else:
                ticks.append(item)
        self.model.add_ticks(ticks)
        run = self.model.run
        if run.total:
            self.ctx.activity.update("training", min(1.0, run.step / run.total))

    def _ended(self, result: Any) -> None:
        self._drain()
        run_dir = self.model.run.run_dir or Path(self.model.setup.run_dir)
        checkpoint = _numbered(run_dir, result.step) if result.checkpoint is not None else None
        self.model.ended(result.step, checkpoint)
        if result.stopped and self._stop_kind == "pause":
            status, text = "paused", self._ended_text("Paused", result.step) + " Resume continues from it."
        elif result.stopped:
            status, text = "stopped", self._ended_text("Stopped", result.step)
        else:
            status, text = "finished", self._ended_text("Finished", result.step)
        self._finish(status, text)

    def _ended_text(self, what: str, step: int) -> str:
        checkpoint = self.model.run.checkpoint
        saved = f" Checkpoint: {checkpoint.name}." if checkpoint is not None else ""
        return f"{what} at step {step}.{saved}"

    def _failed(self, failure: JobFailure) -> None:
        self._drain()
        started = self.model.status != "starting"
        self.ctx.report("Training stopped with an error" if started else "Training could not start", failure)
        self._finish("failed", failure.message)

    def _aborted(self) -> None:
        self._drain()
        self._finish("stopped", "Training was interrupted (the last periodic checkpoint is kept).")

    def _finish(self, status: str, text: str) -> None:
        closing = self._stop_kind == "close"
        self._handle, self._stop, self._stop_kind = None, None, None
        self.ctx.activity.end("training")
        self.model.set_status(status, text)  # type: ignore[arg-type]
        self.ctx.activity.say(text, 8000)
        if closing:
            self.closeReady.emit()

    # -- the result -----------------------------------------------------------------------------------------
    def use_checkpoint(self) -> None:
        """Load the run's latest checkpoint into the preview (through the model controller)."""
        checkpoint = self.model.run.checkpoint
        if checkpoint is None or not checkpoint.exists():
            self.ctx.dialogs.show_error("No checkpoint yet", "This run has no checkpoint yet: train, then pause or "
                                                             "stop it (both save one).")
            return
        self._models.choose(ModelChoice.file(checkpoint))
        self.checkpointUsed.emit()

    def open_run_folder(self) -> None:
        run_dir = self.model.run.run_dir or (Path(self.model.setup.run_dir) if self.model.setup.run_dir else None)
        if run_dir is not None and run_dir.exists():
            self.ctx.dialogs.open_folder(run_dir)

    # -- closing -------------------------------------------------------------------------------------------
    def can_close(self) -> bool:
        """True when nothing trains. While training: ask; on yes, stop with a checkpoint and emit
        `closeReady` once it is written (the window closes then). False keeps the app open for now."""
        if not self.running:
            return True
        if self._stop_kind == "close":
            return False
        run = self.model.run
        if self.ctx.dialogs.ask_yes_no(
            "Training is running",
            f"Training is at step {run.step} of {run.total}. Stop it, save a checkpoint and quit?\n\n"
            "You can resume it later from its run folder.",
            default_yes=False,
        ):
            self._request_stop("close")
        return False

    def shutdown(self, wait_s: float = 60.0) -> bool:
        """Stop training with a checkpoint and wait for it (the app is quitting); False if it did not end.

        The lane's shutdown cancels the job, whose token stops the child with a checkpoint too; closing the
        child waits for that checkpoint (`STOP_GRACE_S`)."""
        self.cancel_prepare()
        if not self.running:
            return True
        self._request_stop("close")
        return self.lane.shutdown(int(wait_s * 1000))

