"""What the driving check found (`core.faces.driving_check`) and the head's trajectories
(`core.animation.trajectory`) for the driving on screen: the flags panel, the timeline's flag marks
and the trajectory view read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from gui.models.timeline import FLAGS_LANE, NO_FACE, MarkKind

if TYPE_CHECKING:
    from core.animation.trajectory import Trajectory
    from core.faces.driving_check import DrivingCheck, Flag

#: The timeline's marks for the check's flags ("no face" is the timeline's own NO_FACE kind).
FLAG_MARKS: dict[str, MarkKind] = {
    "small_face": MarkKind("check.small_face", "Small face", "#b78be0", FLAGS_LANE, "bar",
                           "The driver's face is small in the video there: its landmarks are noisy"),
    "pose": MarkKind("check.pose", "Turned far", "#e5776f", FLAGS_LANE, "bar",
                     "The driver turns further from the reference than the model handles well"),
    "glitch": MarkKind("check.glitch", "Tracking glitch", "#4fd6b4", FLAGS_LANE, "bar",
                       "The landmarks jump away and back: unstable tracking"),
    "jump": MarkKind("check.jump", "Jump / cut", "#dfe3e8", FLAGS_LANE, "pin",
                     "The face jumps and stays there (a cut, or the tracker switching faces): the head jumps too"),
    "reference": MarkKind("check.reference", "Poor reference", "#ff6b81", FLAGS_LANE, "pin",
                          "The reference frame is not neutral or is turned from the portrait (the Driving check "
                          "panel suggests a better one)"),
}  # fmt: skip
#: What each kind of flag is called in the flags list (no face has no mark of ours, but a list entry).
FLAG_LABELS = {kind: mark.label for kind, mark in {"no_face": NO_FACE, **FLAG_MARKS}.items()}
FLAG_COLOURS = {kind: mark.colour for kind, mark in {"no_face": NO_FACE, **FLAG_MARKS}.items()}


class DrivingCheckModel(QObject):
    checkChanged = Signal()
    trajectoryChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.check: DrivingCheck | None = None
        self.trajectory: Trajectory | None = None
        self.status = "No driving checked yet."  # what the panel says when there is no check

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self.check.flags if self.check is not None else ()

    def set_check(self, check: DrivingCheck | None, status: str = "") -> None:
        self.check = check
        self.status = status
        self.checkChanged.emit()

    def set_trajectory(self, trajectory: Trajectory | None) -> None:
        self.trajectory = trajectory
        self.trajectoryChanged.emit()
