"""Start the desktop app: `python main.py` (no sub-command) calls `run_app`.

The window appears first (Qt and the light parts of the core only); torch, the model and the face
backends load afterwards in workers, with the "loading model" state visible.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
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


#: What a session in a temporary folder means for what the app keeps in each per-user folder.
_FOLDER_USES = {
    "config": "settings are not remembered after you quit",
    "data": "the autosave and training runs are kept there: copy out any run you want to keep",
    "cache": "video analyses are made again next time",
}


def usable_user_folders(dialogs: DialogView) -> str | None:
    """Make the settings, data and cache folders usable before anything reads them: one that cannot be
    used (REENACT_CONFIG_DIR or REENACT_DATA_DIR pointing at a file, a read-only home) is replaced, for
    this session and the processes it starts, by one in a temporary folder. Returns what to tell the
    user once the window shows ("" when all were fine), or None after an error dialog when not even a
    temporary folder can be made (the app cannot start)."""
    from core import paths
    from core.errors import OutputError

    notes: list[str] = []
    session: Path | None = None
    for kind, use in _FOLDER_USES.items():
        folder = getattr(paths, f"{kind}_dir")
        try:
            folder()
            continue
        except OutputError as err:
            problem = str(err)
        try:
            session = session or Path(tempfile.mkdtemp(prefix="reenact-studio-"))
            os.environ[f"REENACT_{kind.upper()}_DIR"] = str(session / kind)
            replacement = folder()
        except (OSError, OutputError) as err:
            dialogs.show_error("Reenact Studio cannot start", f"{problem}. No temporary folder could stand in "
                               f"for it either ({getattr(err, 'strerror', None) or err}).")
            return None
        notes.append(f"{problem}. For this session the app uses {replacement} instead: {use}.")
        log.warning("%s", notes[-1])
    return "\n\n".join(notes)


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
    folder_notes = usable_user_folders(dialogs)  # before the settings and the autosave are read
    if folder_notes is None:
        return 1
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
    if folder_notes:
        QTimer.singleShot(0, lambda: dialogs.show_error("A folder of the app cannot be used", folder_notes))
    QTimer.singleShot(0, lambda: controller.startup(request))
    return app.exec()
