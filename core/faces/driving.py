"""A driving sequence: one row of 68 landmarks per output frame, from a video's analysis or a performance.

The pipeline treats both alike. Landmarks are returned in a stable *canonical driving frame*: for a
video, the aligned crop (at the model's resolution) of the sequence's median face, one similarity for
the whole video, so the driver's head motion (translation, roll, scale) survives; for a performance,
the source crop itself (the performance is expanded on the source's own landmarks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from core.errors import NoFaceError
from core.progress import CancelToken, ProgressStream

if TYPE_CHECKING:
    from core.faces.anchor import FaceAnchor
    from core.faces.landmarks import LandmarkDetector


@dataclass
class DrivingSequence:
    kind: Literal["video", "performance"]
    name: str
    fps: float
    raw: np.ndarray  # (T, 68, 2) in the sequence's own pixels (video frame, or source crop)
    has_face: np.ndarray  # (T,) bool; frames without a face hold the last good landmarks
    frame_size: tuple[int, int]  # (w, h) of the sequence's own frame
    bad_frames: tuple[int, ...] = ()  # undecodable video frames: left out of exports
    video_path: Path | None = None
    timestamps: np.ndarray | None = None  # (T,) seconds; None: index / fps
    smoother: Callable[[float], np.ndarray] | None = None  # amount -> smoothed raw landmarks
    canonical: bool = False  # raw landmarks are already in the canonical frame (performances)
    params: np.ndarray | None = None  # (T, 8) a performance's face parameters (core.faces.performance)
    _cache: dict[tuple[float, int], np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not np.any(self.has_face):
            raise NoFaceError(f"no face found in any frame of {self.name}: choose a video where a face is visible")

    @property
    def frame_count(self) -> int:
        return len(self.raw)

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps

    def time_of(self, index: int) -> float:
        """Presentation time of a frame in seconds."""
        if self.timestamps is not None and 0 <= index < len(self.timestamps):
            return float(self.timestamps[index])
        return index / self.fps

    def landmarks(self, smoothing: float, size: int) -> np.ndarray:
        """(T, 68, 2) landmarks in the canonical driving frame for a model of resolution `size`."""
        key = (round(float(smoothing), 4), int(size))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        raw = self.smoother(smoothing) if (self.smoother is not None and smoothing > 0) else self.raw
        if self.canonical:
            out = np.asarray(raw, dtype=np.float32)
        else:
            from core.faces.align import align_face

            median = np.median(self.raw[self.has_face], axis=0)
            out = align_face(median, size).to_crop(raw.reshape(-1, 2)).reshape(raw.shape).astype(np.float32)
        self._cache[key] = out
        return out

    @classmethod
    def from_analysis(cls, analysis: object, path: str | Path) -> DrivingSequence:
        """Wrap a `core.faces.analysis.VideoAnalysis` of the video at `path`."""
        path = Path(path)
        return cls(
            kind="video",
            name=path.name,
            fps=float(analysis.fps),  # type: ignore[attr-defined]
            raw=np.asarray(analysis.landmarks_raw, dtype=np.float32),  # type: ignore[attr-defined]
            has_face=np.asarray(analysis.has_face, dtype=bool),  # type: ignore[attr-defined]
            frame_size=tuple(int(v) for v in analysis.frame_size),  # type: ignore[attr-defined]
            bad_frames=tuple(int(i) for i in getattr(analysis, "bad_frames", ())),
            video_path=path,
            timestamps=getattr(analysis, "timestamps", None),
            smoother=lambda amount: analysis.smoothed(amount),  # type: ignore[attr-defined]
        )

    @classmethod
    def from_performance(cls, performance: object, source_landmarks: np.ndarray, size: int) -> DrivingSequence:
        """Expand a `core.faces.performance.Performance` on the source's crop landmarks."""
        from core.faces.performance import landmarks_from_params

        params = performance.frame_params()  # type: ignore[attr-defined]
        raw = landmarks_from_params(source_landmarks, params).astype(np.float32)
        return cls(
            kind="performance",
            name=str(getattr(performance, "name", "performance")),
            fps=float(performance.fps),  # type: ignore[attr-defined]
            raw=raw,
            has_face=np.ones(len(raw), dtype=bool),
            frame_size=(size, size),
            canonical=True,
            params=params,
        )


def read_driving(
    path: str | Path,
    source_landmarks: np.ndarray,
    resolution: int,
    detector: LandmarkDetector,
    face_index: int = 0,
    fps: float | None = None,
    cancel: CancelToken | None = None,
    anchor: FaceAnchor | None = None,
) -> ProgressStream[DrivingSequence]:
    """A DrivingSequence from a video or a folder of numbered frames (analysed, cached on disk; yields
    the analysis's progress), a performance file, or ``builtin`` (the demo performance), the last two
    expanded on the source's crop landmarks. `InputError` when the path does not exist. A video's face is
    the `face_index`-th largest, or the one at `anchor` (a face chosen by its place on a frame)."""
    from core.errors import InputError
    from core.faces.performance import Performance, builtin_performance

    if str(path) == "builtin":
        return DrivingSequence.from_performance(builtin_performance(), source_landmarks, resolution)
    path = Path(path)
    if not path.exists():
        raise InputError(f"driving file {path} not found")
    if path.suffix.lower() == ".json":
        return DrivingSequence.from_performance(Performance.load(path), source_landmarks, resolution)
    from core.faces.analysis import analyze_video

    analysis = yield from analyze_video(path, detector, face_index, cancel=cancel, fps=fps, anchor=anchor)
    return DrivingSequence.from_analysis(analysis, path)
