"""The packaging shell scripts and the smoke test's logic (the real build is too slow for pytest)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.helpers import PACKAGING, ROOT, load

smoke = load("smoke")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# -- CI: build the installer only when its inputs changed ------------------------------------------
def git(repo: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def commit(repo: Path, path: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(target.read_text() + "x\n" if target.exists() else "x\n")
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", f"change {path}")


def needs_build(repo: Path) -> bool:
    done = subprocess.run([str(PACKAGING / "ci-needs-build.sh"), str(repo)], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr.startswith("installer: ")
    return done.returncode == 0


@needs_git
def test_ci_builds_the_installer_only_when_its_inputs_changed(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    commit(tmp_path, "README.md")
    assert needs_build(tmp_path), "a single commit: everything is new"
    commit(tmp_path, "core/pipeline.py")
    assert not needs_build(tmp_path)
    for path in ("packaging/build.sh", "pyproject.toml", "resources/models/demo.pt"):
        commit(tmp_path, path)
        assert needs_build(tmp_path), path
    commit(tmp_path, "README.md")
    assert not needs_build(tmp_path)


def test_ci_keeps_the_test_command_and_then_builds_when_needed() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    test_command = (
        "python3 -m venv .venv && .venv/bin/pip install -q torch==2.13.0 && .venv/bin/pip install -q -e '.[dev]' "
        "&& QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q"
    )
    assert test_command in script
    assert script.index(test_command) < script.index("packaging/ci-needs-build.sh")
    assert "packaging/build.sh --smoke" in script


# -- build.sh ----------------------------------------------------------------------------------------
def test_build_script_explains_itself_and_rejects_unknown_options() -> None:
    build = PACKAGING / "build.sh"
    subprocess.run(["bash", "-n", str(build)], check=True)
    shown = subprocess.run([str(build), "--help"], capture_output=True, text=True, check=True)
    assert "--smoke" in shown.stdout and "--require-demo" in shown.stdout
    bad = subprocess.run([str(build), "--fast"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "unknown option --fast" in bad.stderr


def test_build_script_uses_a_clean_environment_outside_the_checkout() -> None:
    text = (PACKAGING / "build.sh").read_text()
    assert "torch==2.13.0" in text
    assert text.index("torch==2.13.0") < text.index('install -q "$src[packaging]"')  # CPU torch first
    assert "install -e" not in text and "--editable" not in text  # the installed package, not the checkout
    assert "work=$root/build/packaging" in text


@needs_git
def test_build_outputs_are_ignored_by_git() -> None:
    if subprocess.run(["git", "rev-parse"], cwd=ROOT, capture_output=True, check=False).returncode != 0:
        pytest.skip("not a git checkout")
    for path in ("build/packaging/venv", "dist/ReenactStudio-0.1.0-linux-x86_64.tar.gz"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0, path


# -- the desktop entry -------------------------------------------------------------------------------
def read_desktop(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_the_desktop_entry_starts_the_executable_with_its_icon() -> None:
    entry = read_desktop(PACKAGING / "reenact-studio.desktop")
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Exec"] == "reenact-studio" == load("buildtools").EXECUTABLE
    assert entry["Icon"] == "reenact-studio"
    icon = ROOT / "resources" / "icons" / "reenact-studio.png"
    header = icon.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == int.from_bytes(header[20:24], "big") == 256
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(PACKAGING / "reenact-studio.desktop")], check=True)


def test_installing_the_menu_entry_points_it_at_the_unpacked_folder(tmp_path: Path) -> None:
    app = tmp_path / "Reenact Studio 0.1"
    app.mkdir()
    for name in ("install-desktop-entry.sh", "reenact-studio.desktop"):
        shutil.copy(PACKAGING / name, app)
    shutil.copy(ROOT / "resources" / "icons" / "reenact-studio.png", app)
    (app / "reenact-studio").write_text("#!/bin/sh\n")
    (app / "reenact-studio").chmod(0o755)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    subprocess.run([str(app / "install-desktop-entry.sh")], check=True, env=env, capture_output=True)
    entry = tmp_path / "data" / "applications" / "reenact-studio.desktop"
    values = read_desktop(entry)
    assert values["Exec"] == f'"{app}/reenact-studio"'
    assert values["TryExec"] == f"{app}/reenact-studio"
    assert (tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "reenact-studio.png").is_file()
    subprocess.run([str(app / "install-desktop-entry.sh"), "--remove"], check=True, env=env, capture_output=True)
    assert not entry.exists()


# -- the smoke test's logic --------------------------------------------------------------------------
def test_the_smoke_test_reads_the_last_json_line() -> None:
    assert smoke.parse_last_json('progress\n{"ok": true, "frames": 4}\n\n') == {"ok": True, "frames": 4}
    assert smoke.parse_last_json("no json here") is None
    assert smoke.parse_last_json("") is None


def test_the_smoke_test_recognises_helpers_and_tracebacks() -> None:
    assert smoke.is_helper(["/app/reenact-studio", "--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"])
    assert smoke.is_helper(["/app/reenact-studio", "-B", "-s", "-c", "from multiprocessing.resource_tracker import main;main(5)"])
    assert not smoke.is_helper(["/app/reenact-studio", "--no-restore"])
    assert smoke.has_traceback("x\nTraceback (most recent call last):\n  File ...")


def test_the_smoke_test_finds_child_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in smoke.children(os.getpid())
        assert not smoke.has_qt_platform(child.pid)
    finally:
        child.kill()
        child.wait()
