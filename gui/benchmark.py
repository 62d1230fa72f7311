"""GUI benchmark: drives the real window offscreen and reports the issue's three targets.

    python -m gui.benchmark --json            # prints one JSON object as its last stdout line
    python -m gui.benchmark --checkpoint resources/models/demo.pt

1. Launch to window visible: `python main.py --report-visible` in a fresh process, timed from spawn to
   its first paint (several runs; target <= 2.5 s); with the bundled demo model, also to the demo
   scene playing (`--report-playing`: two different result frames on screen; target < 5 s).
2. Worst UI-thread gap, measured by a 5 ms QTimer probe, while (a) the model loads, (b) an uncached
   driving video is analysed and its scrubbing proxy built, (c) previews render while scrubbing,
   (d) an export runs (target <= 50 ms for b-d; a is reported too).
3. Scrub to a new, uncached frame at 256 px on CPU: seek, then time until that frame's result is on
   screen (target <= 200 ms).

With --training it measures the training panel instead (`training_figures`): a 64 px dataset is prepared
from Megamind.avi through the panel's controller and `tiny.yaml` trains on its own lane while the
preview idles, scrubs and plays; it reports the worst UI-thread gap of each phase (target <= 50 ms), the
training speed in each (steps/s), and scrub latency with and without training.

Without --checkpoint the model is an untrained tiny 256 px network with random weights, loaded
explicitly and named as such in the output (the bundled demo model is used when it exists). User
folders (caches, autosave, settings) point to a temporary folder, so the analysis is not cached.
The CPU is shared with other work: figures vary from run to run; report several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.paths import redirect_user_folders

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def launch_to_visible(runs: int, until: str = "visible") -> dict:
    """Seconds from spawning `python main.py` to the window's first paint (`until="visible"`, no demo
    scene) or to the demo scene playing (`until="playing"`: two different result frames shown while
    playback runs; needs the bundled demo model), offscreen."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    flags = ["--report-visible", "--no-demo"] if until == "visible" else ["--report-playing", "--no-restore"]
    times, internal = [], []
    for _ in range(runs):
        began = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), *flags],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = ""
        for line in proc.stdout:
            if line.startswith(until) and not line.endswith("timeout\n"):
                times.append(time.perf_counter() - began)
                internal.append(float(line.split()[1]))
                break
        proc.wait(timeout=60)
    return {
        "runs_s": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3) if times else None,
        "worst_s": round(max(times), 3) if times else None,
        "in_process_s": [round(t, 3) for t in internal],
    }


def spin_until(app, condition, timeout_s: float) -> bool:
    """Run the event loop until `condition()` holds (checked every 5 ms) or the time is up."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    deadline = time.perf_counter() + timeout_s
    poll.timeout.connect(lambda: (condition() or time.perf_counter() > deadline) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    return condition()


def spin_for(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    spin_until(app, lambda: time.perf_counter() >= end, seconds + 1)


class SilentDialogs:
    """The dialog protocol for an unattended run: errors are collected, questions answered no."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def show_error(self, title: str, message: str, details: str = "") -> None:
        self.errors.append(f"{title}: {message}")

    def show_info(self, title: str, message: str) -> None:
        pass

    def ask_yes_no(self, title: str, question: str, default_yes: bool = True) -> bool:
        return False

    def ask_save_discard_cancel(self, title: str, question: str) -> str:
        return "discard"

    def ask_open_path(self, title: str, filters: str, folder: str | None = None) -> Path | None:
        return None

    def ask_save_path(self, title: str, filters: str, suggested: str | None = None) -> Path | None:
        return None

    def open_folder(self, path: Path) -> None:
        pass


def open_window(workdir: Path):
    """(app, dialogs, controller, window): the real main window, shown at 1600x1000; `dialogs` answers
    every question silently and collects the errors."""
    from gui.app import create_application
    from gui.controllers.app import AppController
    from gui.models.settings import AppSettings
    from gui.views.main_window import MainWindow

    app = create_application()
    dialogs = SilentDialogs()
    controller = AppController(dialogs, AppSettings(), device="cpu", autosave_folder=workdir / "autosave")
    window = MainWindow(controller)
    window.resize(1600, 1000)
    window.show()
    return app, dialogs, controller, window


def in_app_figures(checkpoint: Path | None, scrubs: int, export_frames: int, workdir: Path) -> dict:
    from gui.controllers.export import ExportSettings
    from gui.models.specs import ModelChoice
    from gui.probe import GapProbe

    app, dialogs, controller, window = open_window(workdir)
    spin_for(app, 0.3)
    probe = GapProbe(5)
    out: dict = {}

    # (a) model loading (torch import, dlib's model, network construction)
    path, untrained = _preview_checkpoint(checkpoint, workdir)
    model_note = f"checkpoint {path}" if untrained is None else f"{untrained} (explicit: no trained checkpoint here)"
    probe.start()
    began = time.perf_counter()
    controller.model.choose(ModelChoice.file(path))
    spin_until(app, lambda: controller.model_state.status in ("ready", "error"), 180)
    out["model_load_s"] = round(time.perf_counter() - began, 2)
    out["gap_model_load"] = probe.stop().as_dict()
    if controller.model_state.status != "ready":
        raise SystemExit(f"model did not load: {dialogs.errors}")
    info = controller.model_state.info
    out["model"] = {"what": model_note, "resolution": info.resolution, "parameters": info.parameters, "device": info.device}

    controller.source.open(SHARED / "obama.jpg")
    spin_until(app, lambda: controller.scene.source_face is not None, 120)

    # (b) analysis of an uncached video + its scrubbing proxy
    probe.start()
    began = time.perf_counter()
    controller.driving.open(SHARED / "Megamind.avi")
    spin_until(app, lambda: controller.scene.proxy_path is not None or bool(dialogs.errors), 300)
    out["analysis_and_proxy_s"] = round(time.perf_counter() - began, 2)
    out["gap_analysis"] = probe.stop().as_dict()
    spin_until(app, lambda: controller.scene.ready and controller.preview_model.result is not None, 120)

    # (c) scrubbing: each seek goes to a frame never rendered; time until it is on screen
    frames = random.Random(0).sample(range(1, controller.scene.frame_count), scrubs)
    render_ms: list[float] = []  # every result rendered from here on, the drag below included
    controller.preview_model.resultChanged.connect(
        lambda: render_ms.append(controller.preview_model.result.render_ms) if controller.preview_model.result else None
    )
    probe.start()
    latencies = _scrub(app, controller, frames, pause_s=0.05)
    # then drag across the timeline quickly (stale requests are dropped)
    for frame in range(0, controller.scene.frame_count, 3):
        controller.playback.seek(frame)
        spin_for(app, 0.02)
    spin_until(app, lambda: controller.preview_model.pending_frame is None, 30)
    out["gap_preview"] = probe.stop().as_dict()
    out["scrub_latency_ms"] = {
        **_latency_stats(latencies),
        "resolution": info.resolution,
        "render_only_median_ms": round(statistics.median(render_ms), 1) if render_ms else None,
        "torch_threads": controller.ctx.engine.threads,
    }
    out["preview_requests_dropped"] = controller.preview_model.dropped
    # (c') the same pasted into the whole photo at its native size (910x1137 for obama.jpg)
    controller.options.set("paste_back", True)
    spin_until(app, lambda: controller.preview_model.pending_frame is None, 30)
    pasted = random.Random(1).sample([f for f in range(1, controller.scene.frame_count) if f not in frames], scrubs)
    latencies = _scrub(app, controller, pasted, pause_s=0.05)
    shown = controller.preview_model.result
    out["scrub_latency_ms_paste_back"] = {
        **_latency_stats(latencies),
        "size": [shown.image.width(), shown.image.height()] if shown else None,
    }
    controller.options.set("paste_back", False)

    # (d) export with paste-back into the full photo
    target = workdir / "bench.mp4"
    probe.start()
    began = time.perf_counter()
    controller.export.start(ExportSettings(target, 0, export_frames, paste_back=True, quality=80))
    spin_until(app, lambda: not controller.export.running, 600)
    out["export_s"] = round(time.perf_counter() - began, 2)
    out["gap_export"] = probe.stop().as_dict()
    out["export_frames"] = export_frames
    out["errors"] = dialogs.errors
    window.close()
    return out


def _scrub(app, controller, frames: list[int], pause_s: float = 0.15) -> list[float]:
    """Seek to each frame (never rendered before) and time until its result is on screen (ms)."""
    shown: dict[int, float] = {}

    def on_shown(frame: int, _ms: float) -> None:
        shown.setdefault(frame, time.perf_counter())

    controller.preview.resultShown.connect(on_shown)
    latencies = []
    for frame in frames:
        spin_for(app, pause_s)
        asked = time.perf_counter()
        controller.playback.seek(frame)
        if spin_until(app, lambda f=frame: f in shown, 30):
            latencies.append((shown[frame] - asked) * 1000)
    controller.preview.resultShown.disconnect(on_shown)
    return latencies


def _latency_stats(latencies: list[float]) -> dict:
    if not latencies:
        return {"n": 0}
    ordered = sorted(latencies)
    return {"median": round(statistics.median(ordered), 1), "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "worst": round(ordered[-1], 1), "n": len(ordered)}


def training_figures(checkpoint: Path | None, seconds: float, scrubs: int, data_workers: int | None,
                     workdir: Path) -> dict:
    """The training panel beside the preview: UI-thread gaps and training speed, phase by phase."""
    from gui.controllers import training as training_module
    from gui.models.specs import ModelChoice
    from gui.probe import GapProbe
    from gui.scenes import configure_training, megamind_footage

    if data_workers is not None:
        training_module.APP_DATA_WORKERS = data_workers
    app, dialogs, controller, window = open_window(workdir)
    window.show_workspace("train")  # the page is on screen: its curves and sample redraw as it trains
    spin_until(app, lambda: window.training_panel.plot is not None, 30)
    training, model = controller.training, controller.training.model
    probe = GapProbe(5)
    out: dict = {"data_workers": training_module.APP_DATA_WORKERS}

    checkpoint, untrained = _preview_checkpoint(checkpoint, workdir)
    out["preview_model"] = untrained or str(checkpoint)
    controller.model.choose(ModelChoice.file(checkpoint))
    controller.source.open(SHARED / "obama.jpg")
    controller.driving.open(SHARED / "Megamind.avi")
    spin_until(app, lambda: controller.scene.ready and controller.preview_model.result is not None, 300)
    if dialogs.errors:
        raise SystemExit(f"the scene did not open: {dialogs.errors}")
    frames = random.Random(0).sample(range(1, controller.scene.frame_count), 2 * scrubs)

    # (a) scrubbing without training: the reference for "preview may be slower"
    probe.start()
    out["scrub_latency_ms_without_training"] = _latency_stats(_scrub(app, controller, frames[:scrubs]))
    out["gap_scrub_without_training"] = probe.stop().as_dict()

    # (b) preparing a dataset (the face detector runs in its helper process)
    configure_training(training, megamind_footage(workdir), workdir,
                       steps=1_000_000, sample_every=20, checkpoint_every=100)
    probe.start()
    began = time.perf_counter()
    training.prepare_dataset()
    spin_until(app, lambda: model.status == "idle" and model.prepare_report is not None, 300)
    out["prepare_s"] = round(time.perf_counter() - began, 2)
    out["gap_prepare"] = probe.stop().as_dict()
    out["dataset_frames"] = model.prepare_report.frames if model.prepare_report else None

    def phase(name: str, during) -> None:
        step0, t0 = model.run.step, time.perf_counter()
        redraws0 = window.training_panel.plot.redraws
        probe.start()
        extra = during()
        out[f"gap_{name}"] = probe.stop().as_dict()
        elapsed = time.perf_counter() - t0
        out[f"training_{name}"] = {
            "steps": model.run.step - step0,
            "steps_per_s_wall": round((model.run.step - step0) / elapsed, 2),
            "steps_per_s_panel": round(model.run.steps_per_s, 2),  # what the panel shows (trainer's smoothed rate)
            "curve_redraws": window.training_panel.plot.redraws - redraws0,
            **(extra or {}),
        }

    # (c) starting: dataset opened, networks built (torch work on the training lane), first steps
    def starting():
        training.start()
        spin_until(app, lambda: model.status == "running" and model.run.step >= 3, 120)

    phase("start", starting)
    phase("training_alone", lambda: spin_for(app, seconds))

    def scrubbing():
        return {"scrub_latency_ms": _latency_stats(_scrub(app, controller, frames[scrubs:]))}

    phase("training_and_scrub", scrubbing)

    def playing():
        shown = []
        controller.preview.resultShown.connect(lambda frame, _ms: shown.append(frame))
        controller.playback.play()
        spin_for(app, seconds)
        controller.playback.pause()
        return {"preview_frames_shown_per_s": round(len(shown) / seconds, 1)}

    phase("training_and_playback", playing)

    def pausing():
        training.pause()
        spin_until(app, lambda: model.status == "paused", 120)
        training.start()
        spin_until(app, lambda: model.status == "running" and model.run.step >= model.run.checkpoint_step + 3, 120)
        training.stop()
        spin_until(app, lambda: model.status == "stopped", 120)

    phase("pause_resume_stop", pausing)
    out["final_step"] = model.run.step
    out["checkpoint"] = str(model.run.checkpoint)
    out["errors"] = dialogs.errors
    window.close()
    return out


UNTRAINED_NOTE = "UNTRAINED tiny network, 256 px, random weights"


def _preview_checkpoint(checkpoint: Path | None, workdir: Path) -> tuple[Path, str | None]:
    """(path, note): `checkpoint`, else the bundled demo model, else an untrained tiny 256 px network
    saved in `workdir`; `note` is UNTRAINED_NOTE for the latter and None for a real checkpoint."""
    from resources import default_checkpoint

    if checkpoint is None:
        checkpoint = default_checkpoint()
    if checkpoint is not None:
        return checkpoint, None
    path = workdir / "untrained-tiny256.pt"
    _save_untrained(path, 256)
    return path, UNTRAINED_NOTE


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "load_average": [round(v, 2) for v in os.getloadavg()]}


def _save_untrained(path: Path, resolution: int) -> None:
    """Write an untrained tiny checkpoint in a child process: this process must not import torch
    before the app does (that is part of what is measured)."""
    code = (
        "import sys, torch\n"
        "from core.checkpoint import save_checkpoint\n"
        "from core.config import ModelConfig\n"
        "from core.networks.generator import Generator\n"
        "torch.manual_seed(0)\n"
        f"config = ModelConfig.tiny({resolution})\n"
        "save_checkpoint(sys.argv[1], config, Generator(config), metadata={'note': 'untrained: random weights (benchmark)'})\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last stdout line")
    parser.add_argument("--checkpoint", type=Path, default=None, help="a trained checkpoint (default: demo, else untrained tiny 256)")
    parser.add_argument("--launch-runs", type=int, default=3)
    parser.add_argument("--scrubs", type=int, default=15)
    parser.add_argument("--export-frames", type=int, default=48)
    parser.add_argument("--training", action="store_true", help="measure the training panel beside the preview")
    parser.add_argument("--seconds", type=float, default=15.0, help="--training: seconds of each timed phase")
    parser.add_argument("--data-workers", type=int, default=None, help="--training: data-loading processes")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.training:
        return training_main(args)
    with tempfile.TemporaryDirectory(prefix="reenact-gui-bench-") as tmp:
        workdir = redirect_user_folders(tmp)
        result: dict = {"launch_to_visible": launch_to_visible(args.launch_runs)}
        from resources import default_checkpoint

        if default_checkpoint() is not None:
            result["launch_to_demo_playing"] = launch_to_visible(args.launch_runs, until="playing")
        result.update(in_app_figures(args.checkpoint, args.scrubs, args.export_frames, workdir))
    gaps = {k: result[k]["worst_ms"] for k in ("gap_analysis", "gap_preview", "gap_export")}
    result["targets"] = {
        "launch_to_visible_s<=2.5": result["launch_to_visible"]["median_s"] is not None and result["launch_to_visible"]["median_s"] <= 2.5,
        "launch_to_demo_playing_s<5": (result.get("launch_to_demo_playing") or {}).get("median_s") is not None
        and result["launch_to_demo_playing"]["median_s"] < 5,
        "ui_gap_ms<=50 (analysis, preview, export)": max(gaps.values()) <= 50,
        "scrub_latency_ms<=200 (median)": result["scrub_latency_ms"]["median"] <= 200,
    }
    result["machine"] = _machine()
    if not args.json:
        lv = result["launch_to_visible"]
        print(f"launch to visible: median {lv['median_s']} s (runs {lv['runs_s']})")
        if "launch_to_demo_playing" in result:
            lp = result["launch_to_demo_playing"]
            print(f"launch to the demo scene playing: median {lp['median_s']} s (runs {lp['runs_s']})")
        for key in ("gap_model_load", "gap_analysis", "gap_preview", "gap_export"):
            print(f"worst UI gap during {key[4:].replace('_', ' ')}: {result[key]['worst_ms']} ms (p99 {result[key]['p99_ms']} ms)")
        s = result["scrub_latency_ms"]
        print(f"scrub to a new frame at {s['resolution']} px: median {s['median']} ms, p90 {s['p90']} ms, worst {s['worst']} ms (n={s['n']})")
        print(f"model: {result['model']['what']}")
        print(f"load average: {result['machine']['load_average']}")
    print(json.dumps(result))
    return 0


def training_main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="reenact-gui-bench-training-") as tmp:
        workdir = redirect_user_folders(tmp)
        result = training_figures(args.checkpoint, args.seconds, args.scrubs, args.data_workers, workdir)
    phases = ("training_alone", "training_and_scrub", "training_and_playback", "pause_resume_stop")
    result["targets"] = {
        "ui_gap_ms<=50 (while training: alone, scrubbing, playing, pause/resume/stop)":
            max(result[f"gap_{p}"]["worst_ms"] for p in phases) <= 50,
    }
    result["machine"] = _machine()
    if not args.json:
        for key in ("scrub_without_training", "prepare", "start", *phases):
            gap = result[f"gap_{key}"]
            speed = result.get(f"training_{key}")
            rate = f"; {speed['steps_per_s_wall']} steps/s (panel {speed['steps_per_s_panel']})" if speed else ""
            print(f"{key.replace('_', ' ')}: worst UI gap {gap['worst_ms']} ms (p99 {gap['p99_ms']} ms){rate}")
        print(f"scrub latency without training: {result['scrub_latency_ms_without_training']}")
        print(f"scrub latency while training:   {result['training_training_and_scrub']['scrub_latency_ms']}")
        print(f"load average: {result['machine']['load_average']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
