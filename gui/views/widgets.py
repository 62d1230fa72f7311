"""Small shared widgets (a slider with a numeric field, the coloured model badge) and the layout helpers
the panels share."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QScrollArea,
    QSlider,
    QWidget,
)

from gui import theme


class SliderField(QWidget):
    """A 0..1 slider with a numeric field beside it; `valueEdited` fires for user changes only."""

    valueEdited = Signal(float)

    def __init__(self, minimum: float = 0.0, maximum: float = 1.0, step: float = 0.01, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._min, self._max, self._step = minimum, maximum, step
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setPageStep(max(1, self.slider.maximum() // 10))
        self.field = QDoubleSpinBox()
        self.field.setRange(minimum, maximum)
        self.field.setSingleStep(step * 5)
        self.field.setDecimals(2)
        self.field.setKeyboardTracking(False)
        self.field.setFixedWidth(64)
        self.field.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.field)
        self.slider.valueChanged.connect(self._from_slider)
        self.field.valueChanged.connect(self._from_field)

    def value(self) -> float:
        return self.field.value()

    def set_value(self, value: float) -> None:
        """Show `value` without announcing it (model -> view)."""
        for widget in (self.slider, self.field):
            widget.blockSignals(True)
        self.field.setValue(value)
        self.slider.setValue(round((value - self._min) / self._step))
        for widget in (self.slider, self.field):
            widget.blockSignals(False)

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.field.setToolTip(text)

    def _from_slider(self, position: int) -> None:
        value = round(self._min + position * self._step, 6)
        self.field.blockSignals(True)
        self.field.setValue(value)
        self.field.blockSignals(False)
        self.valueEdited.emit(value)

    def _from_field(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round((value - self._min) / self._step))
        self.slider.blockSignals(False)
        self.valueEdited.emit(round(value, 6))


class Badge(QLabel):
    """A rounded, coloured label: the loaded model at a glance."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level = "ok"
        self.set_badge("", "ok", "")

    def set_badge(self, text: str, level: str, tooltip: str) -> None:
        self.level = level
        self.setText(text)
        self.setToolTip(tooltip)
        colour = theme.LEVEL_COLOURS.get(level, theme.OK)
        text_colour = "#1b1c1e" if level in ("demo", "warning") else "#ffffff"
        self.setStyleSheet(
            f"QLabel {{ background: {colour}; color: {text_colour}; border-radius: 9px; padding: 2px 10px; "
            "font-weight: 600; }"
        )


def wrap(layout: QLayout) -> QWidget:
    """`layout` in a widget of its own, without margins (a row of a form)."""
    widget = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    widget.setLayout(layout)
    return widget


def scroll_area(body: QWidget, area: QScrollArea | None = None) -> QScrollArea:
    """`body` in a frameless scroll area (`area`, else a new one) that scrolls vertically only."""
    area = QScrollArea() if area is None else area
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(body)
    return area


def form_group(title: str, wrap_rows: bool = True, align_labels: bool = True
               ) -> tuple[QGroupBox, QFormLayout]:
    """A titled group box holding a form whose fields take the width; long rows wrap (`wrap_rows`), and
    labels sit left, centred on their field (`align_labels`; else the style's alignment)."""
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    if wrap_rows:
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    if align_labels:
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return box, form
