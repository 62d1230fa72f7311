"""Project files: a small JSON document holding the source and driving, options (with the animator's
controls and keys), face choices, reference frame, model choice, playhead and in / out points. The format
is `core.project_file`'s, which `main.py render --project` reads too; here it maps to the app's specs.
Paths are stored absolute and relative to the project, so a project folder can move with its media.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RenderOptions
from core.project_file import (
    FORMAT,
    PROJECT_SUFFIX,
    VERSION,
    check_format,
    driving_rate,
    face_anchor,
    face_index,
    frame_or_none,
    keys_timeline,
    location_entry,
    project_options,
    read_project,
    resolve_location,
)
from gui.models.specs import BUILTIN_PERFORMANCE, DEMO_SOURCE, DrivingSpec, ModelChoice, SourceSpec

__all__ = ["FORMAT", "PROJECT_SUFFIX", "VERSION", "ProjectData"]


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
            "source": None if self.source is None else {**location_entry(self.source.location, base), "face_index": self.source.face_index},
            "driving": None if self.driving is None else _driving_dict(self.driving, base),
            "options": self.options.to_dict(),
            "model": _model_dict(self.model, base),
            "current_frame": self.current_frame,
            "in_point": self.in_point,
            "out_point": self.out_point,
        }

    @classmethod
    def from_dict(cls, data: Any, base: Path | None = None, name: str = "project") -> ProjectData:
        check_format(data, name)
        options = project_options(data, name)
        source = driving = None
        if data.get("source"):
            source = SourceSpec(resolve_location(data["source"], base, DEMO_SOURCE), face_index(data["source"], name))
        if data.get("driving"):
            driving = _driving_from(data["driving"], base, name)
        model = _model_from(data.get("model") or {}, base)
        frame = frame_or_none(data.get("current_frame")) or 0
        return cls(source, driving, options, model, frame, frame_or_none(data.get("in_point")),
                   frame_or_none(data.get("out_point")))

    # -- files ---------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        from core.atomic import write_text

        write_text(path, json.dumps(self.to_dict(path.parent), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> ProjectData:
        return cls.from_dict(read_project(path), path.parent, path.name)


def _driving_dict(spec: DrivingSpec, base: Path | None) -> dict[str, Any]:
    if spec.is_keys:
        return {"keys": {"frames": spec.frames, "fps": spec.fps or 25.0}}
    out: dict[str, Any] = {**location_entry(spec.location, base), "face_index": spec.face_index}
    if spec.fps is not None:
        out["fps"] = spec.fps  # a folder of numbered frames plays at the rate the user gave
    if spec.anchor is not None:
        out["face_anchor"] = spec.anchor.to_dict()  # the face clicked in the driving panel
    return out


def _driving_from(entry: Any, base: Path | None, name: str) -> DrivingSpec:
    timeline = keys_timeline(entry, name)
    if timeline is not None:
        return DrivingSpec.keys(timeline.frames, timeline.fps)
    return DrivingSpec(resolve_location(entry, base, BUILTIN_PERFORMANCE), face_index(entry, name),
                       driving_rate(entry, name), anchor=face_anchor(entry, name))


def _model_dict(model: ModelChoice, base: Path | None) -> dict[str, Any]:
    out = model.to_dict()
    if model.path is not None:
        out.update(location_entry(str(model.path), base))
    return out


def _model_from(entry: dict, base: Path | None) -> ModelChoice:
    kind = entry.get("kind", "none")
    if kind == "file":
        return ModelChoice.file(resolve_location(entry, base, ""))
    if kind == "random":
        resolution = entry.get("resolution", 256)
        return ModelChoice.random(resolution if isinstance(resolution, int) else 256)
    if kind == "demo":
        return ModelChoice.demo()
    return ModelChoice.none()
