"""Project files: a small JSON document holding the source and driving, options, face choices,
reference frame, model choice, playhead and in / out points. Paths are stored absolute and relative to the project,
so a project folder can move with its media.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RenderOptions
from core.errors import ConfigError, InputError
from gui.models.specs import BUILTIN_PERFORMANCE, DEMO_SOURCE, DrivingSpec, ModelChoice, SourceSpec

FORMAT = "reenact-studio-project"
VERSION = 1
PROJECT_SUFFIX = ".reenact"


@dataclass(frozen=True)
class ProjectData:
    source: SourceSpec | None
    driving: DrivingSpec | None
    options: RenderOptions
    model: ModelChoice
    current_frame: int = 0
    in_point: int | None = None
    out_point: int | None = None

    # -- to and from plain data --------------------------------------------------------------------------
    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": None if self.source is None else {**_location(self.source.location, base), "face_index": self.source.face_index},
            "driving": None if self.driving is None else _driving_dict(self.driving, base),
            "options": self.options.to_dict(),
            "model": _model_dict(self.model, base),
            "current_frame": self.current_frame,
            "in_point": self.in_point,
            "out_point": self.out_point,
        }

    @classmethod
    def from_dict(cls, data: Any, base: Path | None = None, name: str = "project") -> ProjectData:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{name} is not a Reenact Studio project")
        if not isinstance(data.get("version"), int) or data["version"] > VERSION:
            raise InputError(f"{name} was saved by a newer Reenact Studio (project version {data.get('version')})")
        try:
            options = RenderOptions.from_dict(data.get("options") or {})
        except ConfigError as err:
            raise InputError(f"{name}: {err}") from err
        source = driving = None
        if data.get("source"):
            source = SourceSpec(_resolve(data["source"], base, DEMO_SOURCE), _index(data["source"], name))
        if data.get("driving"):
            driving = DrivingSpec(
                _resolve(data["driving"], base, BUILTIN_PERFORMANCE), _index(data["driving"], name),
                _rate(data["driving"], name),
            )
        model = _model_from(data.get("model") or {}, base)
        frame = _frame_or_none(data.get("current_frame")) or 0
        return cls(source, driving, options, model, frame, _frame_or_none(data.get("in_point")),
                   _frame_or_none(data.get("out_point")))

    # -- files ---------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        from core.atomic import write_text

        write_text(path, json.dumps(self.to_dict(path.parent), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> ProjectData:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read project {path.name}: {getattr(err, 'strerror', None) or err}") from err
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path.name} is not a valid project file (line {err.lineno}: {err.msg})") from err
        return cls.from_dict(data, path.parent, path.name)


def _location(location: str, base: Path | None) -> dict[str, str]:
    if location in (DEMO_SOURCE, BUILTIN_PERFORMANCE):
        return {"builtin": location}
    path = Path(location).resolve()
    out = {"path": str(path)}
    if base is not None:
        with contextlib.suppress(ValueError):  # another drive on Windows: absolute path only
            out["relative"] = os.path.relpath(path, base.resolve())
    return out


def _resolve(entry: Any, base: Path | None, builtin: str) -> str:
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


def _frame_or_none(value: Any) -> int | None:
    """A frame number from a project file (anything else, as from an older or edited file: None)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _driving_dict(spec: DrivingSpec, base: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {**_location(spec.location, base), "face_index": spec.face_index}
    if spec.fps is not None:
        out["fps"] = spec.fps  # a folder of numbered frames plays at the rate the user gave
    return out


def _rate(entry: dict, name: str) -> float | None:
    value = entry.get("fps")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
        raise InputError(f"{name}: the driving frames' fps must be a number above 0 and at most 1000")
    return float(value)


def _index(entry: dict, name: str) -> int:
    value = entry.get("face_index", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name}: face_index must be 0 or more")
    return value


def _model_dict(model: ModelChoice, base: Path | None) -> dict[str, Any]:
    out = model.to_dict()
    if model.path is not None:
        out.update(_location(str(model.path), base))
    return out


def _model_from(entry: dict, base: Path | None) -> ModelChoice:
    kind = entry.get("kind", "none")
    if kind == "file":
        return ModelChoice.file(_resolve(entry, base, ""))
    if kind == "random":
        resolution = entry.get("resolution", 256)
        return ModelChoice.random(resolution if isinstance(resolution, int) else 256)
    if kind == "demo":
        return ModelChoice.demo()
    return ModelChoice.none()
