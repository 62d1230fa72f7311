"""The project file (``.reenact``): its format, read and written the same way by the app and by
`main.py render --project`, so a project renders headless exactly as the app shows it.

A project is a small JSON object::

    {"format": "reenact-studio-project", "version": 2,
     "source":  {"path": "/abs/photo.jpg", "relative": "photo.jpg", "face_index": 0}   or {"builtin": "demo:astronaut"},
     "driving": {"path": ..., "relative": ..., "face_index": 0, "fps": 25,           (a video, frames, a performance)
                 "face_anchor": {"frame": 80, "box": [x0, y0, x1, y1]}}          (optional: the face clicked)
                or {"builtin": "builtin:performance"}
                or {"keys": {"frames": 150, "fps": 25}}                                   (keys alone, no video),
     "options": RenderOptions.to_dict(): the controls' non-default values and the keys,
     "model": {"kind": "demo" | "file" | "random" | "none", ...},
     "current_frame": 0, "in_point": null, "out_point": null}

Paths are stored absolute and relative to the project, so a project folder can move with its media.
Version 1 projects (no controls, no keys) still open; a newer version is refused with a message.
A driving's ``face_anchor`` (a face of a video chosen by its place on a frame: `core.faces.anchor`) is
optional: projects without it follow the ``face_index``-th largest face, and an app that predates it
ignores it and follows ``face_index`` (the anchored face's rank on its frame when it was chosen).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RenderOptions
from core.errors import ConfigError, InputError
from core.faces.anchor import FaceAnchor

FORMAT = "reenact-studio-project"
VERSION = 2
PROJECT_SUFFIX = ".reenact"
#: Largest project file read (a project with thousands of keys is a few hundred KB).
MAX_PROJECT_BYTES = 32 * 2**20

#: Source or driving "locations" that name built-in material instead of a file.
DEMO_SOURCE = "demo:astronaut"
BUILTIN_PERFORMANCE = "builtin:performance"
#: The driving of a project animated by keys alone.
KEYS_DRIVING = "keys:"


@dataclass(frozen=True)
class KeysTimeline:
    """A driving without a video: `frames` frames at `fps` on which the keys alone move the face."""

    frames: int
    fps: float = 25.0

    def __post_init__(self) -> None:
        if isinstance(self.frames, bool) or not isinstance(self.frames, int) or not 1 <= self.frames <= 1_000_000:
            raise ConfigError(f"a keys timeline needs 1 to 1000000 frames, got {self.frames!r}")
        if isinstance(self.fps, bool) or not isinstance(self.fps, int | float) or not 0 < self.fps <= 1000:
            raise ConfigError(f"a keys timeline's fps must be above 0 and at most 1000, got {self.fps!r}")
        object.__setattr__(self, "fps", float(self.fps))

    def to_dict(self) -> dict[str, Any]:
        return {"keys": {"frames": self.frames, "fps": self.fps}}


def read_project(path: str | Path) -> dict[str, Any]:
    """The JSON object of the project file at `path`, its format and version checked (`InputError`
    with a message naming the file otherwise)."""
    from core.safety import read_json_file

    path = Path(path)
    data = read_json_file(path, "project", MAX_PROJECT_BYTES)
    check_format(data, path.name)
    return data


def check_format(data: Any, name: str = "project") -> None:
    """`InputError` unless `data` is a project this version can open."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{name} is not a Reenact Studio project")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version > VERSION:
        raise InputError(f"{name} was saved by a newer Reenact Studio (project version {version})")


def project_options(data: dict[str, Any], name: str = "project") -> RenderOptions:
    """The render options of a project (controls and keys included); `InputError` naming what is wrong."""
    try:
        return RenderOptions.from_dict(data.get("options") or {})
    except ConfigError as err:
        raise InputError(f"{name}: {err}") from err


def location_entry(location: str, base: Path | None) -> dict[str, str]:
    """``{"builtin": ...}``, or ``{"path": absolute, "relative": to the project folder}``."""
    if location in (DEMO_SOURCE, BUILTIN_PERFORMANCE):
        return {"builtin": location}
    path = Path(location).resolve()
    out = {"path": str(path)}
    if base is not None:
        with contextlib.suppress(ValueError):  # another drive on Windows: absolute path only
            out["relative"] = os.path.relpath(path, base.resolve())
    return out


def resolve_location(entry: Any, base: Path | None, builtin: str) -> str:
    """The file an entry names: its relative path when that exists beside the project, else its
    absolute path; `builtin` for the built-in material."""
    if not isinstance(entry, dict):
        raise InputError("project entry must be an object with a path")
    if entry.get("builtin") == builtin:
        return builtin
    relative = entry.get("relative")
    if isinstance(relative, str) and base is not None:
        candidate = (base / relative).resolve()
        if candidate.exists():
            return str(candidate)
    path = entry.get("path")
    if not isinstance(path, str):
        raise InputError("project entry has no path")
    return path


def keys_timeline(entry: Any, name: str = "project") -> KeysTimeline | None:
    """The keys timeline of a driving entry ``{"keys": {"frames": N, "fps": F}}``; None for other drivings."""
    if not isinstance(entry, dict) or "keys" not in entry:
        return None
    keys = entry["keys"]
    if not isinstance(keys, dict) or "frames" not in keys:
        raise InputError(f"{name}: a keys driving needs {{'frames': N, 'fps': F}}")
    try:
        return KeysTimeline(keys["frames"], keys.get("fps", 25.0))
    except ConfigError as err:
        raise InputError(f"{name}: {err}") from err


def face_index(entry: dict, name: str = "project") -> int:
    value = entry.get("face_index", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name}: face_index must be 0 or more")
    return value


def frame_or_none(value: Any) -> int | None:
    """A frame number from a project file (anything else, as from an older or edited file: None)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def face_anchor(entry: dict, name: str = "project") -> FaceAnchor | None:
    """The driving's face chosen by its place (``face_anchor``), or None (the ``face_index``-th face)."""
    value = entry.get("face_anchor")
    if value is None:
        return None
    try:
        return FaceAnchor.from_dict(value)
    except ConfigError as err:
        raise InputError(f"{name}: the driving's face_anchor: {err}") from err


def driving_rate(entry: dict, name: str = "project") -> float | None:
    """The frame rate a project gives a folder of numbered driving frames (None: not given)."""
    value = entry.get("fps")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
        raise InputError(f"{name}: the driving frames' fps must be a number above 0 and at most 1000")
    return float(value)
