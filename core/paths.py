"""Per-user folders (platformdirs): caches, data (autosave, runs), settings."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "reenact-studio"
APP_AUTHOR = "ReenactStudio"


def _dir(kind: str) -> Path:
    override = os.environ.get(f"REENACT_{kind.upper()}_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs

        getter = getattr(platformdirs, f"user_{kind}_dir")
        path = Path(getter(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Disposable results (video analyses, proxies); override with REENACT_CACHE_DIR."""
    return _dir("cache")


def data_dir() -> Path:
    """User data that should survive (autosaves); override with REENACT_DATA_DIR."""
    return _dir("data")


def config_dir() -> Path:
    """Settings; override with REENACT_CONFIG_DIR."""
    return _dir("config")
