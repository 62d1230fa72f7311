"""The trajectory view (pyqtgraph): the head's place, size, pose, mouth and eyes over the timeline, one
strip per channel, each with the driver as analysed (raw, faint), as used (after smoothing and
stabilisation) and the portrait as rendered (dashed), so an artist sees jitter and what each setting
does. Drag the playhead line to scrub.

Long timelines are decimated to a min/max envelope of at most `MAX_POINTS` points per series before
drawing (peaks kept), and a series is redrawn only when it changed, so a new trajectory arriving while
keys are dragged costs the UI thread little. pyqtgraph loads when the view is built.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.animation.trajectory import CHANNELS, Trajectory
from gui import theme
from gui.models.document import Document
from gui.models.driving_check import DrivingCheckModel
from gui.views.timeline_canvas import PLAYHEAD
from gui.views.widgets import scroll_area

LABELS = {"x": "Position x", "y": "Position y", "scale": "Size", "yaw": "Yaw", "pitch": "Pitch", "roll": "Roll",
          "mouth": "Mouth", "eye_left": "Left eye", "eye_right": "Right eye"}
SHOWN_AT_FIRST = ("scale", "yaw", "mouth")
#: Pixels of height per strip (the strips scroll under the channel boxes when the dock is lower than them;
#: below one strip, the dock scrolls the whole view).
STRIP_H = 78
#: Series: (key in the trajectory, pen colour, alpha, dashed, what the legend says).
SERIES = (
    ("raw", "#8d939a", 150, False, "driver as analysed"),
    ("used", "#4a8fd6", 255, False, "as used (smoothing, stabilisation)"),
    ("result", "#e8c547", 230, True, "portrait as rendered"),
)
MAX_POINTS = 3000


def envelope(values: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(frames, values) to draw: every point when there are few, else each bucket's minimum and maximum
    in frame order (a jitter spike stays visible)."""
    values = np.asarray(values, np.float64)
    count = len(values)
    if count <= max_points:
        return np.arange(count, dtype=np.float64), values
    buckets = max_points // 2
    edges = np.linspace(0, count, buckets + 1).astype(int)
    low = np.minimum.reduceat(values, edges[:-1])
    high = np.maximum.reduceat(values, edges[:-1])
    frames = np.repeat((edges[:-1] + edges[1:] - 1) / 2.0, 2)
    return frames, np.stack([low, high], -1).ravel()


class TrajectoryView(QWidget):
    seekRequested = Signal(int)

    def __init__(self, model: DrivingCheckModel, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.model, self.document = model, document
        self.boxes: dict[str, QCheckBox] = {}
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        for channel in CHANNELS:
            box = QCheckBox(LABELS[channel])
            box.setChecked(channel in SHOWN_AT_FIRST)
            box.setToolTip(f"{LABELS[channel]}: {CHANNELS[channel]}")
            box.toggled.connect(self._rebuild)
            top.addWidget(box)
            self.boxes[channel] = box
        top.addStretch(1)
        for _key, colour, _alpha, dashed, label in SERIES:
            chip = QLabel(f"<span style='color:{colour}'>{'┅' if dashed else '━'}</span> {label}")
            chip.setObjectName("Hint")
            top.addWidget(chip)
        self.status = QLabel()
        self.status.setObjectName("Hint")
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(theme.BASE)
        self.plots.ci.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.status)
        self.strips = scroll_area(self.plots)
        self.strips.setMinimumHeight(STRIP_H)
        layout.addWidget(self.strips, 1)
        self._rows: dict[str, tuple] = {}  # channel -> (plot, {series: item}, playhead)
        self._drawn: dict[tuple[str, str], np.ndarray] = {}
        model.trajectoryChanged.connect(self.refresh)
        document.frameChanged.connect(self._frame_changed)
        self._rebuild()

    def _rebuild(self) -> None:
        """One strip per ticked channel, their time axes linked."""
        pg = self._pg
        self.plots.clear()
        self._rows.clear()
        self._drawn.clear()
        first = None
        shown = [c for c in CHANNELS if self.boxes[c].isChecked()]
        self.plots.setMinimumHeight(STRIP_H * len(shown) + 24)
        for i, channel in enumerate(shown):
            label = self.plots.addLabel(LABELS[channel], row=i, col=0, color=theme.DIM, justify="right")
            label.setFixedWidth(72)
            plot = self.plots.addPlot(row=i, col=1)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=True, y=False)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(pg.mkPen(theme.BORDER))
                plot.getAxis(axis).setTextPen(pg.mkPen(theme.DIM))
            plot.getAxis("left").setWidth(46)  # strips line up
            plot.showAxis("bottom", i == len(shown) - 1)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            items = {}
            for key, colour, alpha, dashed, _label in SERIES:
                pen_colour = pg.mkColor(colour)
                pen_colour.setAlpha(alpha)
                style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
                items[key] = plot.plot(pen=pg.mkPen(pen_colour, width=1, style=style))
            playhead = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(PLAYHEAD, width=1.2))
            playhead.sigDragged.connect(lambda line: self.seekRequested.emit(max(0, round(line.value()))))
            plot.addItem(playhead)
            self._rows[channel] = (plot, items, playhead)
        self.refresh()

    def refresh(self, *_: object) -> None:
        trajectory: Trajectory | None = self.model.trajectory
        if trajectory is None:
            self.status.setText("The trajectories show once a portrait and a driving are ready.")
            self.status.show()
            for _plot, items, _ in self._rows.values():
                for item in items.values():
                    item.setData([], [])
            self._drawn.clear()
            return
        self.status.hide()
        for channel, (plot, items, _) in self._rows.items():
            for key, item in items.items():
                values = getattr(trajectory, key)[channel]
                drawn = self._drawn.get((channel, key))
                if drawn is not None and drawn.shape == values.shape and np.array_equal(drawn, values):
                    continue
                item.setData(*envelope(values))
                self._drawn[(channel, key)] = values
            if (channel, "fitted") not in self._drawn:
                plot.setXRange(0, max(1, trajectory.frame_count - 1), padding=0.01)
                self._drawn[(channel, "fitted")] = np.zeros(0)
        self._frame_changed(self.document.current_frame)

    def _frame_changed(self, frame: int) -> None:
        for _plot, _items, playhead in self._rows.values():
            if round(playhead.value()) != frame:
                playhead.setValue(frame)
