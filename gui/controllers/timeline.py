"""The timeline: frames and marks from the scene, in and out points (undoable, the export range and
playback loop), jumps between marks, and the render-cache bar.

The cache bar asks the engine which frames it holds for the current options (`Engine.cached_mask`,
on the engine lane, which owns the Reenactor): after a result is shown (coalesced), when the options or
the scene change. One question is in flight at a time; a change meanwhile asks again when it returns.
The automatic reference frame is computed there too (`Reenactor.reference_frame`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer

from core.config import RenderOptions
from gui.controllers.context import AppContext
from gui.models.timecode import TIME_MODES, format_time
from gui.models.timeline import (
    DAMAGED,
    NO_FACE,
    REFERENCE_AUTO,
    REFERENCE_CHOSEN,
    TimelineModel,
    next_stop,
)
from gui.models.undo import SetPlayRangeCommand
from gui.workers import Job

if TYPE_CHECKING:
    from gui.controllers.playback import PlaybackController

#: Results shown closer together than this (playback) share one cache query.
CACHE_QUERY_DELAY_MS = 150

#: Shift+Left / Shift+Right move this many frames.
BIG_STEP = 10


class TimelineController(QObject):
    def __init__(self, ctx: AppContext, playback: PlaybackController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playback = playback
        self.model = TimelineModel(self)
        mode = ctx.settings.timeline_time_mode
        self.model.set_time_mode(mode if mode in TIME_MODES else "frames")
        self.model.timeModeChanged.connect(self._remember_time_mode)
        self._cache_timer = QTimer(self, singleShot=True, interval=CACHE_QUERY_DELAY_MS)
        self._cache_timer.timeout.connect(self.query_cache)
        self._cache_busy = False
        self._cache_again = False
        self._reference_request = 0
        self._reference_for: tuple | None = None  # what the reference marks were last made from
        self._marks_for: object | None = None  # the DrivingInfo the no-face and damaged marks came from
        doc, scene = ctx.document, ctx.scene
        scene.drivingChanged.connect(self._driving_changed)
        scene.readyChanged.connect(self._scene_ready)
        doc.drivingChanged.connect(self._new_driving_chosen)
        doc.optionsChanged.connect(self._options_changed)
        doc.frameChanged.connect(self._frame_changed)
        self._driving_changed()

    # -- in and out ---------------------------------------------------------------------------------------
    def set_in(self, frame: int | None = None) -> None:
        """The in point at `frame` (the playhead); an out point before it is cleared."""
        if self.ctx.scene.frame_count == 0:
            return
        doc = self.ctx.document
        frame = doc.current_frame if frame is None else frame
        out = doc.out_point if doc.out_point is None or doc.out_point >= frame else None
        self._set_range(frame, out, f"In point at {self._time(frame)}")

    def set_out(self, frame: int | None = None) -> None:
        """The out point at `frame` (the playhead); an in point after it is cleared."""
        if self.ctx.scene.frame_count == 0:
            return
        doc = self.ctx.document
        frame = doc.current_frame if frame is None else frame
        first = doc.in_point if doc.in_point is None or doc.in_point <= frame else None
        self._set_range(first, frame, f"Out point at {self._time(frame)}")

    def clear_in(self) -> None:
        self._set_range(None, self.ctx.document.out_point, "Clear in point")

    def clear_out(self) -> None:
        self._set_range(self.ctx.document.in_point, None, "Clear out point")

    def clear_range(self) -> None:
        self._set_range(None, None, "Clear in and out")

    def _set_range(self, first: int | None, last: int | None, text: str) -> None:
        doc = self.ctx.document
        if (first, last) != (doc.in_point, doc.out_point):
            doc.undo_stack.push(SetPlayRangeCommand(doc, first, last, text))

    def _time(self, frame: int) -> str:
        return format_time(frame, self.model.fps, self.model.time_mode)

    # -- moving the playhead ------------------------------------------------------------------------------
    def jump(self, frames: int) -> None:
        """Shift+arrows: `frames` frames (paused)."""
        self.playback.step(frames)

    def jump_to_mark(self, direction: int) -> None:
        """Up / Down: the previous or next mark, in or out point (the first frame of a run of marks)."""
        doc = self.ctx.document
        stops = [self.model.marks.stops()]
        stops.append(np.array([p for p in (doc.in_point, doc.out_point) if p is not None], np.int64))
        target = next_stop(np.concatenate(stops), doc.current_frame, direction)
        if target is not None:
            self.playback.pause()
            self.playback.seek(target)

    def _frame_changed(self, frame: int) -> None:
        if self.playback.playing:
            self.model.ensure_visible(frame)

    # -- the scene ----------------------------------------------------------------------------------------
    def _driving_changed(self) -> None:
        info = self.ctx.scene.driving_info
        self.model.set_range(info.frame_count if info else 0, info.fps if info else 25.0)
        if info is not self._marks_for:  # the scene also changes with every analysis progress step
            self._marks_for = info
            marks = self.model.marks
            marks.set_frames(NO_FACE.key, info.no_face_frames if info else ())
            marks.set_frames(DAMAGED.key, info.bad_frames if info else ())
        self._show_reference()
        self.schedule_cache_query()

    def _new_driving_chosen(self) -> None:
        """Another driving was opened: its frames are not the old one's, so in and out go."""
        self.ctx.document.set_play_range(None, None)

    def _scene_ready(self, _ready: bool) -> None:
        self._show_reference()
        self.schedule_cache_query()

    def _options_changed(self, _options: RenderOptions) -> None:
        self._show_reference()
        self.query_cache()  # nothing is cached for new options: say so now

    # -- reference frame ----------------------------------------------------------------------------------
    def _show_reference(self) -> None:
        """The chosen reference frame, or the automatic one (computed on the engine lane)."""
        options, marks, scene = self.ctx.document.options, self.model.marks, self.ctx.scene
        made_from = (scene.generation, scene.ready, self.model.count, options.relative, options.reference_frame,
                     options.smoothing)
        if made_from == self._reference_for:
            return
        self._reference_for = made_from
        self._reference_request += 1
        if not options.relative or self.model.count == 0:
            marks.set_frames(REFERENCE_CHOSEN.key, ())
            marks.set_frames(REFERENCE_AUTO.key, ())
            return
        if options.reference_frame is not None:
            marks.set_frames(REFERENCE_AUTO.key, ())
            marks.set_frames(REFERENCE_CHOSEN.key, [min(options.reference_frame, self.model.count - 1)])
            return
        marks.set_frames(REFERENCE_CHOSEN.key, ())
        if not self.ctx.scene.ready:
            marks.set_frames(REFERENCE_AUTO.key, ())
            return
        request, engine = self._reference_request, self.ctx.engine

        def work(_token):
            reenactor = engine.reenactor
            return None if reenactor is None or not reenactor.ready else reenactor.reference_frame(options)

        handle = self.ctx.lanes.engine.submit(Job(work, ""))
        handle.succeeded.connect(lambda frame: self._reference_found(request, frame))

    def _reference_found(self, request: int, frame: int | None) -> None:
        if request == self._reference_request:
            self.model.marks.set_frames(REFERENCE_AUTO.key, [] if frame is None else [frame])

    # -- render cache -------------------------------------------------------------------------------------
    def schedule_cache_query(self, *_: object) -> None:
        """Ask soon (results shown in quick succession share one question)."""
        if not self._cache_timer.isActive():
            self._cache_timer.start()

    def query_cache(self) -> None:
        """Ask the engine which frames it holds for the current options."""
        count = self.model.count
        if not self.ctx.scene.ready or count == 0:
            self.model.set_cached(np.zeros(count, bool))
            return
        if self._cache_busy:
            self._cache_again = True
            return
        self._cache_busy, self._cache_again = True, False
        engine, options, generation = self.ctx.engine, self.ctx.document.options, self.ctx.scene.generation
        handle = self.ctx.lanes.engine.submit(Job(lambda _t: engine.cached_mask(count, options), ""))
        handle.succeeded.connect(lambda cached: self._cache_known(cached, options, generation))
        handle.finished.connect(self._cache_done)

    def _cache_known(self, cached: np.ndarray, options: RenderOptions, generation: int) -> None:
        if options == self.ctx.document.options and generation == self.ctx.scene.generation:
            self.model.set_cached(cached)
        else:
            self._cache_again = True

    def _cache_done(self) -> None:
        self._cache_busy = False
        if self._cache_again:
            self.query_cache()

    # -- settings -----------------------------------------------------------------------------------------
    def _remember_time_mode(self, mode: str) -> None:
        self.ctx.settings.timeline_time_mode = mode
