"""Per-user settings (recent files and projects, last checkpoint, window layout per workspace, viewer
and timeline choices) in the config folder.

A small JSON file in `core.paths.config_dir()` (platformdirs; REENACT_CONFIG_DIR overrides it),
written atomically. A damaged file is set aside and defaults are used: settings never stop the app.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

log = logging.getLogger(__name__)

SETTINGS_FILE = "gui-settings.json"
MAX_RECENT = 10


@dataclass
class AppSettings:
    recent_sources: list[str] = field(default_factory=list)
    recent_drivings: list[str] = field(default_factory=list)
    recent_projects: list[str] = field(default_factory=list)
    last_checkpoint: str | None = None
    window_geometry: str | None = None  # base64 of QMainWindow.saveGeometry()
    window_state: str | None = None  # base64 of QMainWindow.saveState() (docks, toolbars)
    show_landmarks: bool = False
    compare_mode: str = "result"  # the viewer: "result", "before" or "wipe"
    timeline_time_mode: str = "frames"  # "frames" or "timecode"
    workspace: str = "animate"  # "animate" or "train"
    workspace_states: dict = field(default_factory=dict)  # workspace -> base64 of saveState() for it
    last_folder: str | None = None
    export_quality: int = 80
    training_setup: dict = field(default_factory=dict)  # the training panel's fields (TrainingSetup)

    # -- recent lists ------------------------------------------------------------------------------------
    def remember(self, kind: str, path: str | Path) -> None:
        """Put `path` first in the recent list `kind` ("sources", "drivings", "projects")."""
        items: list[str] = getattr(self, f"recent_{kind}")
        text = str(path)
        if text in items:
            items.remove(text)
        items.insert(0, text)
        del items[MAX_RECENT:]
        self.last_folder = str(Path(text).parent)

    def forget(self, kind: str, path: str | Path) -> None:
        items: list[str] = getattr(self, f"recent_{kind}")
        if str(path) in items:
            items.remove(str(path))

    # -- file ------------------------------------------------------------------------------------------
    @staticmethod
    def default_path() -> Path:
        from core.paths import config_dir

        return config_dir() / SETTINGS_FILE

    @classmethod
    def load(cls, path: Path | None = None) -> AppSettings:
        path = path or cls.default_path()
        settings = cls()
        settings.path = path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as err:
            log.warning("settings %s unreadable (%s): using defaults", path, err)
            return settings
        if not isinstance(data, dict):
            return settings
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key in known and _same_kind(getattr(settings, key), value):
                setattr(settings, key, value)
        return settings

    def save(self, path: Path | None = None) -> None:
        from core.atomic import write_text
        from core.errors import OutputError

        path = path or getattr(self, "path", None) or self.default_path()
        try:
            write_text(path, json.dumps(asdict(self), indent=2) + "\n")
        except OutputError as err:
            log.warning("settings not saved: %s", err)


def _same_kind(default: object, value: object) -> bool:
    if default is None:
        return value is None or isinstance(value, str)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))
