"""What the user chose, as plain values: which photo, which driving, which model.

These are what a project file stores; the loaded objects (photo pixels, analyses, networks) live in
`SceneModel` and `ModelState` and are rebuilt from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.faces.anchor import FaceAnchor
from core.project_file import BUILTIN_PERFORMANCE, DEMO_SOURCE, KEYS_DRIVING

__all__ = ["BUILTIN_PERFORMANCE", "DEMO_SOURCE", "KEYS_DRIVING", "DrivingSpec", "ModelChoice", "SourceSpec"]


@dataclass(frozen=True)
class SourceSpec:
    """The portrait: a file, or the built-in demo portrait; `face_index` 0 is the largest face."""

    location: str  # a file path, or DEMO_SOURCE
    face_index: int = 0

    @property
    def is_demo(self) -> bool:
        return self.location == DEMO_SOURCE

    @property
    def path(self) -> Path | None:
        return None if self.is_demo else Path(self.location)

    @property
    def display_name(self) -> str:
        return "Astronaut (demo portrait)" if self.is_demo else Path(self.location).name


@dataclass(frozen=True)
class DrivingSpec:
    """The motion: a video file, a folder of numbered frames (played at ``fps``), a performance file, the
    built-in performance, or keys alone (`keys`: ``frames`` frames at ``fps`` that only the keys move).

    A video's driving face is the ``face_index``-th largest, or, with `anchor`, the face the user clicked
    on a frame (``face_index`` then holds its rank there, for an app that does not know anchors)."""

    location: str  # a file path, a folder of frames, BUILTIN_PERFORMANCE or KEYS_DRIVING
    face_index: int = 0
    fps: float | None = None  # the rate of a folder of numbered frames (None: 25) or of keys; videos have their own
    frames: int | None = None  # keys alone: the timeline's length
    anchor: FaceAnchor | None = None  # a video's face chosen by its place on a frame (a click)

    @classmethod
    def keys(cls, frames: int, fps: float = 25.0) -> DrivingSpec:
        """A timeline of `frames` frames with no video: the keys alone move the portrait."""
        return cls(KEYS_DRIVING, 0, float(fps), int(frames))

    @property
    def is_builtin(self) -> bool:
        return self.location == BUILTIN_PERFORMANCE

    @property
    def is_keys(self) -> bool:
        return self.location == KEYS_DRIVING

    @property
    def path(self) -> Path | None:
        return None if self.is_builtin or self.is_keys else Path(self.location)

    @property
    def kind(self) -> Literal["video", "performance"]:
        if self.is_builtin or self.is_keys:
            return "performance"
        from core.faces.performance import is_performance_file

        name = self.location.lower()
        return "performance" if (is_performance_file(self.location) or name.endswith(".json")) else "video"

    @property
    def display_name(self) -> str:
        if self.is_keys:
            return f"Keys alone ({self.frames} frames)"
        return "Built-in performance" if self.is_builtin else Path(self.location).name


ModelKind = Literal["none", "demo", "file", "random"]


@dataclass(frozen=True)
class ModelChoice:
    """Which network renders: none, the bundled demo checkpoint, a checkpoint file, or (explicitly,
    for testing the app only) an untrained network with random weights."""

    kind: ModelKind = "none"
    path: Path | None = None
    resolution: int = 256  # for "random" only

    @classmethod
    def none(cls) -> ModelChoice:
        return cls("none")

    @classmethod
    def demo(cls) -> ModelChoice:
        return cls("demo")

    @classmethod
    def file(cls, path: str | Path) -> ModelChoice:
        return cls("file", Path(path))

    @classmethod
    def random(cls, resolution: int = 256) -> ModelChoice:
        return cls("random", None, resolution)

    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind}
        if self.path is not None:
            out["path"] = str(self.path)
        if self.kind == "random":
            out["resolution"] = self.resolution
        return out
