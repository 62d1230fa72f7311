"""Scenes for screenshots and manual checks: the real window with a portrait, a driving video and a
rendered frame, set up the same way every time.

    python -m gui.scenes screenshot-scene                      # obama.jpg + Megamind.avi, frame 60
    python -m gui.scenes screenshot-scene --source astronaut --driving builtin --compare wipe
    python -m gui.scenes screenshot-scene --in 40 --out 160 --timeline-zoom 2 --time-mode timecode --zoom face
    python -m gui.scenes screenshot-scene --grab out.png       # save the window itself and quit
    python -m gui.scenes screenshot-scene --keys --frame 66 --raise curves check animate   # keys, curves, flags
    python -m gui.scenes screenshot-scene --project resources/demo/keyframes.reenact --raise curves animate
    ../shared/tools/screenshot.sh shot.png 40 -- .venv/bin/python -m gui.scenes screenshot-scene
    python -m gui.scenes training-scene --grab training.png    # the Train workspace, training beside the preview
    python -m gui.scenes training-scene --simple               # started from the simple mode (quick test preset)
    ../shared/tools/screenshot.sh train.png 90 -- .venv/bin/python -m gui.scenes training-scene

The model is the bundled demo checkpoint when this build has one; otherwise an untrained network is
loaded *explicitly* (the window then says so in red), since a scene must render something.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


#: --raise names -> dock titles.
_DOCKS = {"curves": "Curves", "trajectory": "Trajectory", "check": "Driving check", "animate": "Animate",
          "controls": "Controls", "driving": "Driving", "source": "Source"}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gui.scenes", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="scene", required=True)
    shot = sub.add_parser("screenshot-scene", help="the main window with a rendered frame")
    shot.add_argument("--source", default=str(SHARED_DATA / "obama.jpg"), help="a portrait, or 'astronaut'")
    shot.add_argument("--driving", default=str(SHARED_DATA / "Megamind.avi"), help="a video, a performance, or 'builtin'")
    shot.add_argument("--checkpoint", type=Path, default=None, help="a checkpoint (default: demo model, else untrained)")
    shot.add_argument("--frame", type=int, default=60, help="the frame to show")
    shot.add_argument("--compare", choices=["result", "before", "wipe"], default="result", help="the viewer's comparison")
    shot.add_argument("--wipe", type=float, default=0.5, help="where the wipe line is (0-1 of the width)")
    shot.add_argument("--zoom", default="fit", help="the viewer's zoom: fit, face, or a percentage (50, 100, 200)")
    shot.add_argument("--landmarks", action="store_true")
    shot.add_argument("--paste-back", action="store_true")
    shot.add_argument("--in", dest="in_point", type=int, default=None, help="the in point")
    shot.add_argument("--out", dest="out_point", type=int, default=None, help="the out point")
    shot.add_argument("--time-mode", choices=["frames", "timecode"], default="frames")
    shot.add_argument("--timeline-zoom", type=float, default=1.0, help="zoom the timeline in around the playhead")
    shot.add_argument("--cache-first", type=int, default=0,
                      help="render this many frames from the in point first, so the cache bar shows them")
    shot.add_argument("--shortcuts", action="store_true", help="open the keyboard shortcuts table")
    shot.add_argument("--size", default="1600x1000", help="window size WxH")
    shot.add_argument("--export-dialog", action="store_true", help="open the export dialog once the frame shows")
    shot.add_argument("--project", type=Path, default=None, help="open this project instead of --source/--driving")
    shot.add_argument("--keys", action="store_true",
                      help="key the example project's turn, wink and smile on top of the driving (curves show)")
    shot.add_argument("--raise", dest="raise_docks", nargs="*", default=(), choices=sorted(_DOCKS),
                      help="bring these panels to the front of their dock tabs")
    shot.add_argument("--grab", type=Path, default=None, help="save a grab of the window here and quit")
    shot.add_argument("--hold", type=float, default=600.0, help="seconds to stay open (for screenshot.sh)")
    train = sub.add_parser("training-scene", help="the training panel while a tiny model trains beside the preview")
    train.add_argument("--footage", type=Path, default=None,
                       help="videos/photos to prepare (default: Megamind.avi in a temporary folder)")
    train.add_argument("--workdir", type=Path, default=None, help="where the dataset and run go (default: temporary)")
    train.add_argument("--steps-shown", type=int, default=60, help="grab (or stop) once training reached this step")
    train.add_argument("--advanced", action="store_true", help="open the Advanced settings")
    train.add_argument("--simple", action="store_true",
                       help="start from the simple mode (footage folder + the quick test preset) instead")
    train.add_argument("--size", default="1600x1000", help="window size WxH")
    train.add_argument("--grab", type=Path, default=None, help="save a grab of the window here and quit")
    train.add_argument("--hold", type=float, default=600.0, help="seconds to stay open (for screenshot.sh)")
    return parser.parse_args(argv)


def _open_window(size: str):
    """(app, controller, window): the real main window with Qt dialogs and fresh settings (the same
    scene each time), resized to `size` ("WxH") but not shown yet."""
    from gui.app import create_application
    from gui.controllers.app import AppController
    from gui.models.settings import AppSettings
    from gui.views.main_window import MainWindow
    from gui.views.qt_dialogs import QtDialogs

    app = create_application()
    dialogs = QtDialogs()
    controller = AppController(dialogs, AppSettings(), device="cpu")  # fresh settings: the same scene each time
    window = MainWindow(controller)
    dialogs.parent = window
    width, height = (int(v) for v in size.lower().split("x"))
    window.resize(width, height)
    return app, controller, window


def megamind_footage(workdir: Path) -> Path:
    """`workdir/footage`, holding Megamind.avi (linked) in a `megamind` subfolder: footage to prepare."""
    footage = workdir / "footage"
    (footage / "megamind").mkdir(parents=True, exist_ok=True)
    link = footage / "megamind" / "talk.avi"
    if not link.exists():
        link.symlink_to(SHARED_DATA / "Megamind.avi")
    return footage


def configure_training(training, footage: Path, workdir: Path, **overrides) -> None:
    """Set the training controller to `tiny.yaml` with a small 64 px dataset prepared from `footage`
    into `workdir/dataset` and the run in `workdir/run`; `overrides` (e.g. steps=...) are set last.
    Imports no torch: the benchmark uses it too."""
    from gui.models.training import CONFIGS_DIR

    training.apply_config_file(CONFIGS_DIR / "tiny.yaml")
    for name, value in (("raw_dir", str(footage)), ("dataset_dir", str(workdir / "dataset")),
                        ("prep_size", 64), ("prep_every", 2), ("prep_max_frames", 60),
                        ("run_dir", str(workdir / "run")), *overrides.items()):
        training.set(name, value)


def screenshot_scene(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer

    from gui.controllers.app import StartupRequest
    from gui.models.specs import ModelChoice
    from resources import default_checkpoint

    app, controller, window = _open_window(args.size)
    window.actions_by_name["landmarks"].setChecked(args.landmarks)
    window.source_panel.landmarks.setChecked(args.landmarks)
    window.driving_panel.landmarks.setChecked(args.landmarks)
    window.set_compare(args.compare)
    window.result_view.canvas.set_wipe(args.wipe)
    controller.timeline.model.set_time_mode(args.time_mode)
    window.show()
    began = time.perf_counter()

    def start() -> None:
        controller.startup(StartupRequest(demo=False, recover=False))
        for name in args.raise_docks:
            window.docks[_DOCKS[name]].raise_()
        if args.project is not None:
            controller.project.open(args.project)
            controller.document.set_current_frame(args.frame)
            return
        if args.checkpoint is not None:
            controller.model.choose(ModelChoice.file(args.checkpoint))
        elif default_checkpoint() is not None:
            controller.model.choose(ModelChoice.demo())
        else:
            controller.model.choose(ModelChoice.random())
        if args.source == "astronaut":
            controller.source.open_demo()
        else:
            controller.source.open(args.source)
        if args.driving == "builtin":
            controller.driving.open_builtin()
        else:
            controller.driving.open(args.driving)
        if args.paste_back:
            controller.options.set("paste_back", True)
        if args.keys:
            _add_example_keys(controller)
        controller.document.set_play_range(args.in_point, args.out_point)
        # with --cache-first, frames from the in point are rendered one after another, then the chosen one
        controller.document.set_current_frame((args.in_point or 0) if args.cache_first else args.frame)
        controller.document.mark_saved()

    shown: list[int] = []

    def rendered(frame: int, latency_ms: float) -> None:
        shown.append(frame)
        if len(shown) < args.cache_first:
            controller.playback.seek((args.in_point or 0) + len(shown))
            return
        if frame != min(args.frame, controller.scene.frame_count - 1):
            controller.playback.seek(args.frame)
            return
        print(f"scene ready: frame {frame} shown {time.perf_counter() - began:.1f} s after the window", flush=True)
        controller.preview.resultShown.disconnect(rendered)
        view = window.result_view
        if args.zoom == "face":
            view.zoom_to_face()
        elif args.zoom != "fit":
            view.set_zoom(float(args.zoom) / 100)
        if args.timeline_zoom > 1:
            controller.timeline.model.zoom_by(args.timeline_zoom, args.frame + 0.5)
        if args.export_dialog:
            window.show_export()
        if args.shortcuts:
            window.show_shortcuts()
        if args.grab is not None:
            QTimer.singleShot(600, grab)

    def grab() -> None:
        window.grab().save(str(args.grab))
        print(f"grabbed {args.grab}", flush=True)
        window.close()

    controller.preview.resultShown.connect(rendered)
    QTimer.singleShot(0, start)
    QTimer.singleShot(int(args.hold * 1000), window.close)
    return app.exec()


def _add_example_keys(controller) -> None:
    """The example project's keys (a turn, a wink, a smile that builds) on the document's options."""
    from dataclasses import replace

    from core.project_file import project_options, read_project
    from resources import resource_path

    keys = project_options(read_project(resource_path("demo", "keyframes.reenact"))).animation
    document = controller.document
    document.set_options(replace(document.options, animation=keys))
    controller.animation.state.set_active("smile")


def training_scene(args: argparse.Namespace) -> int:
    """Obama driven by Megamind in the preview (untrained network unless a demo model exists), and the
    training panel preparing a 64 px dataset from Megamind.avi and training `tiny.yaml` on it."""
    import tempfile

    from PySide6.QtCore import QTimer

    from gui.controllers.app import StartupRequest
    from gui.models.specs import ModelChoice
    from resources import default_checkpoint

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reenact-training-scene-"))
    footage = args.footage or megamind_footage(workdir)
    app, controller, window = _open_window(args.size)
    window.show()
    window.show_workspace("train")
    panel, training = window.training_panel, controller.training
    panel.set_advanced(args.advanced)
    began = time.perf_counter()

    def start() -> None:
        controller.startup(StartupRequest(demo=False, recover=False))
        controller.model.choose(ModelChoice.demo() if default_checkpoint() is not None else ModelChoice.random())
        controller.source.open(SHARED_DATA / "obama.jpg")
        controller.driving.open(SHARED_DATA / "Megamind.avi")
        controller.document.set_current_frame(60)
        controller.document.mark_saved()
        if args.simple:
            training.set("raw_dir", str(footage))
            training.set("preset", "quick")
            training.start_simple()
        else:
            configure_training(training, footage, workdir, batch_size=4, sample_every=20)
            training.prepare_dataset()

    def prepared(status: str) -> None:
        if status == "idle" and training.model.prepare_report is not None and not training.running:
            training.model.statusChanged.disconnect(prepared)
            if not args.simple:
                training.start()
            controller.playback.play()  # the preview keeps playing while it trains

    def progressed() -> None:
        run = training.model.run
        if run.step >= args.steps_shown and run.sample is not None and training.model.status == "running":
            training.model.progressChanged.disconnect(progressed)
            print(f"training scene ready: step {run.step}, {run.steps_per_s:.2f} steps/s, "
                  f"{time.perf_counter() - began:.1f} s after the window", flush=True)
            if args.grab is not None:
                QTimer.singleShot(600, grab)

    def grab() -> None:
        window.grab().save(str(args.grab))
        print(f"grabbed {args.grab}", flush=True)
        training.model.statusChanged.connect(lambda status: status in ("stopped", "finished", "failed") and window.close())
        training.stop()

    training.model.statusChanged.connect(prepared)
    training.model.progressChanged.connect(progressed)
    QTimer.singleShot(0, start)
    QTimer.singleShot(int(args.hold * 1000), window.close)
    return app.exec()


def isolate_user_folders() -> Path:
    """Point settings, autosaves and caches at a fresh temporary folder (unless the caller already
    chose folders): a scene must never change the user's own settings, window layout or recent files."""
    import tempfile

    from core.paths import redirect_user_folders

    return redirect_user_folders(tempfile.mkdtemp(prefix="reenact-scene-user-"), keep_chosen=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    isolate_user_folders()
    if args.scene == "screenshot-scene":
        return screenshot_scene(args)
    if args.scene == "training-scene":
        return training_scene(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
