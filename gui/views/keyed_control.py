"""One animatable control: its name, a slider with a numeric field, and a key button beside it (After
Effects' stopwatch and keyframe navigator, Blender's keyed property colours):

* the diamond is hollow and grey when the control has no keys (one value everywhere), hollow amber when
  it has keys elsewhere (its value here comes from its curve), filled amber on a key;
* clicking it keys the control at the playhead, or deletes the key there.

The widget shows what it is given (`show`) and sends intents (`edited`, `keyClicked`, `activated`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QWidget

from core.animation.tracks import ControlSpec
from gui import theme
from gui.models.animation import KEY_COLOUR
from gui.views.widgets import SliderField

#: Per group: (slider step, shown as a percentage).
_STEPS = {"master": (0.01, True), "regions": (0.01, True), "stabilise": (0.01, True), "pose": (0.5, False),
          "expression": (0.01, False)}
STATE_TIPS = {
    "static": "Not animated: one value everywhere. Click to key it at the playhead",
    "animated": "Animated: its value here comes from its keys. Click to key it at the playhead",
    "key": "A key at the playhead. Click to delete it",
}


class KeyButton(QAbstractButton):
    """The diamond beside a control (see the module notes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "static"
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedSize(QSize(20, 20))
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = QPointF(self.width() / 2, self.height() / 2)
        r = 6.5 if self.underMouse() else 6.0
        diamond = QPolygonF([c + QPointF(0, -r), c + QPointF(r, 0), c + QPointF(0, r), c + QPointF(-r, 0)])
        colour = QColor(KEY_COLOUR if self.state != "static" else theme.DIM)
        p.setPen(QPen(colour, 1.5))
        p.setBrush(colour if self.state == "key" else Qt.BrushStyle.NoBrush)
        p.drawPolygon(diamond)
        p.end()


class KeyedControl(QWidget):
    edited = Signal(str, float)  # control, value
    keyClicked = Signal(str)
    activated = Signal(str)

    def __init__(self, spec: ControlSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        step, percent = _STEPS.get(spec.group, (0.01, False))
        self.label = QLabel(spec.label)
        self.label.setMinimumWidth(118)
        self.label.setWordWrap(True)
        self.field = SliderField(spec.low, spec.high, step, percent=percent)
        if spec.unit:
            self.field.field.setSuffix(f" {spec.unit}")
            self.field.field.setDecimals(1)
        self.key = KeyButton()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.key)
        row.addWidget(self.label)
        row.addWidget(self.field, 1)
        self.field.valueEdited.connect(lambda value: self.edited.emit(spec.name, value))
        self.key.clicked.connect(lambda: self.keyClicked.emit(spec.name))
        self._active = False
        self._state = ""
        self.show_value(spec.default, "static")

    def show_value(self, value: float, state: str) -> None:
        """The value at the playhead and the key state there (model -> view, no signal)."""
        if abs(self.field.value() - value) > 1e-9:
            self.field.set_value(value)
        if state != self._state:
            self._state = state
            self.key.set_state(state)
            self.key.setToolTip(f"{STATE_TIPS[state]} (Ctrl+K keys the active control, Alt+K deletes its key)")
            self._restyle()

    def set_active(self, active: bool) -> None:
        if active != self._active:
            self._active = active
            self._restyle()

    def _restyle(self) -> None:
        colour = KEY_COLOUR if self._state == "key" else ("#d8c27a" if self._state == "animated" else theme.TEXT)
        weight = "bold" if self._active else "normal"
        self.label.setStyleSheet(f"color: {colour}; font-weight: {weight};")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.activated.emit(self.spec.name)
        super().mousePressEvent(event)
