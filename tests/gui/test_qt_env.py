"""Importing OpenCV (which points Qt at its own plugins and fonts) never breaks the app's Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gui.qt_env import sanitize_qt_environment

ROOT = Path(__file__).resolve().parents[2]


def test_variables_pointing_into_cv2_are_removed_and_others_kept():
    env = {
        "QT_QPA_PLATFORM_PLUGIN_PATH": "/venv/lib/python3.11/site-packages/cv2/qt/plugins",
        "QT_QPA_FONTDIR": "/venv/lib/python3.11/site-packages/cv2/qt/fonts",
        "QT_PLUGIN_PATH": "/opt/my-qt/plugins",
    }
    removed = sanitize_qt_environment(env)
    assert sorted(removed) == ["QT_QPA_FONTDIR", "QT_QPA_PLATFORM_PLUGIN_PATH"]
    assert env == {"QT_PLUGIN_PATH": "/opt/my-qt/plugins"}


def test_the_app_starts_after_cv2_was_imported_first():
    """In a fresh interpreter: import cv2 (setting its Qt variables), then build the app's window."""
    script = """
import os, sys
import cv2
print("cv2 set", bool(os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH")))
from gui.app import create_application
app = create_application()
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel
label = QLabel("Reenact Studio")
label.show()
app.processEvents()
print("platform", app.platformName())
print("fonts", len(QFontDatabase.families()) > 0)
print("left", [k for k in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR") if "cv2" in os.environ.get(k, "")])
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "cv2 set True" in lines  # the situation this guards against really happened
    assert "platform offscreen" in lines
    assert "fonts True" in lines
    assert "left []" in lines
