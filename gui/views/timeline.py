"""The timeline: transport buttons, a strip to scrub (frames without a face marked), frame number
and time code."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from gui import theme
from gui.models.document import Document
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.views.result_view import format_timecode


class TimelineStrip(QWidget):
    """Frames 0..count-1 across the width; click or drag to seek."""

    seekRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.count = 0
        self.frame = 0
        self.fps = 25.0
        self.no_face: tuple[int, ...] = ()
        self.bad: tuple[int, ...] = ()
        self.reference: int | None = None
        self._hover: int | None = None
        self._dragging = False

    def sizeHint(self) -> QSize:
        return QSize(600, 34)

    def set_range(self, count: int, fps: float, no_face: tuple[int, ...] = (), bad: tuple[int, ...] = ()) -> None:
        self.count, self.fps, self.no_face, self.bad = count, fps, no_face, bad
        self.setEnabled(count > 0)
        self.update()

    def set_frame(self, frame: int) -> None:
        if frame != self.frame:
            self.frame = frame
            self.update()

    def set_reference(self, frame: int | None) -> None:
        self.reference = frame
        self.update()

    def _track(self) -> QRectF:
        return QRectF(8, 6, max(1, self.width() - 16), self.height() - 12)

    def _x_of(self, frame: int) -> float:
        track = self._track()
        return track.x() + (frame + 0.5) / max(1, self.count) * track.width()

    def frame_at(self, x: float) -> int:
        track = self._track()
        fraction = (x - track.x()) / track.width()
        return int(min(max(fraction * self.count, 0), max(0, self.count - 1)))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = self._track()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.BASE))
        p.drawRoundedRect(track, 5, 5)
        if self.count <= 0:
            p.setPen(QColor(theme.DIM))
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, "No driving loaded")
            p.end()
            return
        # second ticks
        p.setPen(QPen(QColor("#3a3e43"), 1))
        seconds = int(self.count / max(self.fps, 1e-6))
        step = 1 if seconds <= 30 else 5 if seconds <= 150 else 30
        for s in range(0, seconds + 1, step):
            x = self._x_of(round(s * self.fps))
            p.drawLine(int(x), int(track.bottom() - 6), int(x), int(track.bottom() - 1))
        # frames without a face / damaged
        width = max(1.0, track.width() / self.count)
        for frames, colour in ((self.no_face, theme.WARNING), (self.bad, theme.DANGER)):
            if frames:
                c = QColor(colour)
                c.setAlpha(170)
                for f in frames:
                    p.fillRect(QRectF(self._x_of(f) - width / 2, track.y() + 2, width, 5), c)
        played = QRectF(track.x(), track.y(), self._x_of(self.frame) - track.x(), track.height())
        accent = QColor(theme.ACCENT)
        accent.setAlpha(60)
        p.setBrush(accent)
        p.drawRoundedRect(played, 5, 5)
        if self.reference is not None and self.reference < self.count:
            x = self._x_of(self.reference)
            p.setBrush(QColor(theme.OK))
            p.drawEllipse(QRectF(x - 3.5, track.bottom() - 8, 7, 7))
        if self._hover is not None:
            p.setPen(QPen(QColor(255, 255, 255, 70), 1))
            x = self._x_of(self._hover)
            p.drawLine(int(x), int(track.top()), int(x), int(track.bottom()))
        x = self._x_of(self.frame)
        p.setPen(QPen(QColor("#ffffff"), 2))
        p.drawLine(QRectF(x, track.top() - 3, 0, track.height() + 6).topLeft(), QRectF(x, track.top() - 3, 0, track.height() + 6).bottomLeft())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#ffffff"))
        p.drawEllipse(QRectF(x - 5, track.center().y() - 5, 10, 10))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.count > 0:
            self._dragging = True
            self.seekRequested.emit(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.count <= 0:
            return
        frame = self.frame_at(event.position().x())
        self._hover = frame
        self.setToolTip(f"Frame {frame} · {format_timecode(frame / max(self.fps, 1e-6))}")
        if self._dragging:
            self.seekRequested.emit(frame)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = False

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()


class TimelineBar(QWidget):
    """Transport buttons (bound to the window's actions, so tooltips show the shortcuts), the strip,
    and the frame / time read-out."""

    def __init__(
        self,
        document: Document,
        scene: SceneModel,
        preview: PreviewModel,
        actions: dict[str, QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.scene, self.preview = document, scene, preview
        self.strip = TimelineStrip()
        self.frame_label = QLabel()
        self.time_label = QLabel()
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        for label in (self.frame_label, self.time_label):
            label.setFont(mono)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.fps_label = QLabel()
        self.fps_label.setObjectName("Hint")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 10, 6)
        layout.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for name in ("to_start", "step_back", "play", "step_forward", "to_end"):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setIconSize(QSize(22 if name == "play" else 18, 22 if name == "play" else 18))
            button.setAutoRaise(True)
            layout.addWidget(button)
            self.buttons[name] = button
        layout.addSpacing(8)
        layout.addWidget(self.strip, 1)
        layout.addSpacing(8)
        layout.addWidget(self.frame_label)
        layout.addSpacing(6)
        layout.addWidget(self.time_label)
        layout.addSpacing(6)
        layout.addWidget(self.fps_label)
        document.frameChanged.connect(self.refresh)
        document.optionsChanged.connect(self.refresh)
        scene.drivingChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_: object) -> None:
        info = self.scene.driving_info
        count = info.frame_count if info else 0
        fps = info.fps if info else 25.0
        if (count, fps) != (self.strip.count, self.strip.fps) or (info and info.no_face_frames != self.strip.no_face):
            self.strip.set_range(count, fps, info.no_face_frames if info else (), info.bad_frames if info else ())
        frame = min(self.document.current_frame, max(0, count - 1))
        self.strip.set_frame(frame)
        options = self.document.options
        self.strip.set_reference(options.reference_frame if options.relative else None)
        digits = max(3, len(str(max(count - 1, 0))))
        if count:
            self.frame_label.setText(f"{frame:>{digits}} / {count - 1}")
            self.time_label.setText(format_timecode(frame / fps if fps else 0.0))
            self.fps_label.setText(info.fps_text)
        else:
            self.frame_label.setText("— / —")
            self.time_label.setText(format_timecode(0))
            self.fps_label.setText("")
        for widget in (*self.buttons.values(),):
            widget.setEnabled(count > 1)
