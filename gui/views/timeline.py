"""The timeline panel under the viewer: transport (bound to the window's actions, so tooltips show the
keys), in / out buttons, the playhead read-out (frame number of the true count, or timecode), the
legend of the marks, zoom buttons, the time axis (`TimelineCanvas`) and a scroll bar when zoomed in."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QScrollBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui import theme
from gui.models.document import Document
from gui.models.scene import SceneModel
from gui.models.timecode import TIME_MODES, format_position
from gui.models.timeline import TimelineModel
from gui.views.timeline_canvas import CACHE_COLOUR, TimelineCanvas

TIME_MODE_LABELS = {"frames": "Frames", "timecode": "Timecode"}
#: The scroll bar counts in these steps per frame (smooth scrolling of short drivings).
SCROLL_RESOLUTION = 10
TRANSPORT = ("to_start", "step_back", "play", "step_forward", "to_end")
RANGE_ACTIONS = ("set_in", "set_out", "clear_range", "loop")


class Legend(QWidget):
    """Coloured chips naming what the timeline shows: the cache, the in/out range and each kind of mark
    present (built from the marks model, so new kinds join it)."""

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.items: list[tuple[str, str, str]] = []  # (colour, label, tooltip)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(22)
        model.marks.changed.connect(self.refresh)
        model.cacheChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        model = self.model
        items = [(CACHE_COLOUR, f"Rendered {model.cached_count}/{model.count}" if model.count else "Rendered",
                  "Frames already rendered with the current settings: they play at full speed")]
        for kind, count in model.marks.legend():
            label = kind.label if count == 1 or kind.shape != "bar" else f"{kind.label} ({count})"
            items.append((kind.colour, label, kind.description))
        if items != self.items:
            self.items = items
            self.setToolTip("\n".join(f"{label}: {tip}" for _, label, tip in items if tip))
            self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(sum(metrics.horizontalAdvance(label) + 26 for _, label, _ in self.items), 22)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = p.fontMetrics()
        x = 0.0
        for colour, label, _ in self.items:
            width = metrics.horizontalAdvance(label)
            if x + width + 18 > self.width():
                break
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(colour))
            p.drawRoundedRect(QRectF(x, self.height() / 2 - 5, 10, 10), 2, 2)
            p.setPen(QColor(theme.DIM))
            p.drawText(QRectF(x + 14, 0, width + 4, self.height()), Qt.AlignmentFlag.AlignVCenter, label)
            x += width + 26
        p.end()


class TimelinePanel(QWidget):
    def __init__(self, model: TimelineModel, document: Document, scene: SceneModel, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.document, self.scene = model, document, scene
        self.canvas = TimelineCanvas(model, document)
        self.position = QLabel()
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        mono.setPointSizeF(self.font().pointSizeF() * 1.15)
        mono.setBold(True)
        self.position.setFont(mono)
        self.position.setToolTip("The playhead: frame number (counted from 0) of the number of frames, or timecode "
                                 "(hours:minutes:seconds:frames)")
        self.time_mode = QComboBox()
        for mode in TIME_MODES:
            self.time_mode.addItem(TIME_MODE_LABELS[mode], mode)
        self.time_mode.setToolTip("Show time as frame numbers or as timecode (HH:MM:SS:FF)")
        self.rate_label = QLabel()
        self.rate_label.setObjectName("Hint")
        self.fps_label = QLabel()
        self.fps_label.setObjectName("Hint")
        self.legend = Legend(model)
        self.scroll = QScrollBar(Qt.Orientation.Horizontal)
        self.scroll.setToolTip("Scroll the time axis (Ctrl+wheel on the timeline zooms, Alt+wheel scrolls)")
        self.buttons: dict[str, QToolButton] = {}

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(1)
        for name in TRANSPORT:
            top.addWidget(self._button(actions[name], 22 if name == "play" else 18))
        top.addWidget(self.rate_label)
        top.addSpacing(10)
        top.addWidget(self.position)
        top.addSpacing(6)
        top.addWidget(self.time_mode)
        top.addSpacing(4)
        top.addWidget(self.fps_label)
        top.addSpacing(14)
        for name in RANGE_ACTIONS:
            top.addWidget(self._button(actions[name], 18, text=name != "loop"))
        top.addSpacing(14)
        top.addWidget(self.legend, 1)
        for name in ("timeline_zoom_out", "timeline_zoom_all", "timeline_zoom_in"):
            top.addWidget(self._button(actions[name], 16))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.canvas)
        layout.addWidget(self.scroll)

        self.time_mode.activated.connect(lambda i: model.set_time_mode(self.time_mode.itemData(i)))
        self.scroll.valueChanged.connect(lambda v: model.scroll_to(v / SCROLL_RESOLUTION))
        model.viewChanged.connect(self._show_view)
        model.rangeChanged.connect(self.refresh)
        model.timeModeChanged.connect(self.refresh)
        document.frameChanged.connect(self._show_position)
        scene.drivingChanged.connect(self.refresh)
        self.refresh()

    def _button(self, action: QAction, size: int, text: bool = False) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setIconSize(QSize(size, size))
        button.setAutoRaise(True)
        if text:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.buttons[action.objectName() or action.text()] = button
        return button

    def refresh(self, *_: object) -> None:
        model = self.model
        self.time_mode.setCurrentIndex(self.time_mode.findData(model.time_mode))
        info = self.scene.driving_info
        self.fps_label.setText(info.fps_text if info else "")
        digits = len(format_position(max(model.count - 1, 0), model.count, model.fps, model.time_mode))
        self.position.setMinimumWidth(self.position.fontMetrics().horizontalAdvance("0" * max(digits, 9)) + 4)
        self._show_position()
        self._show_view()
        for button in self.buttons.values():
            button.setEnabled(model.count > 1)

    def _show_position(self, *_: object) -> None:
        model = self.model
        frame = min(self.document.current_frame, max(0, model.count - 1))
        self.position.setText(format_position(frame, model.count, model.fps, model.time_mode))

    def _show_view(self) -> None:
        model = self.model
        hidden = max(0.0, model.count - model.view_span)
        self.scroll.setVisible(model.zoomed)
        self.scroll.blockSignals(True)
        self.scroll.setRange(0, round(hidden * SCROLL_RESOLUTION))
        self.scroll.setPageStep(max(1, round(model.view_span * SCROLL_RESOLUTION)))
        self.scroll.setSingleStep(SCROLL_RESOLUTION)
        self.scroll.setValue(round(model.view_start * SCROLL_RESOLUTION))
        self.scroll.blockSignals(False)

    def show_rate(self, rate: float, playing: bool) -> None:
        """The shuttle speed beside the play button while it is not plain real time forwards."""
        if playing and rate != 1.0:
            arrow = "◀" if rate < 0 else "▶"
            self.rate_label.setText(f"{arrow} {abs(rate):g}×")
        else:
            self.rate_label.setText("")
