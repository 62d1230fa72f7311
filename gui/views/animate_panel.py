"""The Animate panel: every animatable control with a key button (`KeyedControl`), in groups: master
(strength, identity adaptation, smoothing), pose and expression on top of the driving motion, per-region
strengths, stabilisation. The top row names the active control (the one the key shortcuts act on) and
holds the key navigator, bound to the window's actions so tooltips and menus show the same keys.

It shows the document's options at the playhead; edits leave as intents (`edited`, `keyClicked`,
`activated`).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from core.animation.tracks import CONTROLS
from core.config import RenderOptions
from gui.models.animation import GROUPS, AnimationState, key_state, value_at
from gui.models.document import Document
from gui.views.keyed_control import KeyedControl
from gui.views.widgets import scroll_area

#: The window actions the navigator row shows, in order.
NAVIGATOR = ("previous_key", "key_control", "delete_key", "next_key")
GROUP_TIPS = {
    "master": "How much of the driver's motion the portrait takes on, whose face shape it keeps, and how "
              "steady the motion is",
    "pose": "Turns added to the driving motion, in degrees (or the only motion with keys alone)",
    "expression": "Expressions added to the driving motion; left and right are as seen in the picture",
    "regions": "How much of each part of the driver's motion the portrait takes on (above 100 % exaggerates)",
    "stabilise": "Lock the head's position, size or rotation to the reference frame: a driver walking toward "
                 "the camera no longer makes the head grow",
}  # fmt: skip


class AnimatePanel(QScrollArea):
    edited = Signal(str, float)  # control, value
    keyClicked = Signal(str)
    activated = Signal(str)

    def __init__(self, document: Document, state: AnimationState, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.state = document, state
        body = QWidget()
        scroll_area(body, self)
        self.active_label = QLabel()
        self.active_label.setObjectName("Hint")
        navigator = QHBoxLayout()
        navigator.setContentsMargins(0, 0, 0, 0)
        navigator.setSpacing(1)
        navigator.addWidget(self.active_label, 1)
        self.buttons: dict[str, QToolButton] = {}
        for name in NAVIGATOR:
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setAutoRaise(True)
            button.setIconSize(QSize(16, 16))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            navigator.addWidget(button)
            self.buttons[name] = button
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(8)
        layout.addLayout(navigator)
        self.rows: dict[str, KeyedControl] = {}
        for group, title in GROUPS:
            box = QGroupBox(title)
            box.setToolTip(GROUP_TIPS[group])
            rows = QVBoxLayout(box)
            rows.setSpacing(2)
            for spec in CONTROLS.values():
                if spec.group != group:
                    continue
                row = self.rows[spec.name] = KeyedControl(spec)
                row.setToolTip(GROUP_TIPS[group])
                row.edited.connect(self.edited)
                row.keyClicked.connect(self.keyClicked)
                row.activated.connect(self.activated)
                rows.addWidget(row)
            layout.addWidget(box)
        layout.addStretch(1)
        document.optionsChanged.connect(self.refresh)
        document.frameChanged.connect(self._frame_changed)
        state.activeChanged.connect(self._show_active)
        self.refresh()
        self._show_active(state.active)

    def refresh(self, *_: object) -> None:
        """Every row's value and key state at the playhead."""
        self._show(self.document.options, list(self.rows))

    def _frame_changed(self, _frame: int) -> None:
        options = self.document.options
        self._show(options, options.animation.names)  # only animated controls change with the frame

    def _show(self, options: RenderOptions, names) -> None:
        frame = self.document.current_frame
        for name in names:
            self.rows[name].show_value(value_at(options, name, frame), key_state(options, name, frame))

    def _show_active(self, name: str) -> None:
        for row_name, row in self.rows.items():
            row.set_active(row_name == name)
        self.active_label.setText(f"Active: {CONTROLS[name].label}")
        self.active_label.setToolTip("The control the key shortcuts act on (click a control to make it active)")
