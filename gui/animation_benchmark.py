"""The animator's targets, measured in the real window (issue 16):

* a control change re-renders the current frame within the scrub budget (both measured here, same run);
* dragging a key in the curve editor keeps the UI thread's worst gap under 50 ms with a 10,000-frame
  driving video (Megamind's analysis repeated to 10,000 frames, applied as a video);
* the driving check's flags and the trajectories are ready when Megamind's analysis finishes.

    python -m gui.animation_benchmark --json [--checkpoint FILE] [--changes 12] [--drag-seconds 3]

The model is the bundled demo checkpoint when this build has one, else an untrained 128 px network.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from gui.benchmark import (
    SHARED,
    _latency_stats,
    _machine,
    _preview_checkpoint,
    _scrub,
    open_window,
    spin_for,
    spin_until,
)

LONG_DRIVING_FRAMES = 10_000


def _wait_shown(app, controller, asked: float, timeout_s: float = 30) -> float | None:
    """Milliseconds from `asked` until a result for the current options and frame is on screen."""
    preview = controller.preview

    def current() -> bool:
        key = preview._shown_key
        doc = controller.document
        return key is not None and key[0] == doc.current_frame and key[1] == doc.options

    if not spin_until(app, current, timeout_s):
        return None
    return (time.perf_counter() - asked) * 1000


def control_changes(app, controller, count: int) -> dict:
    """Latency of a control change at the playhead: a static control (smile), then a keyed one (yaw)."""
    animation = controller.animation
    static, keyed = [], []
    values = [round(0.05 + 0.6 * i / count, 3) for i in range(count)]
    for value in values:
        spin_for(app, 0.15)
        asked = time.perf_counter()
        animation.set_value("smile", value, gesture=object())
        if (ms := _wait_shown(app, controller, asked)) is not None:
            static.append(ms)
    animation.toggle_key("yaw")
    for i, value in enumerate(values):
        spin_for(app, 0.15)
        asked = time.perf_counter()
        animation.set_value("yaw", 30 * value * (-1) ** i, gesture=object())
        if (ms := _wait_shown(app, controller, asked)) is not None:
            keyed.append(ms)
    return {"static_control_ms": _latency_stats(static), "keyed_control_ms": _latency_stats(keyed)}


def long_driving(controller, frames: int = LONG_DRIVING_FRAMES):
    """Megamind's analysed sequence repeated to `frames` frames, as a video driving of the app."""
    import numpy as np

    from core.faces.driving import DrivingSequence
    from gui.models.scene import DrivingInfo

    base = controller.scene.driving
    reps = -(-frames // base.frame_count)
    raw = np.tile(base.raw, (reps, 1, 1))[:frames]
    has_face = np.tile(base.has_face, reps)[:frames]
    sequence = DrivingSequence(kind="video", name="long.avi", fps=base.fps, raw=raw, has_face=has_face,
                               frame_size=base.frame_size, video_path=base.video_path)
    info = DrivingInfo(kind="video", name="Megamind x37 (10,000 frames)", frame_count=frames, fps=base.fps,
                       frame_size=base.frame_size, frames_with_face=int(has_face.sum()), path=base.video_path)
    return sequence, info


def key_drag(app, controller, window, seconds: float) -> dict:
    """Drag a yaw key of a 10,000-frame video through the curve editor at 60 Hz; the UI thread's gaps."""
    from dataclasses import replace

    from core.animation.tracks import Animation
    from gui.workers import Job

    sequence, info = long_driving(controller)
    handle = controller.ctx.lanes.engine.submit(Job(lambda _t: controller.ctx.engine.reenactor.set_driving(sequence)))
    spin_until(app, lambda: handle.done, 60)
    scene = controller.scene
    scene.set_driving_info(info, None, None)
    scene.set_driving(sequence)
    doc = controller.document
    frames = (0, 2500, 5000, 7500, info.frame_count - 1)
    keys = Animation()
    for frame, value in zip(frames, (0.0, 12.0, -8.0, 15.0, 0.0), strict=True):
        keys = keys.set_key("yaw", frame, value)
    doc.set_options(replace(doc.options, animation=keys))
    doc.set_current_frame(5000)
    window.docks["Curves"].show()
    window.docks["Curves"].raise_()
    editor = window.animation_docks.curves.ensure_built()
    spin_until(app, lambda: controller.preview_model.result is not None and controller.preview_model.result.index == 5000, 60)
    model = controller.driving_check.model
    spin_until(app, lambda: model.trajectory is not None and model.trajectory.frame_count == info.frame_count, 120)
    spin_for(app, 1.0)
    moves = int(seconds * 60)
    # the baseline: scrubbing the same frames at the same rate (every move renders a new frame too)
    scrub = at_60hz(app, moves, lambda i: controller.playback.seek(5000 + round(600 * i / moves)))
    doc.set_current_frame(5000)
    spin_for(app, 1.0)
    steps = doc.undo_stack.count()
    editor.begin_drag(("yaw", 5000.0))
    drag = at_60hz(app, moves, lambda i: editor.drag_to(5000 + 600 * i / moves, 50 + 30 * ((i // 20) % 2)))
    editor.end_drag()  # (normalised: 50 % is 0 degrees)
    return {
        "driving_frames": info.frame_count,
        "drag_moves": moves,
        "undo_steps_added": doc.undo_stack.count() - steps,
        "key_now_at": max(f for f in doc.options.animation.curve("yaw").frames if 4000 < f < 7000),
        "gap_during_drag": drag,
        "gap_scrubbing_the_same_frames": scrub,
    }


def at_60hz(app, moves: int, move) -> dict:
    """Call `move(i)` for i < `moves` at 60 Hz (the event loop runs between), then let the last renders,
    cache queries and trajectories land; the UI thread's gaps throughout."""
    from gui.probe import GapProbe

    probe = GapProbe(5)
    probe.start()
    began = time.perf_counter()
    for i in range(moves):
        spin_until(app, lambda t=began + i / 60.0: time.perf_counter() >= t, 1)
        move(i)
    spin_for(app, 1.5)
    return probe.stop().as_dict()


def measure(checkpoint: Path | None, changes: int, scrubs: int, drag_seconds: float, workdir: Path) -> dict:
    from gui.models.specs import ModelChoice

    app, dialogs, controller, window = open_window(workdir)
    spin_for(app, 0.3)
    path, untrained = _preview_checkpoint(checkpoint, workdir)
    controller.model.choose(ModelChoice.file(path))
    spin_until(app, lambda: controller.model_state.status in ("ready", "error"), 180)
    controller.source.open(SHARED / "obama.jpg")
    spin_until(app, lambda: controller.scene.source_face is not None, 120)
    moments: dict[str, float] = {}
    scene, check = controller.scene, controller.driving_check.model
    scene.readyChanged.connect(lambda ready: ready and moments.setdefault("ready", time.perf_counter()))
    check.trajectoryChanged.connect(lambda: check.trajectory is not None and moments.setdefault("checked", time.perf_counter()))
    began = time.perf_counter()
    controller.driving.open(SHARED / "Megamind.avi")
    spin_until(app, lambda: "checked" in moments or bool(dialogs.errors), 300)
    spin_until(app, lambda: controller.preview_model.result is not None, 60)
    out: dict = {"model": f"checkpoint {path}" if untrained is None else untrained, "machine": _machine()}
    out["megamind"] = {
        "analysis_to_ready_s": round(moments.get("ready", began) - began, 2),
        "flags_and_trajectory_after_ready_ms": round((moments["checked"] - moments["ready"]) * 1000)
        if {"checked", "ready"} <= set(moments) else None,
        "flags": len(check.flags),
    }
    frames = random.Random(0).sample(range(1, scene.frame_count), scrubs)
    out["scrub_latency_ms"] = _latency_stats(_scrub(app, controller, frames, pause_s=0.05))
    controller.playback.seek(60)
    spin_until(app, lambda: controller.preview_model.pending_frame is None, 30)
    out.update(control_changes(app, controller, changes))
    out["key_drag"] = key_drag(app, controller, window, drag_seconds)
    out["errors"] = dialogs.errors
    window.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.animation_benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--changes", type=int, default=12, help="control changes timed (each kind)")
    parser.add_argument("--scrubs", type=int, default=12, help="scrubs timed for the budget")
    parser.add_argument("--drag-seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from gui.scenes import isolate_user_folders

    isolate_user_folders()
    workdir = Path(tempfile.mkdtemp(prefix="reenact-animation-bench-"))
    figures = measure(args.checkpoint, args.changes, args.scrubs, args.drag_seconds, workdir)
    if args.json:
        print(json.dumps(figures))
    else:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
