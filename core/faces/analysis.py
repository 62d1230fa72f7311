"""Driving-video analysis: per-frame landmarks, face flags, boxes and head pose, cached on disk.

`analyze_video` streams the video once (never holding it in memory) through `core.video.VideoReader`,
so row ``i`` of the analysis is the reader's frame ``i`` (the one the GUI shows and exports render),
damaged frames are the reader's ``bad_frames``, and frame times are the reader's timestamps. It follows
one face with `FaceTracker` and returns a `VideoAnalysis`; frames without a face (or damaged ones) are
flagged and hold the last good landmarks, so every frame has landmarks to render with. The result is
cached under the video's content hash and the detection settings, so opening the same video again is
instant. Smoothing is applied on demand (`VideoAnalysis.smoothed`), after the cache.

Which face is followed: the `face_index`-th largest of the first frame that shows one, or, with a
`FaceAnchor` (frame, box: a face the user clicked), the face nearest that box on that frame, followed
forwards to the end and backwards to the start from there (the frames before it are read in chunks and
tracked in reverse). The anchor is part of the cache key.
"""

from __future__ import annotations

import json
import logging
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.atomic import atomic_path
from core.errors import InputError, NoFaceError, OutputError
from core.faces import analysis_cache
from core.faces.anchor import FaceAnchor
from core.faces.landmarks import (
    MIN_SEARCHED_FACE,
    LandmarkDetector,
    detect_faces,
    pick_face,
    searched_face_px,
)
from core.faces.pose import estimate_pose
from core.faces.smoothing import DEFAULT_AMOUNT, smooth_landmarks
from core.faces.tracking import FaceTracker, fill_gaps
from core.progress import CancelToken, Progress, ProgressStream
from core.video import FrameReader, check_video_input, open_reader, sequence_rate

log = logging.getLogger(__name__)

#: Bump when the analysis itself changes, so old cache entries are not reused.
#: 2: frames numbered by `core.video.VideoReader` (damaged files), per-frame timestamps stored.
#: 3: slow searches for small and turned faces, short gaps filled in (``filled``).
ANALYSIS_VERSION = 3
_FORMAT = "reenact-studio/face-analysis"
_ARRAYS = ("landmarks_raw", "has_face", "boxes", "angles", "scores", "bad_frames", "timestamps", "filled")
_PER_FRAME = ("has_face", "boxes", "angles", "scores", "timestamps", "filled")


@dataclass(frozen=True)
class VideoAnalysis:
    """Per-frame face data of a video (or a still, with one frame), in original-frame pixels.

    Row ``i`` is frame ``i`` of `core.video.VideoReader` on the same file. Frames without a face have
    ``has_face`` False and hold the last good landmarks (the first good ones before any face was
    seen). `bad_frames` are the reader's bad frames (damaged, or missing from the decoder's output);
    `dropped_frames` counts frames the container's header announced beyond those the file holds.
    `timestamps` are the frames' presentation times (variable frame rates included). `filled` marks
    frames the detector missed inside a short gap of the same face, whose landmarks and boxes were
    interpolated (`core.faces.tracking.fill_gaps`); they count as frames with a face.
    """

    landmarks_raw: np.ndarray  # (T, 68, 2) float32
    has_face: np.ndarray  # (T,) bool
    boxes: np.ndarray  # (T, 4) float32, x0 y0 x1 y1 (held like the landmarks)
    angles: np.ndarray  # (T, 3) float32: yaw, pitch, roll in degrees (see core.faces.pose)
    scores: np.ndarray  # (T,) float32: score of the detection the frame's track started from
    fps: float  # 0 for a still
    frame_size: tuple[int, int]  # (w, h) after rotation
    backend: str
    bad_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dropped_frames: int = 0
    source: str = ""
    timestamps: np.ndarray | None = None  # (T,) float64 seconds; None: frame index / fps
    filled: np.ndarray | None = None  # (T,) bool; None: no frame filled in

    def __post_init__(self) -> None:
        if self.filled is None:
            object.__setattr__(self, "filled", np.zeros(len(self.landmarks_raw), bool))
        if self.timestamps is None:
            rate = self.fps if self.fps > 0 else 1.0
            object.__setattr__(self, "timestamps", np.arange(len(self.landmarks_raw)) / rate)

    @property
    def frame_count(self) -> int:
        return len(self.landmarks_raw)

    @property
    def frames_with_face(self) -> int:
        return int(self.has_face.sum())

    def smoothed(self, amount: float = DEFAULT_AMOUNT, mode: str = "offline") -> np.ndarray:
        """(T, 68, 2) landmarks smoothed over time (`amount` 0 = raw; see `core.faces.smoothing`)."""
        return smooth_landmarks(self.landmarks_raw, self.fps, amount, mode, self.has_face)

    def summary(self) -> dict[str, object]:
        """Counts for reports and ``--json``."""
        return {
            "frames": self.frame_count,
            "frames_with_face": self.frames_with_face,
            "filled_frames": int(self.filled.sum()),
            "bad_frames": len(self.bad_frames),
            "dropped_frames": self.dropped_frames,
            "fps": self.fps,
            "width": self.frame_size[0],
            "height": self.frame_size[1],
            "backend": self.backend,
        }

    def save(self, path: str | Path, smoothing_amount: float | None = None) -> None:
        """Write an .npz (atomically). With `smoothing_amount`, a ``landmarks_smoothed`` array is added
        for other tools; `load` ignores it (smoothing is recomputed from the raw landmarks)."""
        meta = {
            "format": _FORMAT,
            "version": ANALYSIS_VERSION,
            "fps": self.fps,
            "frame_size": list(self.frame_size),
            "backend": self.backend,
            "dropped_frames": self.dropped_frames,
            "source": self.source,
        }
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        if smoothing_amount is not None:
            meta["smoothing_amount"] = smoothing_amount
            arrays["landmarks_smoothed"] = self.smoothed(smoothing_amount)
        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> VideoAnalysis:
        """Read a file written by `save`; `InputError` when it is not one (or is damaged)."""
        path = Path(path)
        problem = f"{path.name} is not a face analysis from this app, or it is damaged: run analyze again"
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != _FORMAT:
                    raise InputError(problem)
                if meta.get("version") != ANALYSIS_VERSION:
                    raise InputError(
                        f"{path.name} was written by another version of this app: run analyze again"
                    )
                arrays = {name: data[name] for name in _ARRAYS}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise InputError(problem) from err
        t = len(arrays["landmarks_raw"])
        if arrays["landmarks_raw"].shape != (t, 68, 2) or any(len(arrays[name]) != t for name in _PER_FRAME):
            raise InputError(problem)
        w, h = meta["frame_size"]
        return cls(
            landmarks_raw=arrays["landmarks_raw"].astype(np.float32),
            has_face=arrays["has_face"].astype(bool),
            boxes=arrays["boxes"].astype(np.float32),
            angles=arrays["angles"].astype(np.float32),
            scores=arrays["scores"].astype(np.float32),
            fps=float(meta["fps"]),
            frame_size=(int(w), int(h)),
            backend=str(meta["backend"]),
            bad_frames=arrays["bad_frames"].astype(np.int64),
            dropped_frames=int(meta.get("dropped_frames", 0)),
            source=str(meta.get("source", "")),
            timestamps=arrays["timestamps"].astype(np.float64),
            filled=arrays["filled"].astype(bool),
        )


@dataclass(frozen=True)
class TrackingSettings:
    """Tracking parameters that change results (part of the cache key); see `FaceTracker`."""

    redetect_every: int = 4
    detect_max_side: int = 480
    roi_face_px: int = 110
    grace_checks: int = 2
    min_face_px: int = MIN_SEARCHED_FACE  # the slow search enlarges frames for faces this small
    max_gap: int = 6  # frames without a face filled in between two of the same face

    def tracker(self, detector: LandmarkDetector, face_index: int, anchor: FaceAnchor | None = None) -> FaceTracker:
        """A `FaceTracker` with these settings (preferring the anchor's place when there is one)."""
        return FaceTracker(
            detector,
            face_index=face_index,
            redetect_every=self.redetect_every,
            detect_max_side=self.detect_max_side,
            roi_face_px=self.roi_face_px,
            grace_checks=self.grace_checks,
            min_face_px=self.min_face_px,
            prefer=None if anchor is None else anchor.box,
        )


#: Memory for the frames before an anchor, which are read forwards in chunks and tracked backwards.
BACKWARD_CHUNK_BYTES = 192 * 2**20


def cache_file_for(
    path: str | Path,
    detector: LandmarkDetector,
    face_index: int,
    settings: TrackingSettings,
    fps: float | None = None,
    anchor: FaceAnchor | None = None,
) -> Path:
    """Where the analysis of this video's content with these settings is (or would be) cached
    (``fps``: the rate of a folder of numbered frames, part of its analysis; ``anchor``: the face chosen
    by its place)."""
    rate = sequence_rate(path, fps)
    key = analysis_cache.cache_key(
        analysis_cache.content_hash(path),
        {"version": ANALYSIS_VERSION, "backend": detector.key, "face_index": face_index, **settings.__dict__}
        | ({} if rate is None else {"sequence_fps": rate})
        | ({} if anchor is None else {"anchor": anchor.to_dict()}),
    )
    return analysis_cache.cache_path(key)


def analyze_video(
    path: str | Path,
    detector: LandmarkDetector,
    face_index: int = 0,
    cancel: CancelToken | None = None,
    settings: TrackingSettings = TrackingSettings(),
    use_cache: bool = True,
    fps: float | None = None,
    anchor: FaceAnchor | None = None,
) -> ProgressStream[VideoAnalysis]:
    """Analyse a driving video (or a folder of numbered frames played at ``fps``, default 25) frame by
    frame; a progress stream whose result is the `VideoAnalysis`. With `anchor`, the face nearest its box
    on its frame is followed (forwards and backwards from there; an anchor past the end is taken on the
    last frame).

    Raises `InputError` for an unreadable video, `NoFaceError` when no frame has a face, `Cancelled`
    when `cancel` is set (checked every frame).
    """
    path = check_video_input(path)
    cached_file = cache_file_for(path, detector, face_index, settings, fps, anchor)
    if use_cache and cached_file.exists():
        try:
            cached = VideoAnalysis.load(cached_file)
        except InputError:
            analysis_cache.discard(cached_file)
        else:
            log.info("%s: analysis loaded from the cache", path.name)
            yield Progress(cached.frame_count, cached.frame_count, "from cache")
            return cached

    with open_reader(path, fps=fps) as reader:
        total = reader.frame_count
        rows = _Rows(total)
        gray = detector.wants_gray
        if anchor is None:
            tracker = settings.tracker(detector, face_index)
            trackers = [tracker]
            yield from rows.follow(reader.iter_decoded(gray=gray), tracker, cancel)
        else:
            start = min(anchor.frame, total - 1)
            forward, backward = settings.tracker(detector, face_index, anchor), settings.tracker(detector, face_index, anchor)
            trackers = [forward, backward]
            yield from rows.follow(reader.iter_decoded(start, gray=gray), forward, cancel, anchor.box)
            if start > 0:
                if rows.anchor_image is not None:  # the chosen face, then back in time from it
                    backward.start_at(rows.anchor_image, anchor.box)
                rows.anchor_image = None
                yield from rows.follow(_backwards(reader, start, gray), backward, cancel)
        yield Progress(total, total, f"face in {rows.found}")
        fps, frame_size, timestamps = reader.fps, reader.size, np.array(reader.timestamps, np.float64)
        declared = reader.declared_frame_count

    landmarks, boxes, scores, bad = rows.landmarks, rows.boxes, rows.scores, sorted(rows.bad)
    most_faces = max(t.most_faces for t in trackers)
    if rows.found == 0 and face_index > 0 and most_faces > 0 and anchor is None:
        raise NoFaceError(
            f"face index {face_index} asked for, but no frame of {path.name} shows more than "
            f"{most_faces} face(s): use an index from 0 to {most_faces - 1}"
        )
    if rows.found == 0:
        what = "every frame is damaged" if len(bad) == total else f"none of its {total} frames has a face"
        raise NoFaceError(
            f"no face found in {path.name} ({what}; searched for faces down to {trackers[0].smallest_face_px} px "
            "wide, turned ones included): use a video where the face is larger, clearly lit and not hidden"
        )
    filled = fill_gaps(landmarks, boxes, settings.max_gap, set(bad))
    if filled.any():
        log.info("%s: %d frame(s) without a detected face filled in between frames of the same face",
                 path.name, int(filled.sum()))
    has_face = np.array([lm is not None for lm in landmarks])
    analysis = VideoAnalysis(
        landmarks_raw=_hold(landmarks, (68, 2)),
        has_face=has_face,
        boxes=_hold(boxes, (4,)),
        angles=np.zeros((total, 3), np.float32),
        scores=np.asarray(scores, np.float32),
        fps=fps,
        frame_size=frame_size,
        backend=detector.name,
        bad_frames=np.asarray(bad, np.int64),
        dropped_frames=max(0, declared - total),
        source=path.name,
        timestamps=timestamps,
        filled=filled,
    )
    pose = estimate_pose(analysis.landmarks_raw, analysis.frame_size)
    analysis = replace(analysis, angles=np.nan_to_num(pose.angles).astype(np.float32))
    if bad or analysis.dropped_frames:
        log.warning(
            "%s: %d damaged frame(s) skipped, %d frame(s) announced by the header missing from the file: "
            "damaged frames hold the last good landmarks",
            path.name,
            len(bad),
            analysis.dropped_frames,
        )
    try:
        analysis.save(cached_file)
    except OutputError as err:
        log.warning("analysis not cached: %s", err)
    return analysis


class _Rows:
    """The per-frame results of an analysis, filled in any order (an anchor tracks both ways)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.landmarks: list[np.ndarray | None] = [None] * total
        self.boxes: list[np.ndarray | None] = [None] * total
        self.scores = [0.0] * total
        self.bad: set[int] = set()
        self.found = 0
        self.done = 0
        self.anchor_image: np.ndarray | None = None  # the frame an anchored track started on
        self._last_report = 0.0

    def follow(
        self,
        frames: Iterator[tuple[int, np.ndarray | None]],
        tracker: FaceTracker,
        cancel: CancelToken | None,
        start_box: tuple[float, ...] | None = None,
    ) -> Iterator[Progress]:
        """Track `frames` (index, image or None when damaged) in the order given; with `start_box`, the
        first good frame starts the track on the face nearest that box (`FaceTracker.start_at`)."""
        for index, image in frames:
            if cancel is not None:
                cancel.check()
            face = None
            if image is None:
                self.bad.add(index)
            elif start_box is not None:
                face = tracker.start_at(image, start_box)
                self.anchor_image, start_box = image, None
            else:
                face = tracker.update(image)
            if face is not None:
                self.landmarks[index], self.boxes[index], self.scores[index] = face.landmarks, face.box, face.score
                self.found += 1
            self.done += 1
            now = time.perf_counter()
            if now - self._last_report > 0.1:
                self._last_report = now
                yield Progress(self.done, self.total, f"face in {self.found}")


def _backwards(reader: FrameReader, stop: int, gray: bool) -> Iterator[tuple[int, np.ndarray | None]]:
    """Frames ``stop - 1`` down to 0 (``None`` for a damaged one): read forwards in chunks that fit
    `BACKWARD_CHUNK_BYTES` (decoding runs forwards only), each chunk handed out in reverse."""
    width, height = reader.size
    per_frame = max(1, width * height * (1 if gray else 3))
    chunk = max(8, BACKWARD_CHUNK_BYTES // per_frame)
    end = stop
    while end > 0:
        begin = max(0, end - chunk)
        frames = list(reader.iter_decoded(begin, end, gray=gray))
        yield from reversed(frames)
        end = begin


def analyze_image(
    image: str | Path | np.ndarray, detector: LandmarkDetector, face_index: int = 0
) -> VideoAnalysis:
    """A still photo analysed into the same layout as a video, with one frame (fps 0).

    Raises `NoFaceError` (no face, or fewer faces than `face_index` + 1) and `InputError`.
    """
    from core.faces.image_io import as_rgb, read_image

    if isinstance(image, np.ndarray):
        rgb, name = as_rgb(image), "the image"
    else:
        rgb, name = read_image(image), Path(image).name
    face = pick_face(detect_faces(rgb, detector), face_index, name, searched_face_px(rgb.shape))
    h, w = rgb.shape[:2]
    pose = estimate_pose(face.landmarks, (w, h))
    return VideoAnalysis(
        landmarks_raw=face.landmarks[None].astype(np.float32),
        has_face=np.ones(1, bool),
        boxes=face.box[None].astype(np.float32),
        angles=pose.angles.astype(np.float32),
        scores=np.array([face.score], np.float32),
        fps=0.0,
        frame_size=(w, h),
        backend=detector.name,
        source=name,
        timestamps=np.zeros(1),
    )


def _hold(values: list[np.ndarray | None], shape: tuple[int, ...]) -> np.ndarray:
    """Stack per-frame values; a missing one holds the previous value (the first one before any)."""
    first = next(v for v in values if v is not None)
    out = np.empty((len(values), *shape), np.float32)
    last = first
    for t, value in enumerate(values):
        if value is not None:
            last = value
        out[t] = last
    return out
