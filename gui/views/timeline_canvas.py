"""The time axis: a numbered ruler, the render-cache bar, lanes of marks, the in/out range and the
playhead. Click or drag to scrub; the wheel steps frames (Shift: 10), Ctrl+wheel zooms around the
pointer, Alt+wheel or a sideways wheel scrolls.

It paints a `TimelineModel` (frames, visible span, time display, cache, marks) and the document's
frame and in/out points; seeking leaves as `seekRequested`, zoom and scroll change the model's view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from gui import theme
from gui.models.document import Document
from gui.models.timecode import format_time, ruler_ticks
from gui.models.timeline import FLAGS_LANE, MarkKind, TimelineModel

GUTTER = 62  # lane names on the left
RULER_H = 22
CACHE_H = 6
LANE_H = 16
PLAYHEAD = "#ff5a4f"
CACHE_COLOUR = "#4f9a69"
LANE_NAMES = {FLAGS_LANE: "MARKS", "keys": "KEYS"}
#: Wheel notches zoom by this factor each.
ZOOM_STEP = 1.25


def runs(mask: np.ndarray, offset: int = 0) -> list[tuple[int, int]]:
    """(first, last) inclusive of each run of True in `mask`, frames counted from `offset`."""
    if mask.size == 0:
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(a) + offset, int(b) + offset) for a, b in zip(starts, ends, strict=True)]


def frame_runs(frames: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) inclusive of each run of consecutive frames in sorted `frames`."""
    if frames.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [frames.size - 1]])
    return [(int(frames[a]), int(frames[b])) for a, b in zip(starts, ends, strict=True)]


class TimelineCanvas(QWidget):
    seekRequested = Signal(int)

    def __init__(self, model: TimelineModel, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.document = model, document
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(360)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the window's shortcuts keep the keys
        self._hover: int | None = None
        self._dragging = False
        self.display_frame: int | None = None  # where the playhead is drawn instead of the document's frame
        self._lanes = model.marks.lanes_in_use()
        self.setFixedHeight(self._height())
        model.marks.changed.connect(self._marks_changed)
        for signal in (model.rangeChanged, model.viewChanged, model.timeModeChanged, model.cacheChanged,
                       document.frameChanged, document.playRangeChanged):
            signal.connect(self.update)

    def set_display_frame(self, frame: int | None) -> None:
        """Draw the playhead at `frame` (during playback: the frame on screen, which a slow renderer
        leaves behind the clock); None: at the document's frame."""
        if frame != self.display_frame:
            self.display_frame = frame
            self.update()

    # -- geometry ------------------------------------------------------------------------------------------
    def _height(self) -> int:
        return RULER_H + CACHE_H + 2 + LANE_H * len(self._lanes) + 4

    def sizeHint(self) -> QSize:
        return QSize(800, self._height())

    def track(self) -> QRectF:
        """Where frames are drawn (right of the lane names)."""
        return QRectF(GUTTER, 0, max(1.0, self.width() - GUTTER - 8), self.height())

    @property
    def pixels_per_frame(self) -> float:
        return self.track().width() / max(self.model.view_span, 1e-9)

    def x_of(self, frame: float) -> float:
        """Left edge of `frame`'s cell."""
        return GUTTER + (frame - self.model.view_start) * self.pixels_per_frame

    def centre_of(self, frame: int) -> float:
        return self.x_of(frame + 0.5)

    def frame_at(self, x: float) -> int:
        frame = int(np.floor((x - GUTTER) / self.pixels_per_frame + self.model.view_start))
        return min(max(frame, 0), max(0, self.model.count - 1))

    def lane_rect(self, lane: str) -> QRectF:
        i = self._lanes.index(lane)
        top = RULER_H + CACHE_H + 2 + i * LANE_H
        return QRectF(GUTTER, top, self.track().width(), LANE_H)

    def _visible(self) -> tuple[int, int]:
        first = max(0, int(np.floor(self.model.view_start)))
        last = min(self.model.count - 1, int(np.ceil(self.model.view_start + self.model.view_span)))
        return first, last

    # -- painting ------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        self._paint_names(p)
        if self.model.count <= 0:
            p.setPen(QColor(theme.DIM))
            p.drawText(self.track(), Qt.AlignmentFlag.AlignCenter, "No driving loaded: open a video or the built-in "
                       "performance to get a timeline")
            p.end()
            return
        p.setClipRect(self.track().adjusted(-1, 0, 8, 0))
        self._paint_range(p)
        self._paint_ruler(p)
        self._paint_cache(p)
        for lane in self._lanes:
            self._paint_lane(p, lane)
        self._paint_playhead(p)
        p.end()

    def _paint_names(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.78)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.DIM))
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        p.drawText(QRectF(8, RULER_H, GUTTER - 10, CACHE_H + 2).adjusted(0, -4, 0, 4), left, "CACHE")
        for lane in self._lanes:
            rect = self.lane_rect(lane)
            p.drawText(QRectF(8, rect.y(), GUTTER - 10, rect.height()), left, LANE_NAMES.get(lane, lane.upper()))
        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.drawLine(QPointF(GUTTER - 2.5, 0), QPointF(GUTTER - 2.5, self.height()))

    def _paint_range(self, p: QPainter) -> None:
        """The in/out range lit, the rest dimmed; brackets in the ruler at the points."""
        doc, model = self.document, self.model
        first, last = doc.play_range(model.count)
        has_range = doc.in_point is not None or doc.out_point is not None
        band = QRectF(self.x_of(first), 0, self.x_of(last + 1) - self.x_of(first), self.height())
        if has_range:
            shade = QColor(0, 0, 0, 110)
            p.fillRect(QRectF(GUTTER, 0, band.left() - GUTTER, self.height()), shade)
            p.fillRect(QRectF(band.right(), 0, self.width() - band.right(), self.height()), shade)
            lit = QColor(theme.ACCENT)
            lit.setAlpha(38)
            p.fillRect(band, lit)
        accent = QColor(theme.ACCENT)
        p.setPen(QPen(accent, 2))
        for point, x, sign in ((doc.in_point, band.left(), 1), (doc.out_point, band.right(), -1)):
            if point is None:
                continue
            p.drawLine(QPointF(x, 1), QPointF(x, RULER_H - 1))
            p.drawLine(QPointF(x, 1), QPointF(x + 5 * sign, 1))
            p.drawLine(QPointF(x, RULER_H - 1), QPointF(x + 5 * sign, RULER_H - 1))

    def _paint_ruler(self, p: QPainter) -> None:
        model = self.model
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.8)
        p.setFont(font)
        metrics = p.fontMetrics()
        sample = format_time(max(model.count - 1, 0), model.fps, model.time_mode)
        first, last = self._visible()
        ticks = ruler_ticks(first, last, self.pixels_per_frame, model.fps, model.time_mode,
                            label_px=metrics.horizontalAdvance(sample) + 14)
        p.setPen(QPen(QColor("#41454b"), 1))
        for frame in ticks.minor:
            x = round(self.centre_of(frame)) + 0.5
            p.drawLine(QPointF(x, RULER_H - 5), QPointF(x, RULER_H - 1))
        for frame, label in zip(ticks.major, ticks.labels, strict=True):
            x = round(self.centre_of(frame)) + 0.5
            p.setPen(QPen(QColor("#5d636a"), 1))
            p.drawLine(QPointF(x, RULER_H - 10), QPointF(x, self.height()))
            p.setPen(QColor(theme.DIM))
            p.drawText(QPointF(x + 3, RULER_H - 9), label)
        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.drawLine(QPointF(GUTTER, RULER_H - 0.5), QPointF(self.width(), RULER_H - 0.5))

    def _paint_cache(self, p: QPainter) -> None:
        top = RULER_H + 1
        p.fillRect(QRectF(GUTTER, top, self.track().width(), CACHE_H), QColor("#24262a"))
        first, last = self._visible()
        cached = self.model.cached[first : last + 1]
        colour = QColor(CACHE_COLOUR)
        for a, b in runs(cached, first):
            x0, x1 = self.x_of(a), self.x_of(b + 1)
            p.fillRect(QRectF(x0, top, max(1.5, x1 - x0), CACHE_H), colour)

    def _paint_lane(self, p: QPainter, lane: str) -> None:
        rect = self.lane_rect(lane)
        p.fillRect(rect.adjusted(0, 1, 0, -1), QColor(255, 255, 255, 6))
        first, last = self._visible()
        for kind in self.model.marks.kinds(lane):
            frames = self.model.marks.frames(kind.key)
            visible = frames[(frames >= first) & (frames <= last)]
            if visible.size:
                self._paint_marks(p, rect, kind, visible)

    def _paint_marks(self, p: QPainter, rect: QRectF, kind: MarkKind, frames: np.ndarray) -> None:
        colour = QColor(kind.colour)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, kind.shape != "bar")
        if kind.shape == "bar":
            colour.setAlpha(200)
            for a, b in frame_runs(frames):
                x0, x1 = self.x_of(a), self.x_of(b + 1)
                p.fillRect(QRectF(x0, rect.y() + 3, max(2.0, x1 - x0), rect.height() - 6), colour)
        elif kind.shape == "pin":
            p.setPen(QPen(colour, 2))
            p.setBrush(colour)
            for frame in frames:
                x = self.centre_of(int(frame))
                p.drawLine(QPointF(x, RULER_H), QPointF(x, rect.bottom() - 2))
                p.drawEllipse(QPointF(x, rect.center().y()), 4, 4)
        else:  # diamond
            p.setPen(QPen(QColor(theme.BASE), 1))
            p.setBrush(colour)
            r = min(5.0, rect.height() / 2 - 2)
            for frame in frames:
                c = QPointF(self.centre_of(int(frame)), rect.center().y())
                p.drawPolygon(QPolygonF([c + QPointF(0, -r), c + QPointF(r, 0), c + QPointF(0, r), c + QPointF(-r, 0)]))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_playhead(self, p: QPainter) -> None:
        model = self.model
        if self._hover is not None and not self._dragging:
            x = round(self.centre_of(self._hover)) + 0.5
            p.setPen(QPen(QColor(255, 255, 255, 60), 1))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        shown = self.document.current_frame if self.display_frame is None else self.display_frame
        frame = min(shown, model.count - 1)
        x = self.centre_of(frame)
        cell = self.pixels_per_frame
        colour = QColor(PLAYHEAD)
        if cell >= 5:
            lit = QColor(colour)
            lit.setAlpha(45)
            p.fillRect(QRectF(self.x_of(frame), RULER_H, cell, self.height() - RULER_H), lit)
        p.setPen(QPen(colour, 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x + 6, 6), QPointF(x, 12),
                                 QPointF(x - 6, 6)]))

    # -- interaction ---------------------------------------------------------------------------------------
    def _marks_changed(self) -> None:
        lanes = self.model.marks.lanes_in_use()
        if lanes != self._lanes:
            self._lanes = lanes
            self.setFixedHeight(self._height())
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.model.count > 0 and event.position().x() >= GUTTER - 2:
            self._dragging = True
            self.seekRequested.emit(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.model.count <= 0:
            return
        x = event.position().x()
        frame = self.frame_at(x)
        if self._dragging:
            self.seekRequested.emit(frame)
        elif x >= GUTTER:
            self._hover = frame
            self.setToolTip(self.describe(frame))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = False

    def leaveEvent(self, event) -> None:
        self._hover = None
        QToolTip.hideText()
        self.update()

    def describe(self, frame: int) -> str:
        """What the tooltip says about a frame: its number and timecode, cache state and marks."""
        model = self.model
        parts = [f"Frame {frame} · {format_time(frame, model.fps, 'timecode')}"]
        if 0 <= frame < model.cached.size:
            parts.append("rendered (cached)" if model.cached[frame] else "not rendered yet")
        parts += [kind.label for kind in model.marks.at(frame)]
        return " · ".join(parts)

    def wheelEvent(self, event: QWheelEvent) -> None:
        model = self.model
        if model.count <= 0:
            return
        delta = event.angleDelta()
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            notches = delta.y() / 120.0
            anchor = (event.position().x() - GUTTER) / self.pixels_per_frame + model.view_start
            model.zoom_by(ZOOM_STEP**notches, anchor)
        elif delta.x() or mods & Qt.KeyboardModifier.AltModifier:
            sideways = delta.x() or delta.y()  # Alt turns a vertical wheel into a sideways one on some systems
            model.scroll_by(-sideways / 120.0 * model.view_span / 10)
        else:
            step = 10 if mods & Qt.KeyboardModifier.ShiftModifier else 1
            notches = round(delta.y() / 120.0) or (1 if delta.y() > 0 else -1 if delta.y() < 0 else 0)
            target = self.document.current_frame - notches * step  # wheel up goes back in time, as in editors
            self.seekRequested.emit(min(max(0, target), model.count - 1))
            model.ensure_visible(target)
        event.accept()
