"""The driving check and the trajectories: once a driving is applied to a prepared portrait, which of its
frames will not give a good result (flags on the timeline and in the Driving check panel), and the head's
place, size, pose, mouth and eyes over time, raw and as used (the trajectory view).

Both run on the *check* lane (their own thread: after an analysis the analysis lane goes on building
the scrubbing proxy, and renders stay on the engine lane). The check is redone when the reference frame
changes; the trajectories when the controls or keys change, shortly after the last change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from core.config import RenderOptions
from gui.controllers.context import AppContext
from gui.models.driving_check import FLAG_MARKS, DrivingCheckModel
from gui.models.timeline import TimelineModel
from gui.workers import Job

if TYPE_CHECKING:
    from core.faces.driving_check import Flag
    from gui.controllers.options import OptionsController
    from gui.controllers.playback import PlaybackController

#: Milliseconds after the last change of the controls before the trajectories are measured again.
TRAJECTORY_DELAY_MS = 300


class DrivingCheckController(QObject):
    def __init__(self, ctx: AppContext, playback: PlaybackController, options: OptionsController,
                 timeline: TimelineModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playback = playback
        self.options = options
        self.timeline = timeline
        self.model = DrivingCheckModel(self)
        for mark in FLAG_MARKS.values():
            timeline.marks.register(mark)
        self._request = 0
        self._check_pending = False  # a check was asked for and has not come back (a newer job redoes it)
        self._checked_for: tuple | None = None  # (generation, relative, reference frame) of the shown check
        self._trajectory_timer = QTimer(self, singleShot=True, interval=TRAJECTORY_DELAY_MS)
        self._trajectory_timer.timeout.connect(self._measure_trajectory)
        ctx.scene.readyChanged.connect(self._scene_changed)
        ctx.scene.drivingChanged.connect(self._scene_changed)
        ctx.scene.sourceChanged.connect(self._scene_changed)
        ctx.document.optionsChanged.connect(self._options_changed)

    # -- user intents ------------------------------------------------------------------------------------
    def jump_to(self, flag: Flag) -> None:
        self.playback.pause()
        self.playback.seek(flag.start)

    def use_suggested_reference(self) -> None:
        check = self.model.check
        if check is not None and check.suggested_reference is not None:
            self.options.set("reference_frame", check.suggested_reference, mergeable=False)

    def set_hold(self, on: bool) -> None:
        self.options.set("hold_flagged", bool(on), mergeable=False)

    # -- checking ----------------------------------------------------------------------------------------
    def _scene_changed(self, *_: object) -> None:
        scene = self.ctx.scene
        if not scene.ready:
            if self.model.check is not None or self.model.trajectory is not None:
                self._show_flags(None)
                self.model.set_trajectory(None)
            self._checked_for = None
            waiting = "Analysing the driving…" if scene.driving_status == "analysing" else "Checked once a portrait and a driving are ready."
            if self.model.status != waiting:
                self.model.set_check(None, waiting)
            return
        self._run(check=True)

    def _options_changed(self, options: RenderOptions) -> None:
        if not self.ctx.scene.ready:
            return
        if self._checked_for is not None and self._checked_for[1:] != (options.relative, options.reference_frame):
            self._run(check=True)
        else:
            self._trajectory_timer.start()

    def _measure_trajectory(self) -> None:
        if self.ctx.scene.ready:
            self._run(check=False)

    def _run(self, check: bool) -> None:
        check = check or self._check_pending  # the newer job replaces a pending one: it checks too
        self._check_pending = check
        self._request += 1
        request, engine, options = self._request, self.ctx.engine, self.ctx.document.options
        generation = self.ctx.scene.generation
        if check:
            self.model.set_check(self.model.check, "Checking the driving…")

        def work(_token):
            from core.pipeline import direction_of

            reenactor = engine.reenactor
            if reenactor is None or not reenactor.ready:
                return None
            found = reenactor.driving_check(options) if check else None
            return found, reenactor.director.trajectory(direction_of(options))

        handle = self.ctx.lanes.check.submit_latest(Job(work, ""))
        handle.succeeded.connect(lambda result: self._done(request, generation, options, check, result))
        handle.failed.connect(lambda failure: self._failed(request, failure))

    def _done(self, request: int, generation: int, options: RenderOptions, check: bool, result) -> None:
        if result is None or generation != self.ctx.scene.generation:
            return
        found, trajectory = result
        if check:
            self._check_pending = request != self._request and self._check_pending
            self._checked_for = (generation, options.relative, options.reference_frame)
            self._show_flags(found)
        if request == self._request or check:
            self.model.set_trajectory(trajectory)

    def _failed(self, request: int, failure) -> None:
        if request == self._request:
            self.model.set_check(None, f"The driving check failed: {failure.message}")

    def _show_flags(self, check) -> None:
        marks = self.timeline.marks
        for kind, mark in FLAG_MARKS.items():
            frames = [] if check is None else [f for flag in check.of_kind(kind) for f in range(flag.start, flag.stop)]
            marks.set_frames(mark.key, frames)
        if check is None:
            self.model.set_check(None, "Checked once a portrait and a driving are ready.")
            return
        count = len(check.flags)
        self.model.set_check(check, "No problems found." if count == 0 else f"{count} flag{'s' if count != 1 else ''}")
