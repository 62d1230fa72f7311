"""Start the desktop app: `python main.py` (no sub-command) calls `run_app`.

The window appears first (Qt and the light parts of the core only); torch, the model and the face
backends load afterwards in workers, with the "loading model" state visible.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QMainWindow

    from gui.controllers.dialogs import DialogView

_STARTED = time.perf_counter()

log = logging.getLogger("reenact.gui")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description="Reenact Studio (desktop app)")
    parser.add_argument("--project", type=Path, help="open this project (.reenact)")
    parser.add_argument("--source", type=Path, help="open this portrait")
    parser.add_argument("--driving", type=Path, help="open this driving video or performance file")
    parser.add_argument("--checkpoint", type=Path, help="load this checkpoint")
    parser.add_argument("--random-weights", action="store_true", help="an untrained network (testing the app only)")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda|mps")
    parser.add_argument("--no-demo", action="store_true", help="do not open the demo scene")
    parser.add_argument("--no-restore", action="store_true", help="do not offer to restore an autosave")
    parser.add_argument("--compare", choices=["result", "before", "wipe"], default=None,
                        help="start the viewer comparing the portrait with the result (before/after or a wipe)")
    parser.add_argument("--report-visible", action="store_true", help=argparse.SUPPRESS)  # benchmark: print and quit
    parser.add_argument("--report-playing", action="store_true", help=argparse.SUPPRESS)  # benchmark: print and quit
    return parser.parse_args(argv)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, themed; the Qt environment is cleaned of OpenCV's variables first."""
    from gui.qt_env import lock_in_fonts, sanitize_qt_environment

    sanitize_qt_environment()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "reenact-studio", *(argv or [])])
    app.setApplicationName("Reenact Studio")
    app.setOrganizationName("ReenactStudio")
    app.setApplicationDisplayName("Reenact Studio")
    lock_in_fonts()
    from gui.theme import apply_theme

    apply_theme(app)
    return app


def install_excepthook(dialogs: DialogView) -> None:
    """An exception escaping a slot becomes an error dialog with the traceback, not a silent failure."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        log.error("unexpected error:\n%s", details)
        try:
            dialogs.show_error("Unexpected error", f"{kind.__name__}: {value}", details)
        except RuntimeError:  # the window is already gone
            previous(kind, value, tb)

    sys.excepthook = hook


def _report_visible(app: QApplication, window: QMainWindow) -> int:
    """Benchmark mode: print the seconds from interpreter start to the window's first paint, then quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                print(f"visible {time.perf_counter() - _STARTED:.3f}", flush=True)
                QTimer.singleShot(0, app.quit)
            return False

    spy = FirstPaint(window)
    window.installEventFilter(spy)
    return app.exec()


def _report_playing(app: QApplication, controller) -> None:
    """Benchmark mode: print the seconds from this module's import to the demo scene playing (a second,
    different result frame on screen while playback runs), then quit; `playing timeout` after 60 s."""
    from PySide6.QtCore import QTimer

    shown: set[int] = set()

    def on_shown(frame: int, _ms: float) -> None:
        if controller.playback.playing:
            shown.add(frame)
        if len(shown) == 2:
            print(f"playing {time.perf_counter() - _STARTED:.3f}", flush=True)
            QTimer.singleShot(0, app.quit)

    def give_up() -> None:
        print("playing timeout", flush=True)
        app.quit()

    controller.preview.resultShown.connect(on_shown)
    QTimer.singleShot(60_000, give_up)


def run_app(argv: list[str]) -> int:
    import multiprocessing

    # A frozen build starts the face-detector helper by running itself with --multiprocessing-fork;
    # main.py sends that (an option) here, and freeze_support runs the helper and exits.
    multiprocessing.freeze_support()
    args = parse_args(argv)
    from gui.qt_env import qt_platform_problem, report_without_qt

    problem = qt_platform_problem()  # X11 libraries missing: say which packages, not Qt's bare abort
    if problem is not None:
        report_without_qt(problem)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app = create_application()

    from PySide6.QtCore import QTimer

    from gui.controllers.app import AppController, StartupRequest
    from gui.views.main_window import MainWindow
    from gui.views.qt_dialogs import QtDialogs

    dialogs = QtDialogs()
    controller = AppController(dialogs, device=args.device)
    window = MainWindow(controller)
    dialogs.parent = window
    install_excepthook(dialogs)
    if args.compare is not None:
        window.set_compare(args.compare)
    app.aboutToQuit.connect(controller.shutdown)
    window.show()
    request = StartupRequest(
        project=args.project,
        source=args.source,
        driving=args.driving,
        checkpoint=args.checkpoint,
        random_weights=args.random_weights,
        demo=not args.no_demo,
        recover=not args.no_restore and not (args.report_visible or args.report_playing),
    )
    if args.report_visible:
        return _report_visible(app, window)
    if args.report_playing:
        _report_playing(app, controller)
    QTimer.singleShot(0, lambda: controller.startup(request))
    return app.exec()
