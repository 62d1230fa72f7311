"""The Driving check panel: what the check found in the driving (`core.faces.driving_check`), as a list
that jumps to each flag, a legend of the kinds with their counts (the same colours as the timeline's
marks), the reference frame's advice with a button to take it, and the choice to hold the last good
frame over flagged frames (preview and export alike)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.config import RenderOptions
from gui.models.document import Document
from gui.models.driving_check import FLAG_COLOURS, FLAG_LABELS, DrivingCheckModel


def chip(colour: str, size: int = 10) -> QIcon:
    """A small rounded square of `colour` (the flag kind's colour on the timeline)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawRoundedRect(0, 0, size, size, 2, 2)
    p.end()
    return QIcon(pixmap)


def frames_text(start: int, stop: int) -> str:
    return f"{start}" if stop - start == 1 else f"{start}–{stop - 1}"


class DrivingCheckPanel(QWidget):
    flagChosen = Signal(object)  # core Flag
    holdToggled = Signal(bool)
    suggestedReferenceRequested = Signal()

    def __init__(self, model: DrivingCheckModel, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.document = model, document
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(1)
        self.list.setToolTip("Click a flag to jump to its first frame")
        self.reference = QLabel()
        self.reference.setWordWrap(True)
        self.reference.setObjectName("Hint")
        self.use_suggested = QPushButton("Use the suggested reference")
        self.use_suggested.setToolTip("Measure motion from the frame the check suggests (undoable)")
        self.hold = QCheckBox("Hold the last good frame over flagged frames")
        self.hold.setToolTip("Over frames flagged no face, small face, turned far or tracking glitch, show the "
                             "last good frame instead (in the viewer and in exports; a jump is a real cut "
                             "and is not held)")
        reference_row = QHBoxLayout()
        reference_row.setContentsMargins(0, 0, 0, 0)
        reference_row.addWidget(self.reference, 1)
        reference_row.addWidget(self.use_suggested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addWidget(self.list, 1)
        layout.addLayout(reference_row)
        layout.addWidget(self.hold)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        self.hold.toggled.connect(self.holdToggled)
        self.use_suggested.clicked.connect(self.suggestedReferenceRequested)
        model.checkChanged.connect(self.refresh)
        document.optionsChanged.connect(self._show_options)
        self.refresh()
        self._show_options(document.options)

    def refresh(self) -> None:
        check = self.model.check
        self.list.clear()
        if check is None:
            self.summary.setText(self.model.status)
            self.legend.setText("")
            self.reference.setText("")
            self.use_suggested.hide()
            return
        counts: dict[str, int] = {}
        for flag in check.flags:
            counts[flag.kind] = counts.get(flag.kind, 0) + 1
            where = f"frame {flag.start}" if flag.stop - flag.start == 1 else f"frames {frames_text(flag.start, flag.stop)}"
            item = QListWidgetItem(chip(FLAG_COLOURS[flag.kind]), f"{FLAG_LABELS[flag.kind]} · {where}\n{flag.message}")
            item.setToolTip(flag.message)
            item.setData(Qt.ItemDataRole.UserRole, flag)
            self.list.addItem(item)
        frames = int(check.mask().sum())
        if check.flags:
            self.summary.setText(f"{len(check.flags)} flag{'s' if len(check.flags) != 1 else ''} in "
                                 f"{check.frame_count} frames; {frames} can hold the last good frame.")
        else:
            self.summary.setText(f"No problems found in {check.frame_count} frames.")
        self.legend.setText("   ".join(
            f"<span style='color:{FLAG_COLOURS[kind]}'>■</span> {FLAG_LABELS[kind]} {count}"
            for kind, count in counts.items()
        ))
        suggestion = check.suggested_reference
        reference = check.reference_frame
        if reference is None:
            self.reference.setText("Reference: the portrait itself (a performance or keys).")
            self.use_suggested.hide()
        else:
            advice = "" if suggestion in (None, reference) else f"; the check suggests frame {suggestion}"
            self.reference.setText(f"Reference frame {reference}{advice}.")
            self.use_suggested.setVisible(suggestion is not None and suggestion != reference)
            if suggestion is not None:
                self.use_suggested.setText(f"Use frame {suggestion}")

    def _show_options(self, options: RenderOptions) -> None:
        self.hold.blockSignals(True)
        self.hold.setChecked(options.hold_flagged)
        self.hold.blockSignals(False)

    def _clicked(self, item: QListWidgetItem) -> None:
        flag = item.data(Qt.ItemDataRole.UserRole)
        if flag is not None:
            self.flagChosen.emit(flag)
