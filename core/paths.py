"""Per-user folders (platformdirs): caches, data (autosave, runs), settings."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "reenact-studio"
APP_AUTHOR = "ReenactStudio"


USER_FOLDERS = ("cache", "data", "config")


def _variable(kind: str) -> str:
    return f"REENACT_{kind.upper()}_DIR"


def redirect_user_folders(root: str | Path, keep_chosen: bool = False) -> Path:
    """Point caches, data and settings at ROOT/cache, ROOT/data and ROOT/config (this process and the
    processes it starts), so that tests, benchmarks and scenes never touch the user's own folders.
    `keep_chosen` leaves a folder the caller already chose by its variable."""
    root = Path(root)
    for kind in USER_FOLDERS:
        if not (keep_chosen and os.environ.get(_variable(kind))):
            os.environ[_variable(kind)] = str(root / kind)
    return root


def _dir(kind: str) -> Path:
    override = os.environ.get(_variable(kind))
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
