"""The source portrait: open (or drop) a photo, find its faces, pick one, prepare it for the model.

Reading and face detection run on the *source* lane and need no model, so the photo and its faces
show at once; preparing the chosen face (appearance features) runs on the *engine* lane once a model
is loaded, and again whenever the model changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.faces.image_io import IMAGE_SUFFIXES
from gui.controllers.context import AppContext
from gui.controllers.dialogs import IMAGE_FILTER
from gui.models.scene import SourceCandidate
from gui.models.specs import DEMO_SOURCE, SourceSpec
from gui.workers import Job, JobFailure


class SourceController(QObject):
    sourcePrepared = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._request = 0
        self._candidate_location: str | None = None
        ctx.document.sourceChanged.connect(self._sync)

    # -- user actions ------------------------------------------------------------------------------------
    def ask_open(self) -> None:
        path = self.ctx.dialogs.ask_open_path("Open a portrait", IMAGE_FILTER, self.ctx.settings.last_folder)
        if path is not None:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        """Open a portrait file; False (with a dialog) when it is not an image this app reads."""
        path = Path(path)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            self.ctx.dialogs.show_error(
                "Not a portrait",
                f"{path.name} is not an image this app opens: use JPEG, PNG, BMP, TIFF or WebP.",
            )
            return False
        self.ctx.settings.remember("sources", path)
        self.ctx.document.set_source(SourceSpec(str(path.resolve()), 0))
        return True

    def open_demo(self) -> None:
        self.ctx.document.set_source(SourceSpec(DEMO_SOURCE, 0))

    def choose_face(self, index: int) -> None:
        spec = self.ctx.document.source
        if spec is not None and index != spec.face_index:
            self.ctx.document.set_source(replace(spec, face_index=index))

    def close(self) -> None:
        self.ctx.document.set_source(None)

    # -- syncing the scene with the document ----------------------------------------------------------------
    def _sync(self) -> None:
        spec = self.ctx.document.source
        self._request += 1
        scene = self.ctx.scene
        if spec is None:
            self._candidate_location = None
            scene.set_source_status("empty")
            return
        candidate = scene.source_candidate
        if candidate is not None and spec.location == self._candidate_location:
            self._face_changed(candidate, spec.face_index)
            return
        request = self._request
        self._candidate_location = None
        scene.set_source_status("loading", f"Looking for faces in {spec.display_name}…")
        handle = self.ctx.lanes.source.submit(Job(lambda _t: self.ctx.engine.detect_source(spec), "Finding faces"))
        self.ctx.track("source", handle, f"Finding faces in {spec.display_name}…")
        handle.succeeded.connect(lambda c: self._detected(request, spec, c))
        handle.failed.connect(lambda f: self._failed(request, f))

    def _detected(self, request: int, spec: SourceSpec, candidate: SourceCandidate) -> None:
        if request != self._request:
            return
        self._candidate_location = spec.location
        self.ctx.scene.set_source_candidate(candidate)
        if candidate.problem:
            self.ctx.dialogs.show_error("No usable face", candidate.problem)
            return
        faces = len(candidate.faces)
        self.ctx.activity.say(f"{candidate.name}: {faces} face{'s' if faces != 1 else ''} found")
        self.prepare()

    def _failed(self, request: int, failure: JobFailure) -> None:
        if request != self._request:
            return
        self.ctx.scene.set_source_status("error", failure.message)
        self.ctx.report("Could not open the portrait", failure)

    def _face_changed(self, candidate: SourceCandidate, index: int) -> None:
        from core.errors import NoFaceError
        from core.faces.landmarks import pick_face, searched_face_px

        try:
            pick_face(list(candidate.faces), index, candidate.name, searched_face_px(candidate.photo.shape))
        except NoFaceError as err:
            self.ctx.scene.set_source_candidate(replace(candidate, problem=str(err)))
            self.ctx.dialogs.show_error("No such face", str(err))
            return
        self.ctx.scene.set_source_candidate(replace(candidate, problem=None))
        self.prepare()

    def prepare(self) -> None:
        """Prepare the chosen face in the engine (when a model is loaded)."""
        scene, spec = self.ctx.scene, self.ctx.document.source
        candidate = scene.source_candidate
        if candidate is None or candidate.problem or spec is None or not self.ctx.model_state.ready:
            return
        self._request += 1
        request = self._request
        scene.set_source_status("preparing", f"Preparing {candidate.name}…")
        index = spec.face_index
        handle = self.ctx.lanes.engine.submit(
            Job(lambda _t: self.ctx.engine.prepare_source(candidate, index), "Preparing the source")
        )
        handle.succeeded.connect(lambda face: self._prepared(request, face))
        handle.failed.connect(lambda f: self._failed(request, f))

    def _prepared(self, request: int, face: object) -> None:
        if request != self._request or face is None:
            return
        self.ctx.scene.set_source_face(face)
        self.sourcePrepared.emit()
