"""The timeline panel under the viewer: transport (bound to the window's actions, so tooltips show the
keys), in / out buttons, the playhead read-out (frame number of the true count, or timecode), the
legend of the marks, zoom buttons, the time axis (`TimelineCanvas`) and a scroll bar when zoomed in."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont, QHelpEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QScrollBar,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gui import theme
from gui.models.document import Document
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.models.timecode import TIME_MODES, format_position
from gui.models.timeline import TimelineModel
from gui.views.timeline_canvas import CACHE_COLOUR, TimelineCanvas

TIME_MODE_LABELS = {"frames": "Frames", "timecode": "Timecode"}
#: The scroll bar counts in these steps per frame (smooth scrolling of short drivings).
SCROLL_RESOLUTION = 10
TRANSPORT = ("to_start", "step_back", "play", "step_forward", "to_end")
RANGE_ACTIONS = ("set_in", "set_out", "clear_range", "loop")
#: A legend chip: the colour swatch and its gap before the label, and the space between chips.
CHIP_PAD, CHIP_GAP = 18, 8
#: The "+N" chip: padding either side, and a dot of each hidden kind's colour (up to MORE_DOTS) before "+N".
MORE_PAD, MORE_DOT_STEP, MORE_DOTS = 7, 8, 4


class LegendItem(NamedTuple):
    """One chip: its colour, its label (with the count), a shorter label (without what is in brackets)
    and what it means."""

    colour: str
    label: str
    short: str
    tooltip: str


class Chip(NamedTuple):
    """A chip as laid out: where, and the item (None for the "+N" chip that stands for `hidden`)."""

    rect: QRectF
    item: LegendItem | None
    text: str


class Legend(QWidget):
    """Coloured chips naming what the timeline shows: the cache, the in/out range and each kind of mark
    present (built from the marks model, so new kinds join it). When the chips do not all fit, they
    drop what their labels say in brackets (counts, "automatic"); when they still do not, the last
    ones give way to a "+N" chip with a dot of each one's colour, whose tooltip (or a click) lists
    them: a kind with marks is never left out unsaid."""

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.items: list[LegendItem] = []
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(22)
        model.marks.changed.connect(self.refresh)
        model.cacheChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        model = self.model
        items = [LegendItem(CACHE_COLOUR, f"Rendered {model.cached_count}/{model.count}" if model.count else "Rendered",
                            "Rendered", "Frames already rendered with the current settings: they play at full speed")]
        for kind, count in model.marks.legend():
            label = kind.label if count == 1 or kind.shape != "bar" else f"{kind.label} ({count})"
            items.append(LegendItem(kind.colour, label, kind.label.split(" (")[0], kind.description))
        if items != self.items:
            self.items = items
            self.setToolTip(describe(items))
            self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(sum(metrics.horizontalAdvance(item.label) + CHIP_PAD + CHIP_GAP for item in self.items), 22)

    def chips(self, width: float | None = None) -> tuple[list[Chip], list[LegendItem]]:
        """The chips that fit in `width` (the widget's by default) and the items left to the "+N" chip."""
        width = self.width() if width is None else width
        metrics = self.fontMetrics()

        def span(texts: list[str]) -> float:
            return sum(metrics.horizontalAdvance(t) + CHIP_PAD + CHIP_GAP for t in texts) - CHIP_GAP

        full, short = [i.label for i in self.items], [i.short for i in self.items]
        for texts in (full, short):
            if span(texts) <= width:
                return self._place(texts, None), []
        shown = len(short) - 1
        while shown > 0 and span(short[:shown]) + CHIP_GAP + self._more_width(len(short) - shown) > width:
            shown -= 1
        hidden = self.items[shown:]
        return self._place(short[:shown], hidden), hidden

    def _more_width(self, hidden: int) -> float:
        return self.fontMetrics().horizontalAdvance(f"+{hidden}") + 2 * MORE_PAD + min(hidden, MORE_DOTS) * MORE_DOT_STEP

    def _place(self, texts: list[str], hidden: list[LegendItem] | None) -> list[Chip]:
        metrics = self.fontMetrics()
        chips, x = [], 0.0
        for item, text in zip(self.items, texts, strict=False):
            width = metrics.horizontalAdvance(text) + CHIP_PAD
            chips.append(Chip(QRectF(x, 0, width, self.height()), item, text))
            x += width + CHIP_GAP
        if hidden:
            text = f"+{len(hidden)}"
            chips.append(Chip(QRectF(x, 2, self._more_width(len(hidden)), self.height() - 4), None, text))
        return chips

    def tooltip_at(self, x: float) -> str:
        """What the chip at `x` means (the "+N" chip: every kind it stands for); else the whole legend."""
        chips, hidden = self.chips()
        chip = next((c for c in chips if c.rect.left() <= x <= c.rect.right()), None)
        if chip is None:
            return self.toolTip()
        if chip.item is None:
            return "Also on the timeline:\n" + describe(hidden)
        return describe([chip.item])

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            self._show_tip(event.pos(), event.globalPos())
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click says what the chip under it means, as its tooltip does (the "+N" chip: the kinds it
        stands for), without waiting for the tooltip."""
        self._show_tip(event.position().toPoint(), event.globalPosition().toPoint())

    def _show_tip(self, pos: QPoint, global_pos: QPoint) -> None:
        QToolTip.showText(global_pos, self.tooltip_at(pos.x()), self)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        chips, hidden = self.chips()
        for chip in chips:
            rect = chip.rect
            if chip.item is None:
                self._paint_more(p, rect, chip.text, hidden)
                continue
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(chip.item.colour))
            p.drawRoundedRect(QRectF(rect.x(), self.height() / 2 - 5, 10, 10), 2, 2)
            p.setPen(QColor(theme.DIM))
            p.drawText(rect.adjusted(14, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, chip.text)
        p.end()

    def _paint_more(self, p: QPainter, rect: QRectF, text: str, hidden: list[LegendItem]) -> None:
        """The "+N" chip: an outlined pill with a dot of each hidden kind's colour, then "+N"."""
        p.setPen(QColor(theme.BORDER))
        p.setBrush(QColor(255, 255, 255, 12))
        p.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        x = rect.x() + MORE_PAD
        p.setPen(Qt.PenStyle.NoPen)
        for item in hidden[:MORE_DOTS]:
            p.setBrush(QColor(item.colour))
            p.drawEllipse(QRectF(x, rect.center().y() - 3, 6, 6))
            x += MORE_DOT_STEP
        p.setPen(QColor(theme.TEXT))
        p.drawText(QRectF(x, rect.y(), rect.right() - x - MORE_PAD + 2, rect.height()), Qt.AlignmentFlag.AlignCenter,
                   text)


def describe(items: list[LegendItem]) -> str:
    """One line per item: its label and what it means."""
    return "\n".join(f"{item.label}: {item.tooltip}" if item.tooltip else item.label for item in items)


class TimelinePanel(QWidget):
    """The transport row over the time axis. During playback it shows the frame on screen in the viewer
    (`preview`'s result), not the clock's: playback keeps real time by skipping the frames a slow
    renderer cannot make, so the clock runs ahead of the picture, and the read-out and the playhead
    follow the picture (the viewer's caption names the same frame). Paused, they show the playhead."""

    def __init__(self, model: TimelineModel, document: Document, scene: SceneModel, actions: dict[str, QAction],
                 preview: PreviewModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.document, self.scene, self.preview = model, document, scene, preview
        self.playing = False
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
        if preview is not None:
            preview.resultChanged.connect(self._show_position)
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

    def shown_frame(self) -> int:
        """The frame the transport shows: while playing, the viewer's (when it shows a result of this
        scene), else the playhead."""
        result = self.preview.result if self.preview is not None else None
        if self.playing and result is not None and result.generation == self.scene.generation:
            frame = result.index
        else:
            frame = self.document.current_frame
        return min(frame, max(0, self.model.count - 1))

    def _show_position(self, *_: object) -> None:
        model = self.model
        frame = self.shown_frame()
        self.position.setText(format_position(frame, model.count, model.fps, model.time_mode))
        self.canvas.set_display_frame(frame if self.playing else None)

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
        """Whether playback runs (the transport then follows the viewer's frame), and the shuttle speed
        beside the play button while it is not plain real time forwards."""
        if playing and rate != 1.0:
            arrow = "◀" if rate < 0 else "▶"
            self.rate_label.setText(f"{arrow} {abs(rate):g}×")
        else:
            self.rate_label.setText("")
        if playing != self.playing:
            self.playing = playing
            self._show_position()
