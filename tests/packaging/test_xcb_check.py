"""Missing X11 (xcb) libraries: the app names the Debian/Ubuntu packages instead of Qt's bare abort."""

from __future__ import annotations

import sys

import pytest

from gui import qt_env

DESKTOP = {"DISPLAY": ":0"}


def loader_missing(*missing: str):
    """A stand-in for dlopen that fails for the libraries in `missing` (and records every call)."""
    calls = []

    def load(soname: str) -> None:
        calls.append(soname)
        if soname in missing:
            raise OSError(f"{soname}: cannot open shared object file: No such file or directory")

    load.calls = calls
    return load


@pytest.mark.parametrize(
    ("environ", "plugins", "expected"),
    [
        ({"DISPLAY": ":0"}, None, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, None, False),
        ({"QT_QPA_PLATFORM": "xcb"}, None, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, None, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, None, False),
        ({}, None, False),  # no display at all: not a missing-library problem
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, {"wayland", "xcb"}, False),
        # this PySide6 has no wayland plugin (the frozen app): Qt falls back to xcb through XWayland
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, {"xcb", "offscreen"}, True),
    ],
)
def test_the_check_applies_only_when_qt_will_use_xcb(environ: dict, plugins: set | None, expected: bool) -> None:
    assert qt_env.qt_platform_is_xcb(environ, platform="linux", plugins=plugins) is expected


def test_no_check_on_windows_or_macos() -> None:
    assert not qt_env.qt_platform_is_xcb(DESKTOP, platform="win32")
    assert not qt_env.qt_platform_is_xcb(DESKTOP, platform="darwin")


def test_missing_libraries_are_found_by_trying_to_load_each() -> None:
    load = loader_missing("libxcb-cursor.so.0", "libxkbcommon-x11.so.0")
    assert qt_env.missing_xcb_libraries(load) == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
    assert load.calls == list(qt_env.XCB_LIBRARIES)


def test_the_message_names_the_packages_to_install() -> None:
    message = qt_env.qt_platform_problem(
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, load=loader_missing("libxcb-cursor.so.0", "libxcb-icccm.so.4")
    )
    assert message is not None
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in message
    assert "libxcb-cursor.so.0" in message


def test_nothing_to_say_when_every_library_loads_or_the_platform_is_not_xcb() -> None:
    assert qt_env.qt_platform_problem({"QT_QPA_PLATFORM": "xcb"}, load=loader_missing()) is None
    assert qt_env.qt_platform_problem({"QT_QPA_PLATFORM": "offscreen"}, load=loader_missing("libxcb.so.1")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is Linux's")
def test_without_any_display_the_app_says_so_instead_of_qt_aborting() -> None:
    assert qt_env.qt_platform_problem({}, load=loader_missing()) == qt_env.NO_DISPLAY_MESSAGE
    assert qt_env.qt_platform_problem({"WAYLAND_DISPLAY": "wayland-0"}, load=loader_missing()) is None
    assert qt_env.qt_platform_problem({"QT_QPA_PLATFORM": "offscreen"}, load=loader_missing()) is None


def test_every_library_has_a_debian_package() -> None:
    for soname, package in qt_env.XCB_LIBRARIES.items():
        assert soname.startswith("lib") and ".so." in soname
        assert package and " " not in package


def test_the_app_stops_with_the_message_before_qt_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    from gui import app

    told = []
    monkeypatch.setattr(qt_env, "qt_platform_problem", lambda: "install libxcb-cursor0")
    monkeypatch.setattr(qt_env, "report_without_qt", told.append)
    monkeypatch.setattr(app, "create_application", lambda *a: pytest.fail("Qt must not start"))
    assert app.run_app(["--no-demo"]) == 1
    assert told == ["install libxcb-cursor0"]


def test_without_a_terminal_the_desktop_dialog_tool_shows_it(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import shutil
    import subprocess

    started = []
    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}" if tool == "kdialog" else None)
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: started.append(args))
    qt_env.report_without_qt("libraries are missing")
    assert "libraries are missing" in capsys.readouterr().err
    assert started == [["/usr/bin/kdialog", "--title", "Reenact Studio", "--error", "libraries are missing"]]
