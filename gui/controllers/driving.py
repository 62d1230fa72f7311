"""The driving side: open (or drop) a video, a folder of numbered frames (asking its frame rate) or a
performance file, analyse it (progress, cached on disk), choose which face drives in a video with
several (by its rank in the picker, or by clicking it on a frame: the video is then analysed again
following that face from there; both undoable), build the scrubbing proxy, and hand the sequence to
the engine once a model and a prepared source are there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.faces.anchor import FaceAnchor
from core.progress import Progress
from gui.controllers.context import AppContext
from gui.controllers.dialogs import DRIVING_FILTER, VIDEO_SUFFIXES
from gui.controllers.engine import DrivingLoad
from gui.models.specs import BUILTIN_PERFORMANCE, DrivingSpec
from gui.models.undo import SetDrivingFaceCommand
from gui.workers import Job, JobFailure, JobHandle


class DrivingController(QObject):
    drivingApplied = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._request = 0
        self._load: DrivingLoad | None = None
        self._handles: list[JobHandle] = []  # analysis and proxy jobs of the current driving
        ctx.document.drivingChanged.connect(self._sync)
        ctx.scene.sourceChanged.connect(self._source_changed)

    # -- user actions ------------------------------------------------------------------------------------
    def ask_open(self) -> None:
        path = self.ctx.dialogs.ask_open_path("Open a driving video or performance", DRIVING_FILTER, self.ctx.settings.last_folder)
        if path is not None:
            self.open(path)

    def ask_open_folder(self) -> None:
        path = self.ctx.dialogs.ask_folder("Open a folder of numbered frames", self.ctx.settings.last_folder)
        if path is not None:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        """Drive with a video, a performance file or a folder of numbered frames (whose frame rate is
        asked for); False, with a dialog, for anything else or when the rate question is cancelled."""
        from core.video.image_sequence import DEFAULT_SEQUENCE_FPS, MAX_SEQUENCE_FPS, is_image_sequence

        path = Path(path)
        name = path.name.lower()
        fps = None
        if path.is_dir():
            if not is_image_sequence(path):
                self.ctx.dialogs.show_error(
                    "Not a folder of frames",
                    f"{path.name} holds no numbered PNG, JPEG or TIFF frames (frame_0001.png, ...).",
                )
                return False
            fps = self.ctx.dialogs.ask_number(
                "Frame rate", f"Frames per second of the frames in {path.name}:", DEFAULT_SEQUENCE_FPS, 1, MAX_SEQUENCE_FPS
            )
            if fps is None:
                return False
        elif path.suffix.lower() not in VIDEO_SUFFIXES and not name.endswith(".json"):
            self.ctx.dialogs.show_error(
                "Not a driving video",
                f"{path.name} is neither a video nor a performance file: use MP4, MOV, AVI, MKV or WebM, "
                "a .performance.json file, or a folder of numbered frames.",
            )
            return False
        self.ctx.settings.remember("drivings", path)
        self.ctx.document.set_driving(DrivingSpec(str(path.resolve()), 0, fps))
        return True

    def open_builtin(self) -> None:
        self.ctx.document.set_driving(DrivingSpec(BUILTIN_PERFORMANCE, 0))

    def choose_face(self, index: int) -> None:
        """The `index`-th largest face drives (the picker); a face clicked on a frame is forgotten."""
        spec = self.ctx.document.driving
        if spec is not None and (index != spec.face_index or spec.anchor is not None):
            self._set_face(index, None, f"Face {index + 1} drives")

    def pick_face_at(self, frame: int, x: float, y: float) -> JobHandle | None:
        """The face nearest (`x`, `y`) (the video's pixels) on `frame` drives: the frame's faces are found on
        the analysis lane, then the video is analysed again following that face from that frame."""
        spec, info = self.ctx.document.driving, self.ctx.scene.driving_info
        if spec is None or info is None or info.kind != "video" or info.path is None:
            return None
        path = info.path
        handle = self.ctx.lanes.analysis.submit(
            Job(lambda _t: self.ctx.engine.driving_faces(path, spec.fps, frame), "Finding the faces on this frame")
        )
        handle.succeeded.connect(lambda faces: self._picked(spec, frame, (x, y), faces))
        handle.failed.connect(lambda failure: self.ctx.report("Could not look for faces on this frame", failure))
        return handle

    def _picked(self, spec: DrivingSpec, frame: int, point: tuple[float, float], faces: list) -> None:
        from core.faces.landmarks import box_iou
        from core.faces.tracking import nearest_face

        if self.ctx.document.driving != spec:
            return  # another driving or face was chosen meanwhile
        x, y = point
        chosen = nearest_face(faces, (x, y, x, y), reach=0.75)
        if chosen is None:
            self.ctx.activity.say(f"No face at that spot on frame {frame}: click inside a face.", 6000)
            return
        analysis = self._load.analysis if self._load is not None else None
        if (analysis is not None and frame < analysis.frame_count and analysis.has_face[frame]
                and box_iou(analysis.boxes[frame], chosen.box) > 0.5):
            self.ctx.activity.say("That face already drives.", 4000)
            return
        rank = next(i for i, face in enumerate(faces) if face is chosen)
        anchor = FaceAnchor(frame, tuple(float(v) for v in chosen.box))
        self._set_face(rank, anchor, f"Follow the face clicked on frame {frame}")

    def _set_face(self, index: int, anchor: FaceAnchor | None, text: str) -> None:
        self.ctx.document.undo_stack.push(SetDrivingFaceCommand(self.ctx.document, index, anchor, text))

    def cancel_analysis(self) -> None:
        for handle in self._handles:
            handle.cancel()

    # -- loading --------------------------------------------------------------------------------------------
    def _sync(self) -> None:
        self.cancel_analysis()
        self._handles = []
        self._request += 1
        request = self._request
        self._load = None
        spec = self.ctx.document.driving
        scene = self.ctx.scene
        self.ctx.lanes.frames.submit(Job(lambda _t: self.ctx.engine.close_readers()))
        if spec is None:
            scene.set_driving_status("empty")
            return
        video = spec.kind == "video"
        title = f"Analysing {spec.display_name}" if video else f"Loading {spec.display_name}"
        scene.set_driving_status("analysing" if video else "loading", f"{title}…")
        handle = self.ctx.lanes.analysis.submit(Job(lambda token: self.ctx.engine.load_driving(spec, token), title))
        self._handles.append(handle)
        self.ctx.track("driving", handle, f"{title}…")
        handle.progress.connect(lambda p: self._progress(request, p, title))
        handle.succeeded.connect(lambda load: self._loaded(request, load))
        handle.failed.connect(lambda f: self._failed(request, f))

    def _progress(self, request: int, progress: Progress, title: str) -> None:
        if request == self._request:
            fraction = min(1.0, progress.fraction)
            self.ctx.scene.set_driving_progress(fraction, f"{title}… {fraction * 100:.0f}%")

    def _loaded(self, request: int, load: DrivingLoad) -> None:
        if request != self._request:
            return
        self._load = load
        info = load.info
        self.ctx.scene.set_driving_info(info, load.analysis, load.performance)
        doc = self.ctx.document
        if doc.current_frame >= info.frame_count:
            doc.set_current_frame(info.frame_count - 1)
        if info.kind == "video":
            no_face = info.frame_count - info.frames_with_face
            note = f", no face in {no_face}" if no_face else ""
            self.ctx.activity.say(f"{info.name}: {info.frame_count} frames at {info.fps_text}{note}")
            self._build_proxy(request, info.path)
        self.apply()

    def _failed(self, request: int, failure: JobFailure) -> None:
        if request != self._request:
            return
        self.ctx.scene.set_driving_status("error", failure.message)
        self.ctx.report("Could not open the driving video", failure)

    def _build_proxy(self, request: int, path: Path) -> None:
        handle = self.ctx.lanes.analysis.submit(
            Job(lambda token: self.ctx.engine.build_proxy(path, token), "Building the scrubbing proxy")
        )
        self._handles.append(handle)
        self.ctx.track("proxy", handle, "Building the scrubbing proxy…")
        handle.succeeded.connect(lambda proxy: request == self._request and self.ctx.scene.set_proxy(proxy))
        # A proxy is a speed-up only: without one, frames come from the video itself.
        handle.failed.connect(lambda f: self.ctx.activity.say(f"No scrubbing proxy: {f.message}", 8000))

    # -- the engine's copy -------------------------------------------------------------------------------------
    def apply(self) -> None:
        """Give the engine the driving sequence when it can take it (model loaded; for a performance,
        a prepared source too)."""
        load, scene = self._load, self.ctx.scene
        if load is None or not self.ctx.model_state.ready:
            return
        if load.performance is not None and scene.source_face is None:
            return
        request = self._request
        handle = self.ctx.lanes.engine.submit(Job(lambda _t: self.ctx.engine.apply_driving(load), "Applying the driving"))
        handle.succeeded.connect(lambda sequence: self._applied(request, load, sequence))
        handle.failed.connect(lambda f: self._failed(request, f))

    def _applied(self, request: int, load: DrivingLoad, sequence: object) -> None:
        if request != self._request or load is not self._load or sequence is None:
            return
        self.ctx.scene.set_driving(sequence)
        self.drivingApplied.emit()

    def _source_changed(self) -> None:
        """A performance is expanded on the source's own face: a new source needs a new sequence."""
        if self._load is None or self._load.performance is None:
            return
        scene = self.ctx.scene
        if scene.source_face is None and scene.driving is not None:
            scene.set_driving(None)
        elif scene.source_face is not None and scene.driving is None:
            self.apply()
