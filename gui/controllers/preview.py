"""Keeps the viewers current: the result at the playhead (latest request wins), the portrait at the
result's framing (for before / after and the wipe) and the driving frame.

Any change of frame, options or scene asks for a render, coalesced to one request per event-loop
turn. Requests go to the engine lane's latest-wins slot: while one frame renders, newer requests
replace each other and only the newest runs next; stale ones are dropped, never queued. A result is
shown unless the scene changed since it was asked for (its generation is old).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from gui.controllers.context import AppContext
from gui.images import to_qimage
from gui.models.model_state import NO_MODEL_HELP
from gui.models.preview import DisplayFrame
from gui.workers import Job, JobFailure


class PreviewController(QObject):
    resultShown = Signal(int, float)  # frame, milliseconds from request to display

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self._request_render)
        self._frame_timer = QTimer(self, singleShot=True, interval=0)
        self._frame_timer.timeout.connect(self._request_driving_frame)
        self._shown_key: tuple | None = None  # (frame, options, generation) on screen
        self._asked_key: tuple | None = None  # the newest request
        self._asked_at: dict[tuple, float] = {}
        self.last_latency_ms = 0.0
        self._before_for: tuple | None = None  # (prepared source, result size) of the "before" picture
        doc, scene = ctx.document, ctx.scene
        doc.frameChanged.connect(self.schedule)
        doc.optionsChanged.connect(self.schedule)
        scene.readyChanged.connect(self.schedule)
        scene.sourceChanged.connect(self.schedule)
        scene.drivingChanged.connect(self.schedule)
        ctx.model_state.changed.connect(self.schedule)
        doc.frameChanged.connect(self._schedule_driving_frame)
        scene.drivingChanged.connect(self._schedule_driving_frame)
        scene.proxyChanged.connect(self._schedule_driving_frame)
        doc.optionsChanged.connect(self._schedule_driving_frame)
        ctx.preview.resultChanged.connect(self._update_before)
        scene.sourceChanged.connect(self._update_before)

    def schedule(self, *_: object) -> None:
        self._render_timer.start()

    def _schedule_driving_frame(self, *_: object) -> None:
        self._frame_timer.start()

    # -- the result --------------------------------------------------------------------------------------
    def notice(self) -> str:
        """Why no result can be shown, in words for the result view ("" when it can)."""
        ctx = self.ctx
        scene, state = ctx.scene, ctx.model_state
        if state.status == "loading":
            return f"Loading {state.loading_what}…"
        if state.status in ("none", "error"):
            return state.message or NO_MODEL_HELP
        if scene.source_status == "empty":
            return "Open a portrait to animate (File ▸ Open portrait…, or drop a photo here)."
        if scene.source_status == "error":
            return scene.source_message
        if scene.source_status in ("loading", "preparing", "detected"):
            return scene.source_message or "Preparing the portrait…"
        if scene.driving_status == "empty":
            return "Open a driving video or performance (File ▸ Open driving…, or drop it here)."
        if scene.driving_status == "error":
            return scene.driving_message
        if scene.driving_status in ("loading", "analysing"):
            return scene.driving_message or "Analysing the driving video…"
        if not scene.ready:
            return "Preparing…"
        return ""

    def _request_render(self) -> None:
        ctx = self.ctx
        ctx.preview.set_notice(self.notice())
        if not ctx.scene.ready:
            ctx.preview.set_pending(None)
            self._asked_key = None
            return
        frame = min(ctx.document.current_frame, max(0, ctx.scene.frame_count - 1))
        options = ctx.document.options
        key = (frame, options, ctx.scene.generation)
        if key in (self._shown_key, self._asked_key):
            return
        self._asked_key = key
        self._asked_at[key] = time.perf_counter()
        if len(self._asked_at) > 64:
            for old in list(self._asked_at)[:32]:
                self._asked_at.pop(old, None)
        ctx.preview.set_pending(frame)
        generation = key[2]
        handle = ctx.lanes.engine.submit_latest(
            Job(lambda _t: ctx.engine.render(frame, options, generation), "")
        )
        handle.succeeded.connect(lambda result: self._rendered(key, result))
        handle.failed.connect(lambda failure: self._render_failed(key, failure))
        handle.dropped.connect(lambda: self._dropped(key))

    def _rendered(self, key: tuple, result: DisplayFrame | None) -> None:
        """Show a finished render unless the scene changed since it was asked for. A render for an
        older frame or older options is still shown while the newest request renders (live feedback
        while scrubbing or dragging a slider); results arrive in request order, never older ones
        after newer ones."""
        ctx = self.ctx
        if result is None or result.generation != ctx.scene.generation:
            if key == self._asked_key:
                self._asked_key = None
                self.schedule()  # the scene moved on: ask again for what is current
            return
        self._shown_key = key
        ctx.preview.set_result(result)
        asked = self._asked_at.pop(key, None)
        if asked is not None:
            self.last_latency_ms = (time.perf_counter() - asked) * 1000
            self.resultShown.emit(result.index, self.last_latency_ms)
        if key == self._asked_key:
            ctx.preview.set_pending(None)

    def _render_failed(self, key: tuple, failure: JobFailure) -> None:
        self._asked_at.pop(key, None)
        if key == self._asked_key:
            self._asked_key = None
            self.ctx.preview.set_pending(None)
            self.ctx.preview.set_notice(failure.message)
            self.ctx.activity.say(f"Render failed: {failure.message}", 8000)

    def _dropped(self, key: tuple) -> None:
        self._asked_at.pop(key, None)
        self.ctx.preview.dropped += 1

    # -- the portrait at the result's framing -------------------------------------------------------------
    def _update_before(self) -> None:
        """Make the "before" picture when the prepared portrait or the result's size changed (source lane)."""
        from gui.framing import portrait_at_framing

        ctx = self.ctx
        face, result = ctx.scene.source_face, ctx.preview.result
        if face is None:
            self._before_for = None
            ctx.preview.set_before(None)
            return
        if result is None:
            return
        size = (result.image.width(), result.image.height())
        if self._before_for is not None and self._before_for[0] is face and self._before_for[1] == size:
            return
        wanted = self._before_for = (face, size)
        photo, alignment = face.photo, face.alignment
        handle = ctx.lanes.source.submit(Job(lambda _t: to_qimage(portrait_at_framing(photo, alignment, size)), ""))
        handle.succeeded.connect(lambda image: wanted is self._before_for and ctx.preview.set_before(image))

    # -- the driving frame --------------------------------------------------------------------------------
    def _request_driving_frame(self) -> None:
        ctx = self.ctx
        scene = ctx.scene
        info = scene.driving_info
        if info is None:
            ctx.preview.set_driving_frame(None)
            return
        index = min(ctx.document.current_frame, info.frame_count - 1)
        analysis, sequence, proxy = scene.driving_analysis, scene.driving, scene.proxy_path
        smoothing = ctx.document.options.smoothing
        handle = ctx.lanes.frames.submit_latest(
            Job(lambda _t: ctx.engine.driving_frame(index, info, analysis, sequence, proxy, smoothing), "")
        )
        handle.succeeded.connect(lambda frame: self._driving_frame(info, frame))
        handle.failed.connect(lambda failure: ctx.activity.say(f"Driving frame {index}: {failure.message}", 6000))

    def _driving_frame(self, info: object, frame: DisplayFrame) -> None:
        if info is self.ctx.scene.driving_info:
            self.ctx.preview.set_driving_frame(frame)
