"""Per-user folders (platformdirs): caches, data (autosave, runs), settings."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import OutputError

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
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(_unusable(kind, path, bool(override), err)) from err
    return path


def _unusable(kind: str, path: Path, chosen: bool, err: OSError) -> str:
    """Why the `kind` folder at `path` cannot be used, and what to do."""
    where = f"{_variable(kind)} points at {path}" if chosen else f"the {kind} folder {path}"
    fix = f"point {_variable(kind)} at a folder you can write to" if chosen else (
        f"set {_variable(kind)} to a folder you can write to"
    )
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{where}, but {blocker} is a file, not a folder: {fix}"
    return f"{where}, which cannot be created ({err.strerror or err}): {fix}"


def cache_dir() -> Path:
    """Disposable results (video analyses, proxies); override with REENACT_CACHE_DIR."""
    return _dir("cache")


def data_dir() -> Path:
    """User data that should survive (autosaves); override with REENACT_DATA_DIR."""
    return _dir("data")


def config_dir() -> Path:
    """Settings; override with REENACT_CONFIG_DIR."""
    return _dir("config")
