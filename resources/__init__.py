"""The one place that finds bundled resources, from a source checkout and from the frozen app alike."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding this package's files (inside PyInstaller's bundle when frozen)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource; it may not exist (callers say what is missing and why)."""
    return resources_dir().joinpath(*parts)


#: The bundled demo checkpoint (trained on the small real material available; see resources/README.md).
DEMO_CHECKPOINT = ("models", "demo.pt")


def default_checkpoint() -> Path | None:
    """The bundled demo checkpoint, or None when this build has none."""
    path = resource_path(*DEMO_CHECKPOINT)
    return path if path.is_file() else None
