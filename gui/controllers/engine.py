"""The engine: the core objects the GUI drives (detector, Reenactor, video readers) and the work on them.

Every method here runs in a worker thread, never in the GUI thread, and imports torch and the face
backends lazily. Ownership keeps it race-free: the Reenactor is created, changed and rendered from
on the *engine* lane only (one thread), so a preview never sees a half-changed scene; exports read it
from the export lane while the (modal) export dialog keeps the scene still; video frames for the
viewers are read on the *frames* lane, which owns the readers.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import RenderOptions
from core.errors import CheckpointError, InputError
from core.faces.landmarks import BackendUnavailableError
from core.faces.search import can_detect_turned, detector_face_px
from core.progress import CancelToken, Progress, ProgressStream
from gui.images import fit_within, to_qimage
from gui.models.model_state import ModelInfo
from gui.models.preview import DisplayFrame
from gui.models.scene import DrivingInfo, SourceCandidate
from gui.models.specs import DrivingSpec, ModelChoice, SourceSpec

if TYPE_CHECKING:
    import numpy as np

    from core.faces.driving import DrivingSequence
    from core.faces.landmarks import LandmarkDetector
    from core.pipeline import Reenactor, SourceFace

log = logging.getLogger(__name__)

#: Longest side of the driving frames shown in the viewers (the scrubbing proxy's size).
DRIVING_VIEW_SIDE = 480

#: Run the face detector in a helper process (see `gui.workers.detector_process`).
USE_DETECTOR_PROCESS = True

_detectors: dict[str, LockedDetector] = {}
_detectors_lock = threading.Lock()


class LockedDetector:
    """A landmark detector shared by several worker threads, used by one at a time.

    dlib releases the GIL while it detects, so two lanes (a photo and a video analysis) could run the
    same detector object at once; its models are not made for that."""

    def __init__(self, detector: LandmarkDetector) -> None:
        self.inner = detector
        self._detector = detector
        self._lock = threading.Lock()
        self.name = detector.name
        self.key = detector.key
        self.wants_gray = detector.wants_gray
        self.smallest_face_px = detector_face_px(detector)  # whether frames are enlarged for small faces
        if can_detect_turned(detector):  # the slower search for turned faces (dlib's CNN), as in the CLI
            self.detect_turned = self._detect_turned

    def detect(self, image: np.ndarray) -> list:
        with self._lock:
            return self._detector.detect(image)

    def _detect_turned(self, image: np.ndarray) -> list:
        with self._lock:
            return self._detector.detect_turned(image)  # type: ignore[attr-defined]

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        with self._lock:
            return self._detector.refine(image, box)


def shared_detector(backend: str = "dlib") -> LockedDetector:
    """One landmark detector per backend for the whole process, running in a helper process when it
    can (dlib holds the GIL while loading its model: about a second of frozen UI in-process)."""
    with _detectors_lock:
        detector = _detectors.get(backend)
        if detector is not None and getattr(detector.inner, "alive", True):
            return detector
        if USE_DETECTOR_PROCESS:
            from gui.workers.detector_process import RemoteDetector

            try:
                inner: LandmarkDetector = RemoteDetector(backend)
            except (BackendUnavailableError, OSError) as err:
                log.warning("face detector process unavailable (%s): detecting in the app's process", err)
                inner = _in_process_detector(backend)
        else:
            inner = _in_process_detector(backend)
        detector = _detectors[backend] = LockedDetector(inner)
        return detector


def _in_process_detector(backend: str) -> LandmarkDetector:
    from core.faces.landmarks import load_detector

    detector = load_detector(backend)
    load = getattr(detector, "load", None)
    if load is not None:
        load()
    return detector


def close_detectors() -> None:
    """Stop helper processes (at exit)."""
    with _detectors_lock:
        for detector in _detectors.values():
            close = getattr(detector.inner, "close", None)
            if close is not None:
                close()
        _detectors.clear()


atexit.register(close_detectors)


@dataclass(frozen=True)
class DrivingLoad:
    """A driving loaded in a worker: its facts plus the analysis (video) or performance."""

    info: DrivingInfo
    analysis: Any = None
    performance: Any = None


def interactive_threads() -> int:
    """CPU threads for torch in the app: all cores but one, which stays free for the UI thread and
    decoding. (On a loaded 2-core machine, two OpenMP threads fighting for one core made a 256 px
    frame 3 to 10 times slower than one thread.)"""
    return max(1, (os.cpu_count() or 2) - 1)


class Engine:
    def __init__(self, device: str = "auto", backend: str = "dlib", threads: int | None = None) -> None:
        self.device_request = device
        self.backend = backend
        self.threads = threads or interactive_threads()
        self.reenactor: Reenactor | None = None
        self._readers: dict[Path, Any] = {}  # frames lane only

    def detector(self) -> LockedDetector:
        return shared_detector(self.backend)

    # -- engine lane -------------------------------------------------------------------------------------
    def load_model(self, choice: ModelChoice) -> ModelInfo:
        """Build the Reenactor for `choice` (torch loads here, the first time)."""
        from core.device import describe, pick_device, set_threads
        from core.pipeline import Reenactor

        set_threads(self.threads)
        device = pick_device(self.device_request)
        detector = self.detector()
        if choice.kind == "random":
            from core.config import ModelConfig

            reenactor = Reenactor(
                None, device, allow_random_weights=True, config=ModelConfig.tiny(choice.resolution), detector=detector
            )
            name, path = "untrained network", None
        else:
            path = resolve_checkpoint(choice)
            reenactor = Reenactor(path, device, detector=detector)
            name = path.name
        self.reenactor = reenactor
        _settle_garbage_collector()
        parameters = sum(p.numel() for p in reenactor.generator.parameters())
        steps = reenactor.metadata.get("step") if isinstance(reenactor.metadata, dict) else None
        return ModelInfo(
            kind=choice.kind,
            name=name,
            path=path,
            resolution=reenactor.resolution,
            device=describe(reenactor.device),
            parameters=int(parameters),
            random_weights=bool(reenactor.random_weights),
            trained_steps=steps if isinstance(steps, int) else None,
        )

    def unload_model(self) -> None:
        self.reenactor = None

    def prepare_source(self, candidate: SourceCandidate, face_index: int) -> SourceFace | None:
        """Align and prepare the chosen face (once per source); None when no model is loaded."""
        if self.reenactor is None:
            return None
        return self.reenactor.set_source(candidate.photo, face_index=face_index, name=candidate.name)

    def apply_driving(self, load: DrivingLoad) -> DrivingSequence | None:
        """Give the Reenactor the driving sequence (a performance is expanded on the prepared source)."""
        from core.faces.driving import DrivingSequence

        reenactor = self.reenactor
        if reenactor is None:
            return None
        if load.performance is not None:
            if reenactor.source is None:
                return None
            sequence = DrivingSequence.from_performance(load.performance, reenactor.source.landmarks, reenactor.resolution)
        else:
            sequence = DrivingSequence.from_analysis(load.analysis, load.info.path)
        reenactor.set_driving(sequence)
        return sequence

    def render(self, index: int, options: RenderOptions, generation: int) -> DisplayFrame | None:
        """The result at `index` as a ready-to-draw image (from the Reenactor's cache when it has it)."""
        reenactor = self.reenactor
        if reenactor is None or not reenactor.ready:
            return None
        index = min(index, reenactor.driving.frame_count - 1)
        cached = self.cached_render(index, options)
        started = time.perf_counter()
        frame = reenactor.render_frame(index, options)
        landmarks = frame.output_landmarks
        return DisplayFrame(
            index, to_qimage(frame.image), landmarks, (time.perf_counter() - started) * 1000, generation, cached
        )

    def cached_mask(self, count: int, options: RenderOptions) -> np.ndarray:
        """(count,) True for the frames the Reenactor holds rendered with `options` (the timeline's cache bar)."""
        import numpy as np

        reenactor = self.reenactor
        mask = np.zeros(count, bool)
        if reenactor is not None and reenactor.ready:
            held = reenactor.cached_mask(options)[:count]
            mask[: len(held)] = held
        return mask

    def cached_render(self, index: int, options: RenderOptions) -> bool:
        reenactor = self.reenactor
        return bool(reenactor is not None and reenactor.ready and reenactor.cached_frame(index, options) is not None)

    # -- source lane -------------------------------------------------------------------------------------
    def detect_source(self, spec: SourceSpec) -> SourceCandidate:
        """Read the photo and find its faces; a photo without a face still comes back, with the reason."""
        from core.errors import NoFaceError
        from core.faces.image_io import read_image
        from core.faces.landmarks import detect_faces, pick_face, searched_face_px

        if spec.is_demo:
            from gui.demo import demo_portrait

            photo, name = demo_portrait(), "astronaut (demo)"
        else:
            photo, name = read_image(spec.location), Path(spec.location).name
        faces = tuple(detect_faces(photo, self.detector()))
        problem = None
        try:
            pick_face(list(faces), spec.face_index, name, searched_face_px(photo.shape))  # the CLI's message
        except NoFaceError as err:
            problem = str(err)
        return SourceCandidate(name, photo, faces, to_qimage(photo), problem)

    # -- analysis lane -----------------------------------------------------------------------------------
    def load_driving(self, spec: DrivingSpec, cancel: CancelToken) -> ProgressStream[DrivingLoad]:
        """Analyse a video (cached on disk afterwards) or read a performance (keys alone: a still one)."""
        if spec.kind == "performance":
            from core.animation.authoring import still_performance
            from core.faces.performance import Performance, builtin_performance

            if spec.is_keys:
                performance = still_performance(spec.frames or 1, spec.fps or 25.0)
            else:
                performance = builtin_performance() if spec.is_builtin else Performance.load(spec.location)
            yield Progress(1, 1, "performance loaded")
            own_name = spec.is_builtin or spec.is_keys
            info = DrivingInfo(
                kind="performance",
                name=spec.display_name if own_name else str(getattr(performance, "name", spec.display_name)),
                frame_count=performance.frame_count,
                fps=performance.fps,
                frame_size=(0, 0),
                frames_with_face=performance.frame_count,
                path=spec.path,
            )
            return DrivingLoad(info, performance=performance)
        from core.faces.analysis import analyze_video

        path = Path(spec.location)
        if not path.exists():
            raise InputError(f"{path} does not exist: check the file name")
        analysis = yield from analyze_video(path, self.detector(), spec.face_index, cancel=cancel, fps=spec.fps,
                                            anchor=spec.anchor)
        faces_in_video = self._count_faces(path, analysis, cancel)
        import numpy as np

        info = DrivingInfo(
            kind="video",
            name=path.name,
            frame_count=analysis.frame_count,
            fps=analysis.fps or 25.0,
            frame_size=tuple(analysis.frame_size),
            frames_with_face=analysis.frames_with_face,
            bad_frames=tuple(int(i) for i in analysis.bad_frames),
            faces_in_video=faces_in_video,
            path=path,
            no_face_frames=tuple(int(i) for i in np.flatnonzero(~analysis.has_face)),
        )
        return DrivingLoad(info, analysis=analysis)

    def _count_faces(self, path: Path, analysis: Any, cancel: CancelToken, samples: int = 3) -> int:
        """Most faces seen in a few frames with a face (for the "which face drives" picker)."""
        import numpy as np

        from core.faces.landmarks import detect_faces
        from core.video import open_reader

        with_face = np.flatnonzero(analysis.has_face)
        if len(with_face) == 0:
            return 0
        picks = sorted({int(with_face[round(k * (len(with_face) - 1) / max(1, samples - 1))]) for k in range(samples)})
        most = 0
        try:
            with open_reader(path, analysis.fps) as reader:  # a video, or a folder of numbered frames
                for index in picks:
                    cancel.check()
                    try:
                        frame = reader.read(index)
                    except InputError:
                        continue
                    most = max(most, len(detect_faces(frame, self.detector(), max_side=DRIVING_VIEW_SIDE, refine=False)))
        except InputError:
            return 1
        return max(most, 1)

    def driving_faces(self, path: Path, fps: float | None, index: int) -> list:
        """Every face on frame `index` of the driving video at `path` (largest first, its pixels; boxes only):
        the faces a click in the driving panel chooses among."""
        from core.faces.landmarks import detect_faces
        from core.video import open_reader

        with open_reader(path, fps) as reader:  # a video, or a folder of numbered frames
            frame = reader.read(min(index, reader.frame_count - 1))
        return detect_faces(frame, self.detector(), refine=False)

    def build_proxy(self, path: Path, cancel: CancelToken) -> ProgressStream[Path]:
        from core.video import build_proxy

        return (yield from build_proxy(path, DRIVING_VIEW_SIDE, cancel))

    # -- frames lane -------------------------------------------------------------------------------------
    def driving_frame(
        self,
        index: int,
        info: DrivingInfo,
        analysis: Any,
        sequence: DrivingSequence | None,
        proxy: Path | None,
        smoothing: float,
    ) -> DisplayFrame:
        """The driving picture at `index`: the video frame (from the proxy when built) with its
        landmarks, or a drawing of a performance's landmarks."""
        if info.kind == "performance":
            return self._performance_frame(index, sequence, smoothing)
        image, scale = self._video_frame(index, info, proxy)
        landmarks = None
        if analysis is not None and 0 <= index < analysis.frame_count:
            landmarks = (analysis.landmarks_raw[index] + 0.5) * scale - 0.5
        return DisplayFrame(index, to_qimage(image), landmarks)

    def _video_frame(self, index: int, info: DrivingInfo, proxy: Path | None) -> tuple[np.ndarray, float]:
        from core.video import ProxyReader, open_reader

        if proxy is not None:
            reader = self._readers.get(proxy)
            if reader is None:
                reader = self._readers[proxy] = ProxyReader(proxy)
            image = reader.read(min(index, len(reader) - 1))
            return image, image.shape[1] / info.frame_size[0]
        reader = self._readers.get(info.path)
        if reader is None:
            reader = self._readers[info.path] = open_reader(info.path, info.fps, cache_mb=64)
        image, scale = fit_within(reader.read(min(index, reader.frame_count - 1)), DRIVING_VIEW_SIDE)
        return image, scale

    def _performance_frame(self, index: int, sequence: DrivingSequence | None, smoothing: float) -> DisplayFrame:
        from gui.sketch import landmark_sketch

        if sequence is None:
            return DisplayFrame(index, to_qimage(landmark_sketch(None, 256)), None)
        size = self.reenactor.resolution if self.reenactor is not None else 256
        landmarks = sequence.landmarks(smoothing, size)[min(index, sequence.frame_count - 1)]
        return DisplayFrame(index, to_qimage(landmark_sketch(landmarks, size)), None)

    def close_readers(self) -> None:
        for reader in self._readers.values():
            close = getattr(reader, "close", None)
            if close is not None:
                close()
        self._readers.clear()


def _settle_garbage_collector() -> None:
    """Move every object alive now (torch's modules, the network) out of the collector's sight: a
    full collection over that heap holds the GIL, and so freezes the UI, for tens to hundreds of
    milliseconds at random moments. (No `gc.collect()` first: that is exactly such a pause.)"""
    import gc

    gc.freeze()


def resolve_checkpoint(choice: ModelChoice) -> Path:
    """The checkpoint file a choice names; a clear message when there is none."""
    if choice.kind == "demo":
        from resources import default_checkpoint

        path = default_checkpoint()
        if path is None:
            raise CheckpointError(
                "this build has no bundled demo model: choose a checkpoint with Model ▸ Choose checkpoint…, "
                "or train one with `python main.py train`"
            )
        return path
    if choice.kind == "file" and choice.path is not None:
        return choice.path
    raise CheckpointError("no checkpoint chosen: Model ▸ Choose checkpoint…")
