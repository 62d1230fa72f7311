"""Keep OpenCV from breaking Qt: opencv-python sets QT_QPA_PLATFORM_PLUGIN_PATH (its own Qt 5 xcb
plugin) and QT_QPA_FONTDIR (a folder it does not ship) when `cv2` is imported. If `cv2` was imported
before the QApplication exists, PySide6 then loads the wrong platform plugin ("could not load the Qt
platform plugin xcb") or finds no fonts.

`sanitize_qt_environment` removes those variables when they point into cv2's package; the app calls
it just before creating the QApplication, and `lock_in_fonts` right after, so that a later
`import cv2` in a worker (the core imports it lazily) can no longer change anything: the platform
plugin is loaded and the font database populated by then.
"""

from __future__ import annotations

import os

QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR", "QT_PLUGIN_PATH")


def _points_into_cv2(value: str) -> bool:
    return "cv2" in os.path.normpath(value).split(os.sep)


def sanitize_qt_environment(environ: dict[str, str] | None = None) -> list[str]:
    """Remove Qt variables that point into cv2's package; return the names removed."""
    env = os.environ if environ is None else environ
    removed = []
    for name in QT_VARIABLES:
        value = env.get(name)
        if value and any(_points_into_cv2(part) for part in value.split(os.pathsep) if part):
            del env[name]
            removed.append(name)
    return removed


def lock_in_fonts() -> int:
    """Populate Qt's font database now (it reads QT_QPA_FONTDIR once); returns the family count."""
    from PySide6.QtGui import QFontDatabase

    return len(QFontDatabase.families())
