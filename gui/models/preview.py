"""What the viewers show now: the latest rendered result, the portrait at the result's framing (the
viewer's "before"), and the driving frame at the playhead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class DisplayFrame:
    """An image for a viewer, made in a worker, with optional landmarks in its own pixels."""

    index: int
    image: QImage
    landmarks: np.ndarray | None = None  # (68, 2) in image pixels
    render_ms: float = 0.0
    generation: int = 0
    cached: bool = False  # a result the renderer had already made (render_ms is then only the lookup)


class PreviewModel(QObject):
    resultChanged = Signal()
    drivingFrameChanged = Signal()
    beforeChanged = Signal()
    stateChanged = Signal()  # pending frame / notice changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.result: DisplayFrame | None = None
        self.driving_frame: DisplayFrame | None = None
        self.before: QImage | None = None  # the portrait framed as the result is
        self.pending_frame: int | None = None  # a render is on its way for this frame
        self.notice = ""  # why there is no result (no model, no face, ...)
        self.renders = 0
        self.dropped = 0  # requests replaced before they started

    def set_result(self, frame: DisplayFrame | None) -> None:
        self.result = frame
        if frame is not None:
            self.renders += 1
        self.resultChanged.emit()

    def set_before(self, image: QImage | None) -> None:
        if image is not self.before:
            self.before = image
            self.beforeChanged.emit()

    def set_driving_frame(self, frame: DisplayFrame | None) -> None:
        self.driving_frame = frame
        self.drivingFrameChanged.emit()

    def set_pending(self, frame: int | None) -> None:
        if frame != self.pending_frame:
            self.pending_frame = frame
            self.stateChanged.emit()

    def set_notice(self, notice: str) -> None:
        if notice != self.notice:
            self.notice = notice
            self.stateChanged.emit()
