"""What is loaded for the document: the source photo and its faces, the driving sequence, readiness.

Controllers fill it from worker results; views read it. `generation` increases whenever what the
engine renders from changes, so a render started before the change can be recognised and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    import numpy as np

    from core.faces.driving import DrivingSequence
    from core.faces.landmarks import Face
    from core.pipeline import SourceFace

SourceStatus = Literal["empty", "loading", "detected", "preparing", "ready", "error"]
DrivingStatus = Literal["empty", "loading", "analysing", "ready", "error"]


@dataclass(frozen=True)
class SourceCandidate:
    """A photo read and searched for faces (no model needed): enough to show it and pick a face."""

    name: str
    photo: np.ndarray  # (H, W, 3) uint8 RGB
    faces: tuple[Face, ...]  # largest first
    image: QImage  # the photo, ready to draw
    problem: str | None = None  # e.g. no face found: the core's message


@dataclass(frozen=True)
class DrivingInfo:
    """Facts about the driving material, known once analysed (videos) or loaded (performances)."""

    kind: Literal["video", "performance"]
    name: str
    frame_count: int
    fps: float
    frame_size: tuple[int, int]
    frames_with_face: int
    bad_frames: tuple[int, ...] = ()
    faces_in_video: int = 1  # most faces seen in sampled frames (for the face picker)
    path: Path | None = None
    no_face_frames: tuple[int, ...] = field(default=(), repr=False)

    def time_of(self, index: int) -> float:
        return index / self.fps if self.fps > 0 else 0.0

    @property
    def fps_text(self) -> str:
        """"23.976 fps", "25 fps"."""
        return f"{self.fps:.3f}".rstrip("0").rstrip(".") + " fps"


class SceneModel(QObject):
    sourceChanged = Signal()
    drivingChanged = Signal()
    readyChanged = Signal(bool)
    proxyChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source_status: SourceStatus = "empty"
        self.source_candidate: SourceCandidate | None = None
        self.source_face: SourceFace | None = None  # prepared in the engine
        self.source_message = ""
        self.driving_status: DrivingStatus = "empty"
        self.driving_info: DrivingInfo | None = None
        self.driving_progress = 0.0
        self.driving_message = ""
        self.driving_analysis: object | None = None  # core VideoAnalysis (videos)
        self.driving_performance: object | None = None  # core Performance (performances)
        self.driving: DrivingSequence | None = None  # applied to the engine
        self.proxy_path: Path | None = None
        self.generation = 0
        self._ready = False

    # -- source ----------------------------------------------------------------------------------------
    def set_source_status(self, status: SourceStatus, message: str = "") -> None:
        self.source_status, self.source_message = status, message
        if status in ("empty", "loading"):
            self.source_candidate = None
        if status != "ready":
            self.source_face = None
        self._changed_source()

    def set_source_candidate(self, candidate: SourceCandidate) -> None:
        self.source_candidate = candidate
        self.source_face = None
        self.source_status = "error" if candidate.problem else "detected"
        self.source_message = candidate.problem or ""
        self._changed_source()

    def set_source_face(self, face: SourceFace | None) -> None:
        self.source_face = face
        self.source_status = "ready" if face is not None else ("detected" if self.source_candidate else "empty")
        self.source_message = ""
        self._changed_source()

    def _changed_source(self) -> None:
        self.generation += 1
        self.sourceChanged.emit()
        self._update_ready()

    # -- driving ---------------------------------------------------------------------------------------
    def set_driving_status(self, status: DrivingStatus, message: str = "", progress: float = 0.0) -> None:
        """A new driving is being loaded ("loading", "analysing"), failed ("error") or was closed
        ("empty"): everything known about the previous one is cleared."""
        self.driving_status, self.driving_message, self.driving_progress = status, message, progress
        self.driving_info = None
        self.driving_analysis = None
        self.driving_performance = None
        self.driving = None
        self.generation += 1
        self.set_proxy(None)
        self.drivingChanged.emit()
        self._update_ready()

    def set_driving_progress(self, progress: float, message: str) -> None:
        self.driving_progress, self.driving_message = progress, message
        self.drivingChanged.emit()

    def set_driving_info(self, info: DrivingInfo, analysis: object | None, performance: object | None) -> None:
        self.driving_info = info
        self.driving_analysis = analysis
        self.driving_performance = performance
        self.driving_status = "ready"
        self.driving_message = ""
        self.driving_progress = 1.0
        self.drivingChanged.emit()

    def set_driving(self, sequence: DrivingSequence | None) -> None:
        """The sequence now applied to the engine (None: nothing applied)."""
        self.driving = sequence
        self.generation += 1
        self.drivingChanged.emit()
        self._update_ready()

    def set_proxy(self, path: Path | None) -> None:
        if path != self.proxy_path:
            self.proxy_path = path
            self.proxyChanged.emit()

    # -- readiness -------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """The engine holds a prepared source and a driving sequence: frames can be rendered."""
        return self._ready

    @property
    def frame_count(self) -> int:
        return self.driving_info.frame_count if self.driving_info else 0

    def invalidate(self) -> None:
        """What the engine holds changed (a new model): renders from before are stale."""
        self.generation += 1
        self._update_ready()

    def set_engine_lost(self) -> None:
        """The engine's network was replaced: the source must be prepared and the driving applied again."""
        self.source_face = None
        if self.source_candidate is not None and not self.source_candidate.problem:
            self.source_status = "detected"
        self.driving = None
        self.generation += 1
        self.sourceChanged.emit()
        self.drivingChanged.emit()
        self._update_ready()

    def _update_ready(self) -> None:
        ready = self.source_face is not None and self.driving is not None
        if ready != self._ready:
            self._ready = ready
            self.readyChanged.emit(ready)
