"""The controls: how the driving motion moves the portrait, and which model renders it, in plain words
(percentages, what the ends of a slider mean; tooltips for the rest)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.config import RenderOptions
from gui.models.document import Document
from gui.models.model_state import ModelState
from gui.views.icons import icon
from gui.views.widgets import Badge, SliderField, form_group, scroll_area, wrap


class ControlsPanel(QScrollArea):
    optionEdited = Signal(str, object)  # RenderOptions field, value
    referenceFromCurrent = Signal()
    referenceAutomatic = Signal()
    chooseCheckpoint = Signal()
    useDemoModel = Signal()
    useRandomWeights = Signal()
    unloadModel = Signal()
    detailsRequested = Signal()

    def __init__(self, document: Document, model_state: ModelState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.model_state = document, model_state
        body = QWidget()
        scroll_area(body, self)

        # Motion
        self.strength = SliderField(percent=True, ends=("still", "full motion"))
        self.strength.setToolTip(
            "How much of the driver's expressions and head motion the portrait takes on: 100 % follows them fully, "
            "0 % keeps the portrait still"
        )
        self.identity = SliderField(percent=True, ends=("portrait", "driver"))
        self.identity.setToolTip(
            "Whose face shape the animated face keeps: 0 % the portrait's own proportions, 100 % the driver's "
            "(identity adaptation)"
        )
        self.relative = QRadioButton("Relative")
        self.relative.setToolTip("The driver's motion measured from a reference frame and added to the portrait's "
                                 "own pose (recommended)")
        self.absolute = QRadioButton("Absolute")
        self.absolute.setToolTip("The driver's landmark positions as they are (the portrait takes the driver's pose)")
        group = QButtonGroup(self)
        group.addButton(self.relative)
        group.addButton(self.absolute)
        mode_row = QHBoxLayout()
        mode_row.setContentsMargins(0, 0, 0, 0)
        mode_row.addWidget(self.relative)
        mode_row.addWidget(self.absolute)
        mode_row.addStretch(1)
        self.reference_label = QLabel()
        self.reference_label.setWordWrap(True)
        self.reference_label.setObjectName("Hint")
        self.use_current = QPushButton(icon("reference"), "Use current frame")
        self.use_current.setToolTip("Measure motion relative to the driving frame at the playhead (R)")
        self.automatic = QPushButton("Automatic")
        self.automatic.setToolTip("Pick the driving frame whose pose is closest to the portrait's")
        ref_buttons = QHBoxLayout()
        ref_buttons.setContentsMargins(0, 0, 0, 0)
        ref_buttons.addWidget(self.use_current)
        ref_buttons.addWidget(self.automatic)
        ref_buttons.addStretch(1)
        motion, form = form_group("MOTION", align_labels=False)
        form.addRow("Motion strength", self.strength)
        form.addRow("Face shape", self.identity)
        form.addRow("Motion", wrap(mode_row))
        form.addRow("Reference", self.reference_label)
        form.addRow("", wrap(ref_buttons))

        # Smoothing and output
        self.smoothing = SliderField(percent=True, ends=("snappy", "steady"))
        self.smoothing.setToolTip("Smoothing of the driving motion over time: more removes jitter, less keeps quick "
                                  "movements")
        self.paste_back = QCheckBox("Paste back into the full photo")
        self.paste_back.setToolTip("Show (and export) the face pasted into the whole portrait instead of the face crop")
        finish, finish_form = form_group("FINISH", align_labels=False)
        finish_form.addRow("Smoothing", self.smoothing)
        finish_form.addRow(self.paste_back)

        # Model
        self.badge = Badge()
        self.model_name = QLabel()
        self.model_name.setWordWrap(True)
        self.model_details = QLabel()
        self.model_details.setObjectName("Hint")
        self.model_details.setWordWrap(True)
        self.choose = QPushButton(icon("model"), "Choose checkpoint…")
        self.choose.setToolTip("Load a trained checkpoint (.pt)")
        self.more = QToolButton()
        self.more.setText("More")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.more)
        self.demo_action = menu.addAction("Use the bundled demo model")
        self.random_action = menu.addAction("Use an untrained network (testing only)…")
        menu.addSeparator()
        self.unload_action = menu.addAction("Unload the model")
        menu.addSeparator()
        self.details_action = menu.addAction("Model details…")
        self.more.setMenu(menu)
        model_buttons = QHBoxLayout()
        model_buttons.setContentsMargins(0, 0, 0, 0)
        model_buttons.addWidget(self.choose, 1)
        model_buttons.addWidget(self.more)
        model = QGroupBox("MODEL")
        model_layout = QVBoxLayout(model)
        badge_row = QHBoxLayout()
        badge_row.addWidget(self.badge)
        badge_row.addStretch(1)
        model_layout.addLayout(badge_row)
        model_layout.addWidget(self.model_name)
        model_layout.addWidget(self.model_details)
        model_layout.addLayout(model_buttons)

        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(motion)
        layout.addWidget(finish)
        layout.addWidget(model)
        layout.addStretch(1)

        self.strength.valueEdited.connect(lambda v: self.optionEdited.emit("strength", v))
        self.identity.valueEdited.connect(lambda v: self.optionEdited.emit("identity_adaptation", v))
        self.smoothing.valueEdited.connect(lambda v: self.optionEdited.emit("smoothing", v))
        self.relative.toggled.connect(lambda on: on and self.optionEdited.emit("relative", True))
        self.absolute.toggled.connect(lambda on: on and self.optionEdited.emit("relative", False))
        self.paste_back.toggled.connect(lambda on: self.optionEdited.emit("paste_back", on))
        self.use_current.clicked.connect(self.referenceFromCurrent)
        self.automatic.clicked.connect(self.referenceAutomatic)
        self.choose.clicked.connect(self.chooseCheckpoint)
        self.demo_action.triggered.connect(self.useDemoModel)
        self.random_action.triggered.connect(self.useRandomWeights)
        self.unload_action.triggered.connect(self.unloadModel)
        self.details_action.triggered.connect(self.detailsRequested)
        document.optionsChanged.connect(self.show_options)
        model_state.changed.connect(self.show_model)
        self.show_options(document.options)
        self.show_model()

    def show_options(self, options: RenderOptions) -> None:
        self.strength.set_value(options.strength)
        self.identity.set_value(options.identity_adaptation)
        self.smoothing.set_value(options.smoothing)
        for name, field in (("strength", self.strength), ("identity_adaptation", self.identity),
                            ("smoothing", self.smoothing)):  # keyed: its curve rules (Animate panel)
            field.setEnabled(options.animation.curve(name) is None)
        for widget, on in ((self.relative, options.relative), (self.absolute, not options.relative), (self.paste_back, options.paste_back)):
            widget.blockSignals(True)
            widget.setChecked(on)
            widget.blockSignals(False)
        if not options.relative:
            self.reference_label.setText("Not used in absolute mode")
        elif options.reference_frame is None:
            self.reference_label.setText("Automatic: the driving frame closest to the portrait's pose")
        else:
            self.reference_label.setText(f"Frame {options.reference_frame}")
        self.automatic.setEnabled(options.reference_frame is not None)
        self.use_current.setEnabled(True)

    def show_model(self) -> None:
        from gui.demo import demo_available

        state = self.model_state
        text, level, tooltip = state.badge
        self.badge.set_badge(text, level, tooltip)
        info = state.info
        if info is not None:
            self.model_name.setText(info.name)
            quality = ("Demo quality: trained on one person, it mostly moves your photo and paints only inside "
                       "the mouth. Load or train a model for production work."
                       if info.is_demo else f"{info.resolution} px face detail")
            self.model_details.setText(f"{quality}\nTechnical details: More ▸ Model details…")
        elif state.status == "loading":
            self.model_name.setText(f"Loading {state.loading_what}…")
            self.model_details.setText("Torch and the face backends load in the background.")
        else:
            self.model_name.setText("No model loaded")
            self.model_details.setText("Nothing can be rendered until a trained checkpoint is loaded.")
        self.demo_action.setEnabled(demo_available())
        self.unload_action.setEnabled(info is not None)
