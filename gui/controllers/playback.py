"""Play, pause, shuttle (J/K/L), step and jump; playback keeps real time and loops the in/out range.

The playhead follows the wall clock (frame = start + elapsed x fps x rate), not the renders: when a
frame cannot be rendered in time, the next tick has already moved on and the renderer's latest-wins
slot drops the frames in between, so a slow model shows fewer frames, never slower motion.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from gui.controllers.context import AppContext

#: Shuttle speeds: pressing L (or J) again while playing that way moves to the next one.
SHUTTLE_RATES = (1.0, 2.0, 4.0, 8.0)


class PlaybackController(QObject):
    playingChanged = Signal(bool)
    rateChanged = Signal(float)  # signed: negative plays backwards

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playing = False
        self.loop = True
        self.rate = 1.0
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

    def play_range(self) -> tuple[int, int]:
        """(first, last) frames that playback loops over: the in / out points, else everything."""
        return self.ctx.document.play_range(self.frame_count)

    # -- transport ----------------------------------------------------------------------------------------
    def play(self, rate: float = 1.0) -> None:
        """Play at `rate` times real time (negative: backwards); from the range's start (or end) when
        the playhead is outside the range or at its far end."""
        if self.frame_count < 2 or rate == 0:
            return
        doc = self.ctx.document
        first, last = self.play_range()
        frame = doc.current_frame
        if rate > 0 and (frame >= last or frame < first):
            doc.set_current_frame(first)
        elif rate < 0 and (frame <= first or frame > last):
            doc.set_current_frame(last)
        self._set_rate(rate)
        self._anchor = doc.current_frame
        self._clock.start()
        if self.playing:
            return
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
        self._set_rate(1.0)
        shown = self.ctx.preview.renders - self.results_at_start
        if self.frames_advanced:
            self.ctx.activity.say(
                f"Played {self.frames_advanced} frames in real time; {shown} rendered, the rest dropped", 5000
            )

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def shuttle(self, direction: int) -> None:
        """J (-1) / L (+1): play that way; again while playing that way, faster (up to 8x)."""
        if self.playing and (self.rate > 0) == (direction > 0):
            faster = [r for r in SHUTTLE_RATES if r > abs(self.rate)]
            speed = faster[0] if faster else SHUTTLE_RATES[-1]
        else:
            speed = SHUTTLE_RATES[0]
        self.play(speed if direction > 0 else -speed)

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
        """To the in point (the first frame when none is set, or when already there)."""
        self.pause()
        first = self.play_range()[0]
        self.seek(first if self.ctx.document.current_frame != first else 0)

    def to_end(self) -> None:
        """To the out point (the last frame when none is set, or when already there)."""
        self.pause()
        last = self.play_range()[1]
        self.seek(last if self.ctx.document.current_frame != last else self.frame_count - 1)

    # -- clock ----------------------------------------------------------------------------------------------
    def _set_rate(self, rate: float) -> None:
        if rate != self.rate:
            self.rate = rate
            self.rateChanged.emit(rate)

    def _tick(self) -> None:
        count = self.frame_count
        if count < 2:
            self.pause()
            return
        first, last = self.play_range()
        doc = self.ctx.document
        target = self._anchor + int(self._clock.elapsed() * self.fps * self.rate / 1000.0)
        if target > last or target < first:
            if not self.loop or last == first:
                doc.set_current_frame(last if self.rate > 0 else first)
                self.pause()
                return
            length = last - first + 1
            target = first + (target - first) % length
            self._anchor = target
            self._clock.restart()
        if target != doc.current_frame:
            self.frames_advanced += 1
            doc.set_current_frame(target)

    def _driving_changed(self) -> None:
        if self.ctx.scene.driving_info is None and self.playing:
            self.pause()
