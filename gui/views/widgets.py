"""Small shared widgets (a slider with a numeric field, the coloured model badge) and the layout helpers
the panels share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gui import theme


class SliderField(QWidget):
    """A slider with a numeric field beside it; `valueEdited` fires for user changes only.

    `percent` shows the value as a percentage (0.35 reads "35 %"); `ends` names what the two ends of
    the slider mean, in small print under it ("portrait", "driver")."""

    valueEdited = Signal(float)

    def __init__(self, minimum: float = 0.0, maximum: float = 1.0, step: float = 0.01, parent: QWidget | None = None,
                 percent: bool = False, ends: tuple[str, str] | None = None) -> None:
        super().__init__(parent)
        self._min, self._max, self._step = minimum, maximum, step
        self._shown = 100.0 if percent else 1.0  # field units per value unit
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setPageStep(max(1, self.slider.maximum() // 10))
        self.field = QDoubleSpinBox()
        self.field.setRange(minimum * self._shown, maximum * self._shown)
        self.field.setSingleStep(step * 5 * self._shown)
        self.field.setDecimals(0 if percent else 2)
        if percent:
            self.field.setSuffix(" %")
        self.field.setKeyboardTracking(False)
        self.field.setFixedWidth(70 if percent else 64)
        self.field.setAlignment(Qt.AlignmentFlag.AlignRight)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.slider, 1)
        row.addWidget(self.field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        self.ends: tuple[QLabel, QLabel] | None = None
        if ends is not None:
            self.slider.setMinimumWidth(140)  # room for both ends: a narrow form puts the label above instead
            left, right = QLabel(ends[0]), QLabel(ends[1])
            hints = QHBoxLayout()
            hints.setContentsMargins(0, 0, self.field.width() + 8, 0)
            for label, align in ((left, Qt.AlignmentFlag.AlignLeft), (right, Qt.AlignmentFlag.AlignRight)):
                label.setObjectName("Hint")
                font = label.font()
                font.setPointSizeF(font.pointSizeF() * 0.85)
                label.setFont(font)
                hints.addWidget(label, 1, align)
            layout.addLayout(hints)
            self.ends = (left, right)
        self.slider.valueChanged.connect(self._from_slider)
        self.field.valueChanged.connect(self._from_field)

    def value(self) -> float:
        return round(self.field.value() / self._shown, 6)

    def set_value(self, value: float) -> None:
        """Show `value` without announcing it (model -> view)."""
        for widget in (self.slider, self.field):
            widget.blockSignals(True)
        self.field.setValue(value * self._shown)
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
        self.field.setValue(value * self._shown)
        self.field.blockSignals(False)
        self.valueEdited.emit(value)

    def _from_field(self, shown: float) -> None:
        value = round(shown / self._shown, 6)
        self.slider.blockSignals(True)
        self.slider.setValue(round((value - self._min) / self._step))
        self.slider.blockSignals(False)
        self.valueEdited.emit(value)


class Badge(QLabel):
    """A rounded, coloured label: the loaded model at a glance; `clicked` when pressed."""

    clicked = Signal()

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

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


def choice_box(choices: Mapping[Any, str]) -> QComboBox:
    """A combo box offering `choices` (data -> label) in their order; `currentData()` is the chosen key."""
    box = QComboBox()
    for data, label in choices.items():
        box.addItem(label, data)
    return box


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
