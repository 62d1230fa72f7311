"""Play, pause, step and jump; playback keeps real time.

The playhead follows the wall clock (frame = start + elapsed x fps), not the renders: when a frame
cannot be rendered in time, the next tick has already moved on and the renderer's latest-wins slot
drops the frames in between, so a slow model shows fewer frames, never slower motion.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from gui.controllers.context import AppContext


class PlaybackController(QObject):
    playingChanged = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playing = False
        self.loop = True
        self._clock = QElapsedTimer()
        self._anchor = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self.frames_advanced = 0
        self.results_at_start = 0
        ctx.scene.drivingChanged.connect(self._driving_changed)

    @property
    def frame_count(self) -> int:
        return self.ctx.scene.frame_count

    @property
    def fps(self) -> float:
        info = self.ctx.scene.driving_info
        return info.fps if info and info.fps > 0 else 25.0

    # -- transport ----------------------------------------------------------------------------------------
    def play(self) -> None:
        if self.playing or self.frame_count < 2:
            return
        doc = self.ctx.document
        if doc.current_frame >= self.frame_count - 1:
            doc.set_current_frame(0)
        self._anchor = doc.current_frame
        self._clock.start()
        self.frames_advanced = 0
        self.results_at_start = self.ctx.preview.renders
        self._timer.start(max(5, int(500 / self.fps)))  # twice per frame: even spacing
        self.playing = True
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.playing = False
        self.playingChanged.emit(False)
        shown = self.ctx.preview.renders - self.results_at_start
        if self.frames_advanced:
            self.ctx.activity.say(
                f"Played {self.frames_advanced} frames in real time; {shown} rendered, the rest dropped", 5000
            )

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def seek(self, frame: int) -> None:
        count = self.frame_count
        if count == 0:
            return
        frame = min(max(0, int(frame)), count - 1)
        if self.playing:
            self._anchor = frame
            self._clock.restart()
        self.ctx.document.set_current_frame(frame)

    def step(self, delta: int) -> None:
        self.pause()
        self.seek(self.ctx.document.current_frame + delta)

    def to_start(self) -> None:
        self.pause()
        self.seek(0)

    def to_end(self) -> None:
        self.pause()
        self.seek(self.frame_count - 1)

    # -- clock ----------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        count = self.frame_count
        if count < 2:
            self.pause()
            return
        target = self._anchor + int(self._clock.elapsed() * self.fps / 1000.0)
        if target >= count:
            if not self.loop:
                self.ctx.document.set_current_frame(count - 1)
                self.pause()
                return
            target %= count
            self._anchor = target
            self._clock.restart()
        if target != self.ctx.document.current_frame:
            self.frames_advanced += 1
            self.ctx.document.set_current_frame(target)

    def _driving_changed(self) -> None:
        if self.ctx.scene.driving_info is None and self.playing:
            self.pause()
