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
from collections.abc import Callable

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


# -- the X11 (xcb) platform's libraries: a clear message instead of Qt's abort ----------------------

#: The shared libraries Qt's xcb platform plugin loads (libqxcb.so and libQt6XcbQpa), with the
#: Debian/Ubuntu package of each. Qt aborts with "could not load the Qt platform plugin xcb" when one
#: is missing; libxcb-cursor0 is the one most often missing on a fresh install.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}


def _qt_platform_plugins() -> set[str] | None:
    """Names of the platform plugins PySide6 ships here ("xcb", "wayland", ...); None if unknown."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    names = set()
    for location in spec.submodule_search_locations:
        for plugin in (Path(location) / "Qt" / "plugins" / "platforms").glob("libq*.so"):
            names.add(plugin.name[len("libq") : -len(".so")])
    return names or None


def qt_platform_is_xcb(
    environ: dict[str, str] | None = None, platform: str | None = None, plugins: set[str] | None = None
) -> bool:
    """Whether Qt will open its window through xcb (X11): Linux, QT_QPA_PLATFORM unset or xcb, DISPLAY
    set, and not a Wayland session that Qt would use first (when this PySide6 has the wayland plugin).
    `plugins` defaults to the platform plugins found in PySide6."""
    import sys

    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return requested.split(";")[0].split(":")[0].strip() == "xcb"
    if not env.get("DISPLAY"):
        return False
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        available = _qt_platform_plugins() if plugins is None else plugins
        return available is not None and "wayland" not in available
    return True


def _dlopen(soname: str) -> None:
    """Load a shared library by name, as the dynamic linker would for Qt (OSError when it cannot)."""
    import ctypes

    ctypes.CDLL(soname)


def missing_xcb_libraries(load: Callable[[str], object] = _dlopen) -> list[str]:
    """The libraries of `XCB_LIBRARIES` that cannot be loaded here (`load` raises OSError for those)."""
    missing = []
    for soname in XCB_LIBRARIES:
        try:
            load(soname)
        except OSError:
            missing.append(soname)
    return missing


def xcb_install_hint(missing: list[str]) -> str:
    """What to tell a person whose system lacks the xcb libraries in `missing`."""
    packages = sorted({XCB_LIBRARIES[name] for name in missing if name in XCB_LIBRARIES})
    return (
        "Reenact Studio cannot open its window: Qt's X11 (xcb) platform needs libraries that are not "
        f"installed: {', '.join(missing)}.\n"
        f"On Debian or Ubuntu install them with:\n\n    sudo apt install {' '.join(packages)}\n\n"
        "On other distributions install the packages that provide these files, then start the app again."
    )


NO_DISPLAY_MESSAGE = (
    "Reenact Studio's window needs a graphical session, and none was found (neither DISPLAY nor "
    "WAYLAND_DISPLAY is set, e.g. over ssh): start it on the desktop, or use ssh -X; the command-line "
    "tools work without one (python main.py --help)"
)


def qt_platform_problem(
    environ: dict[str, str] | None = None, load: Callable[[str], object] = _dlopen
) -> str | None:
    """The message to show instead of Qt's abort when there is no display at all (Linux, no
    QT_QPA_PLATFORM chosen) or the xcb platform's libraries are missing; None when the window can open
    (or the platform is not xcb: offscreen, wayland, Windows, macOS)."""
    import sys

    env = os.environ if environ is None else environ
    if sys.platform.startswith("linux") and not any(
        env.get(name, "").strip() for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    ):
        return NO_DISPLAY_MESSAGE
    if not qt_platform_is_xcb(environ):
        return None
    missing = missing_xcb_libraries(load)
    return xcb_install_hint(missing) if missing else None


def report_without_qt(message: str) -> None:
    """Print `message` on stderr; when there is no terminal to read it (started from the desktop's
    menu), also show it with the desktop's own dialog tool, if one is installed."""
    import shutil
    import subprocess
    import sys

    if sys.stderr is not None:
        sys.stderr.write(message + "\n")
        if sys.stderr.isatty():
            return
    for tool, args in (
        ("zenity", ["--error", "--no-markup", "--title", "Reenact Studio", "--text", message]),
        ("kdialog", ["--title", "Reenact Studio", "--error", message]),
        ("xmessage", ["-center", message]),
    ):
        path = shutil.which(tool)
        if path is not None:
            subprocess.Popen([path, *args], start_new_session=True)
            return
