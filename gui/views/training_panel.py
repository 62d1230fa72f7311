"""The Train workspace: a simple mode first (a footage folder, a preset with the time it would take on
this machine, Start), every other field under Advanced; the latest sample grid first and large with a
plain line on whether the results still improve, the loss curves below it, and warnings that say what
to do (the perceptual loss: which VGG19 weights are in use and how to get them).

A thin view of `gui.models.training.TrainingModel`: user intents leave as signals (`edited(name,
value)`, `startRequested`, `simpleStartRequested`, ...), which the main window connects to the
`TrainingController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QDoubleValidator,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui import theme
from gui.controllers.dialogs import CHECKPOINT_FILTER
from gui.models.perceptual import PERCEPTUAL_LABELS, perceptual_status
from gui.models.training import CONFIGS_DIR, TrainingModel, count_noun, format_duration, improvement_verdict
from gui.models.training_presets import (
    PRESETS,
    MeasuredRate,
    estimate_text,
    measured_rate,
    preset,
    simple_folders,
)
from gui.views.icons import icon
from gui.views.loss_plot import DISCRIMINATOR_MIN_H, GENERATOR_MIN_H
from gui.views.widgets import Badge, SliderField, form_group, scroll_area, wrap

STATUS_BADGES = {
    "idle": ("Ready", "info"),
    "preparing": ("Preparing data", "info"),
    "starting": ("Starting", "info"),
    "running": ("Training", "ok"),
    "stopping": ("Saving checkpoint", "warning"),
    "paused": ("Paused", "warning"),
    "stopped": ("Stopped", "demo"),
    "finished": ("Finished", "ok"),
    "failed": ("Failed", "danger"),
}
LEVEL_COLOURS = {"checking": theme.DIM, "info": theme.DIM, "ok": theme.OK, "warning": theme.WARNING,
                 "danger": theme.DANGER}
RESOLUTIONS = (64, 128, 256, 512)
SAMPLE_COLUMNS = ("source", "driving", "result", "ground truth")
#: The setup fields edited in a spin box (the widget has the field's name).
SPIN_FIELDS = ("prep_size", "prep_every", "prep_max_frames", "batch_size", "steps", "checkpoint_every",
               "sample_every", "gpus")


class PathField(QWidget):
    """A path in a line edit with a browse button; `pathEdited` fires for user changes only."""

    pathEdited = Signal(str)

    def __init__(self, placeholder: str, title: str, kind: str = "dir", filters: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind, self.title, self.filters = kind, title, filters
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.browse = QToolButton()
        self.browse.setIcon(icon("open"))
        self.browse.setToolTip(title)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)
        self.edit.editingFinished.connect(self._edited)
        self.browse.clicked.connect(self._browse)
        self._last = ""

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, text: str) -> None:
        self._last = text
        if self.edit.text() != text:
            self.edit.setText(text)
            self.edit.setCursorPosition(0)
            self.edit.setToolTip(text)

    def _edited(self) -> None:
        text = self.path()
        if text != self._last:
            self._last = text
            self.pathEdited.emit(text)

    def _browse(self) -> None:
        start = self.path() or str(Path.home())
        if self.kind == "dir":
            chosen = QFileDialog.getExistingDirectory(self, self.title, start)
        else:
            chosen = QFileDialog.getOpenFileName(self, self.title, start, self.filters)[0]
        if chosen:
            self.edit.setText(chosen)
            self._edited()


class NumberField(QLineEdit):
    """A positive number typed as text (learning rates read best as 2e-05); `valueEdited` on a valid edit."""

    valueEdited = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        validator = QDoubleValidator(1e-12, 10.0, 12, self)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.setValidator(validator)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.editingFinished.connect(self._edited)
        self._value = 0.0

    def set_value(self, value: float) -> None:
        self._value = value
        self.setText(f"{value:g}")

    def _edited(self) -> None:
        try:
            value = float(self.text())
        except ValueError:
            self.set_value(self._value)
            return
        if value > 0 and value != self._value:
            self._value = value
            self.valueEdited.emit(value)


class SampleGrid(QWidget):
    """The trainer's sample grid (rows of source | driving landmarks | result | ground truth), scaled to
    fit under a caption per column."""

    HEADER = 30  # room for a caption on two lines ("ground / truth") when the columns are narrow
    MIN_HEIGHT = 220  # 4 rows of 47 px under readable captions: at 1280x720 the page scrolls rather than shrink it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self._scaled: QPixmap | None = None
        self.empty_text = "No sample yet"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(self.MIN_HEIGHT)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self._scaled = None
        self.update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.update()

    def sizeHint(self) -> QSize:
        """Its least height: the page's layout gives the grid its share of the room above that (a height
        for its width would make the scrolling page as tall as the grid is wide)."""
        return QSize(320, self.MIN_HEIGHT)

    def resizeEvent(self, event) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def image_rect(self) -> QRectF:
        available = QRectF(self.rect()).adjusted(0, self.HEADER, 0, 0)
        if self.image is None:
            return available
        scale = min(available.width() / self.image.width(), available.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF(available.x() + (available.width() - w) / 2, available.y(), w, h)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        rect = self.image_rect()
        if self.image is None:
            p.setPen(QColor(theme.DIM))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            p.end()
            return
        target = rect.toRect()
        if self._scaled is None or self._scaled.size() != target.size():
            self._scaled = QPixmap.fromImage(self.image.scaled(
                target.size(), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))
        p.drawPixmap(target.topLeft(), self._scaled)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        p.setFont(font)
        p.setPen(QColor(theme.DIM))
        column = rect.width() / len(SAMPLE_COLUMNS)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap
        metrics = p.fontMetrics()
        for i, name in enumerate(SAMPLE_COLUMNS):
            if max(metrics.horizontalAdvance(word) for word in name.split()) > column:  # narrow: not into the next
                name = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(column))
            p.drawText(QRectF(rect.x() + i * column, 0, column, self.HEADER - 2), flags, name)
        p.end()


def _hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("Hint")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _spin(minimum: int, maximum: int, step: int = 1, special: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setGroupSeparatorShown(True)
    spin.setKeyboardTracking(False)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    if special:
        spin.setSpecialValueText(special)
    return spin


class TrainingPanel(QWidget):
    edited = Signal(str, object)  # TrainingSetup field, value
    configFileChosen = Signal(str)
    startRequested = Signal()  # with the Advanced fields as they are
    simpleStartRequested = Signal()  # the simple mode: the preset on the footage folder
    pauseRequested = Signal()
    stopRequested = Signal()
    prepareRequested = Signal()
    cancelPrepareRequested = Signal()
    useCheckpointRequested = Signal()
    openRunFolderRequested = Signal()
    activated = Signal()  # first shown: the controller looks for the VGG19 weights, GPUs and this machine's speed

    def __init__(self, model: TrainingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.plot = None  # gui.views.loss_plot.LossPlot, built when the panel is first shown
        self._activated = False
        self._measured: dict[str, MeasuredRate | None] | None = None  # per preset (`_show_simple`)
        left_body = QWidget()
        left = QVBoxLayout(left_body)
        left.setContentsMargins(0, 0, 6, 0)
        left.setSpacing(8)
        left.addWidget(self._build_simple())
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced: dataset, run folder, model, losses, several GPUs")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = self._build_setup()
        self.advanced.setVisible(False)
        left.addWidget(self.advanced_toggle)
        left.addWidget(self.advanced)
        left.addStretch(1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        left_scroll = scroll_area(left_body)
        left_scroll.setMinimumWidth(left_body.minimumSizeHint().width() + 16)  # never clipped sideways
        self.splitter.addWidget(left_scroll)
        self.splitter.addWidget(self._build_monitor())
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([470, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.splitter, 1)
        self._buttons_checkpoint: Path | None = None  # the run's checkpoint when the buttons were last shown
        self._connect()
        self._fill_presets()
        model.setupChanged.connect(self._show_setup)
        model.statusChanged.connect(self._status_changed)
        model.progressChanged.connect(self._show_progress)
        model.curvesChanged.connect(self._curves_changed)
        model.sampleChanged.connect(self._show_sample)
        model.environmentChanged.connect(self._show_environment)
        model.runChanged.connect(self._show_run)
        model.prepareChanged.connect(self._show_prepare)
        model.startingModelChanged.connect(self._show_simple)
        model.startingModelChanged.connect(self._show_buttons)
        self._show_setup()
        self._show_environment()
        self._show_run()
        self._show_prepare()
        self._status_changed(model.status)
        self._show_progress()
        self._show_sample()

    # -- building ------------------------------------------------------------------------------------------
    def _build_simple(self) -> QWidget:
        box = QGroupBox("TRAIN A MODEL ON YOUR FOOTAGE")
        layout = QVBoxLayout(box)
        layout.setSpacing(6)
        step1 = QLabel("1. Footage")
        step1.setObjectName("Caption")
        self.footage = PathField("A folder of videos or photos…", "Choose the folder of videos and photos")
        self.footage.setToolTip("Videos or photos of the person (or people) to learn; a subfolder per person when "
                                "there are several. Clips without a face are skipped and listed.")
        self.footage_hint = _hint("Videos or photos of the face to learn, one face per clip. Nothing in the folder "
                                  "is changed.")
        step2 = QLabel("2. What to train")
        step2.setObjectName("Caption")
        self.preset_group = QButtonGroup(self)
        self.preset_buttons: dict[str, QRadioButton] = {}
        self.preset_estimates: dict[str, QLabel] = {}
        self.preset_starts: dict[str, QLabel] = {}  # where a preset that starts from the loaded model starts
        presets = QVBoxLayout()
        presets.setSpacing(2)
        for i, item in enumerate(PRESETS):
            button = QRadioButton(item.label)
            button.setToolTip(item.summary)
            estimate = QLabel()
            estimate.setContentsMargins(22, 0, 0, 0)
            presets.addWidget(button)
            presets.addWidget(estimate)
            about = _hint(item.summary)
            about.setContentsMargins(22, 0, 0, 0 if item.from_loaded_model else 6)
            presets.addWidget(about)
            if item.from_loaded_model:
                starts = QLabel()
                starts.setWordWrap(True)
                starts.setContentsMargins(22, 0, 0, 6)
                presets.addWidget(starts)
                self.preset_starts[item.key] = starts
            self.preset_group.addButton(button, i)
            self.preset_buttons[item.key] = button
            self.preset_estimates[item.key] = estimate
        step3 = QLabel("3. Start")
        step3.setObjectName("Caption")
        self.start_button = QPushButton(icon("play"), "Start training")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton(icon("pause"), "Pause")
        self.pause_button.setToolTip("Stop at the next step with a checkpoint; Resume continues the step count")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setToolTip("Stop at the next step with a checkpoint (the run can be resumed later)")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.start_button, 2)
        buttons.addWidget(self.pause_button, 1)
        buttons.addWidget(self.stop_button, 1)
        self.where = _hint()
        self.losses_in_use = QLabel()
        self.losses_in_use.setWordWrap(True)
        self.losses_advice = _hint()
        for widget in (step1, self.footage, self.footage_hint, step2):
            layout.addWidget(widget)
        layout.addLayout(presets)
        layout.addWidget(step3)
        layout.addLayout(buttons)
        for widget in (self.where, self.losses_in_use, self.losses_advice):
            layout.addWidget(widget)
        return box

    def _build_status(self) -> QWidget:
        status = QWidget()
        self.badge = Badge()
        self.headline = QLabel()
        font = QFont(self.headline.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.headline.setFont(font)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.badge)
        top.addWidget(self.headline, 1)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(8)
        self.rate = QLabel()
        self.message = _hint()
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        verdict_font = QFont(self.verdict.font())
        verdict_font.setPointSizeF(verdict_font.pointSizeF() * 1.1)
        self.verdict.setFont(verdict_font)
        layout = QVBoxLayout(status)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate)
        layout.addWidget(self.message)
        layout.addWidget(self.verdict)
        return status

    def _build_setup(self) -> QWidget:
        body = QWidget()
        # Dataset
        self.raw_dir = PathField("Folder of videos and photos…", "Choose the folder of videos and photos")
        self.raw_dir.setToolTip("identity/clip.mp4, identity/clip/0001.png (frame folders) or identity/photo.jpg")
        self.prep_size = _spin(32, 1024, 32)
        self.prep_size.setSuffix(" px")
        self.prep_size.setToolTip("Side of the aligned face crops stored in the dataset (at least the resolution)")
        self.prep_every = _spin(1, 100)
        self.prep_every.setToolTip("Keep every n-th frame of each video")
        self.prep_max_frames = _spin(0, 1_000_000, 10, "all")
        self.prep_max_frames.setToolTip("At most this many frames per video (all: every kept frame)")
        self.prepare_button = QPushButton("Prepare dataset")
        self.prepare_button.setToolTip("Find, align and crop the faces of every clip into the dataset folder "
                                       "(resumable: finished clips are kept)")
        self.cancel_prepare = QPushButton("Cancel")
        self.prepare_progress = QProgressBar()
        self.prepare_progress.setTextVisible(False)
        self.prepare_progress.setFixedHeight(8)
        self.prepare_report = _hint()
        self.dataset_dir = PathField("Prepared dataset folder…", "Choose the dataset folder")
        self.dataset_dir.setToolTip("A folder made by “Prepare dataset” (or `main.py preprocess`): what training reads")
        prep_buttons = QHBoxLayout()
        prep_buttons.setContentsMargins(0, 0, 0, 0)
        prep_buttons.addWidget(self.prepare_button, 1)
        prep_buttons.addWidget(self.cancel_prepare)
        data_box, data = form_group("DATASET")
        data.addRow("Footage", self.raw_dir)
        data.addRow("Dataset", self.dataset_dir)
        data.addRow("Crop size", self.prep_size)
        data.addRow("Every n-th frame", self.prep_every)
        data.addRow("Frames per video", self.prep_max_frames)
        data.addRow(wrap(prep_buttons))
        data.addRow(self.prepare_progress)
        data.addRow(self.prepare_report)

        # Run
        self.run_dir = PathField("Run folder…", "Choose the run folder")
        self.run_dir.setToolTip("Receives config.yaml, log.jsonl, samples/ and checkpoints/; a folder that "
                                "holds a run is resumed")
        self.run_info = _hint()
        run_box, run = form_group("RUN")
        run.addRow("Run folder", self.run_dir)
        run.addRow(self.run_info)

        # Model and optimiser
        self.preset = QComboBox()
        self.preset.setToolTip("A run config file (model and train sections); the fields below start from it")
        self.resolution = QComboBox()
        for value in RESOLUTIONS:
            self.resolution.addItem(f"{value} px", value)
        self.batch_size = _spin(1, 4096)
        self.batch_size.setToolTip("Pairs per step (per GPU with torchrun)")
        self.steps = _spin(1, 100_000_000, 100)
        self.steps.setToolTip("The step count to reach (a resumed run continues up to it)")
        self.lr_generator = NumberField()
        self.lr_generator.setToolTip("Adam learning rate of the generator (the paper: 2e-05)")
        self.lr_discriminator = NumberField()
        self.lr_discriminator.setToolTip("Adam learning rate of both discriminators (the paper: 1e-05)")
        self.checkpoint_every = _spin(0, 10_000_000, 100, "only at the end")
        self.checkpoint_every.setSuffix(" steps")
        self.checkpoint_every.setToolTip("Write a checkpoint every N steps (pause and stop always write one)")
        self.sample_every = _spin(0, 10_000_000, 10, "never")
        self.sample_every.setSuffix(" steps")
        self.sample_every.setToolTip("Render the sample grid every N steps (saved in samples/ and shown here)")
        self.init_from = PathField("New weights (or a checkpoint to start from)", "Choose the checkpoint to start from",
                                   "file", CHECKPOINT_FILTER)
        self.init_from.setToolTip("A new run whose generator starts from this checkpoint's (any checkpoint, a "
                                  "released model included), with its network and fresh discriminators: "
                                  "fine-tuning. Empty: new weights")
        model_box, form = form_group("MODEL AND OPTIMISER")
        form.addRow("Config", self.preset)
        form.addRow("Start from", self.init_from)
        form.addRow("Resolution", self.resolution)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Steps", self.steps)
        form.addRow("Generator LR", self.lr_generator)
        form.addRow("Discriminator LR", self.lr_discriminator)
        form.addRow("Checkpoint every", self.checkpoint_every)
        form.addRow("Sample every", self.sample_every)

        # Perceptual loss
        self.vgg_status = QLabel()
        self.vgg_status.setWordWrap(True)
        self.vgg_advice = _hint()
        self.fallback = QCheckBox("Allow the multi-scale L1 stand-in when VGG19 is missing")
        self.fallback.setToolTip("Without the VGG19 weights the content and local losses use a multi-scale L1 "
                                 "distance instead: NOT the paper's losses (recorded in the log and checkpoints)")
        self.vgg_file = PathField("VGG19 weights (default: found automatically)", "Choose the VGG19 weight file",
                                  "file", "VGG19 weights (*.pth *.pt *.bin);;All files (*)")
        loss_box, loss = form_group("PERCEPTUAL LOSS")
        loss.addRow(self.vgg_status)
        loss.addRow(self.vgg_advice)
        loss.addRow(self.fallback)
        loss.addRow("Weights", self.vgg_file)

        # Several GPUs
        self.gpu_info = _hint()
        self.gpus = _spin(2, 64)
        self.command = QPlainTextEdit()
        self.command.setReadOnly(True)
        self.command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command.setFixedHeight(92)
        self.command.setToolTip("Run this in a terminal, in the app's folder: the panel does not launch it")
        self.copy_command = QPushButton("Copy command")
        gpu_box, gpu = form_group("SEVERAL GPUS")
        gpu.addRow(self.gpu_info)
        gpu.addRow("GPUs", self.gpus)
        gpu.addRow(self.command)
        gpu.addRow(self.copy_command)

        self.setup_boxes = (data_box, run_box, model_box, loss_box)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        for box in (data_box, run_box, model_box, loss_box, gpu_box):
            layout.addWidget(box)
        return body

    def _build_monitor(self) -> QWidget:
        """The run's status on top and its actions at the bottom, always in view; between them the sample
        grid (first, the larger share) and the loss curves, scrolling when the window is too low for both."""
        self.sample_caption = _hint()
        self.sample = SampleGrid()
        sample = QGroupBox("LATEST SAMPLE")
        sample_layout = QVBoxLayout(sample)
        sample_layout.addWidget(self.sample_caption)
        sample_layout.addWidget(self.sample, 1)

        self.smoothing = SliderField(0.0, 0.99, 0.01)
        self.smoothing.set_value(0.6)
        self.smoothing.setToolTip("Exponential smoothing of the solid lines (the faint lines are the raw losses)")
        self.show_raw = QCheckBox("Raw")
        self.show_raw.setChecked(True)
        self.show_raw.setToolTip("Show each step's raw loss as a faint line under the smoothed one")
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing, 1)
        controls.addWidget(self.show_raw)
        self.plot_host = QVBoxLayout()
        self.plot_host.setContentsMargins(0, 0, 0, 0)
        self.plot_placeholder = _hint("The loss curves appear here.")
        self.plot_placeholder.setMinimumHeight(GENERATOR_MIN_H + DISCRIMINATOR_MIN_H)
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_host.addWidget(self.plot_placeholder)
        curves = QGroupBox("LOSS CURVES BY STEP (lower is better)")
        curves_layout = QVBoxLayout(curves)
        curves_layout.addLayout(self.plot_host, 1)
        curves_layout.addLayout(controls)  # under the curves: a low window shows the curves first

        self.checkpoint_label = QLabel()
        self.checkpoint_label.setWordWrap(True)
        self.use_checkpoint = QPushButton(icon("model"), "Use this checkpoint")
        self.use_checkpoint.setToolTip("Load the run's latest checkpoint into the viewer (training goes on)")
        self.open_folder = QPushButton(icon("open"), "Open run folder")
        checkpoint = QHBoxLayout()
        checkpoint.setContentsMargins(0, 0, 0, 0)
        checkpoint.addWidget(self.checkpoint_label, 1)
        checkpoint.addWidget(self.use_checkpoint)
        checkpoint.addWidget(self.open_folder)

        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.setSpacing(8)
        results_layout.addWidget(sample, 3)
        results_layout.addWidget(curves, 2)
        self.results_scroll = scroll_area(results)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self._build_status())
        layout.addWidget(self.results_scroll, 1)
        layout.addLayout(checkpoint)
        return body

    def _connect(self) -> None:
        self.start_button.clicked.connect(self._start)
        self.pause_button.clicked.connect(self.pauseRequested)
        self.stop_button.clicked.connect(self.stopRequested)
        self.prepare_button.clicked.connect(self.prepareRequested)
        self.cancel_prepare.clicked.connect(self.cancelPrepareRequested)
        self.use_checkpoint.clicked.connect(self.useCheckpointRequested)
        self.open_folder.clicked.connect(self.openRunFolderRequested)
        self.copy_command.clicked.connect(self._copy_command)
        self.advanced_toggle.toggled.connect(self.set_advanced)
        self.footage.pathEdited.connect(lambda text: self.edited.emit("raw_dir", text))
        self.preset_group.idClicked.connect(lambda i: self.edited.emit("preset", PRESETS[i].key))
        for name in ("raw_dir", "dataset_dir", "run_dir"):
            getattr(self, name).pathEdited.connect(lambda text, n=name: self.edited.emit(n, text))
        self.vgg_file.pathEdited.connect(lambda text: self.edited.emit("vgg_weights", text))
        self.init_from.pathEdited.connect(lambda text: self.edited.emit("init_from", text))
        for name in SPIN_FIELDS:
            getattr(self, name).valueChanged.connect(lambda value, n=name: self.edited.emit(n, int(value)))
        self.lr_generator.valueEdited.connect(lambda v: self.edited.emit("lr_generator", v))
        self.lr_discriminator.valueEdited.connect(lambda v: self.edited.emit("lr_discriminator", v))
        self.resolution.activated.connect(lambda i: self.edited.emit("resolution", self.resolution.itemData(i)))
        self.preset.activated.connect(self._preset_chosen)
        self.fallback.toggled.connect(lambda on: self.edited.emit("perceptual_fallback", "l1" if on else "none"))
        self.smoothing.valueEdited.connect(self._smoothing)
        self.show_raw.toggled.connect(self._raw)

    # -- modes ----------------------------------------------------------------------------------------------
    @property
    def advanced_open(self) -> bool:
        return self.advanced_toggle.isChecked()

    def set_advanced(self, on: bool) -> None:
        """Show the Advanced fields; Start then uses them as they are (no preset)."""
        if self.advanced_toggle.isChecked() != on:
            self.advanced_toggle.setChecked(on)
            return
        self.advanced.setVisible(on)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self._show_buttons()

    def _start(self) -> None:
        (self.startRequested if self.advanced_open else self.simpleStartRequested).emit()

    def save_state(self) -> QByteArray:
        """The page's layout (the splitter), for the user's settings."""
        return self.splitter.saveState()

    def restore_state(self, state: QByteArray) -> None:
        self.splitter.restoreState(state)

    # -- showing -------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._activated:
            self._activated = True
            QTimer.singleShot(0, self._first_shown)

    def _first_shown(self) -> None:
        self.build_plot()
        self.activated.emit()

    def build_plot(self) -> None:
        """Create the pyqtgraph curves (imports pyqtgraph: done once, when the panel is first shown)."""
        if self.plot is not None:
            return
        from gui.views.loss_plot import LossPlot

        self.plot = LossPlot()
        self.plot.set_smoothing(self.smoothing.value())
        self.plot.set_show_raw(self.show_raw.isChecked())
        self.plot_host.removeWidget(self.plot_placeholder)
        self.plot_placeholder.deleteLater()
        self.plot_host.addWidget(self.plot)
        self.plot.set_perceptual(self.model.run.perceptual)
        self.plot.set_history(self.model.run.history)

    def _show_setup(self) -> None:
        s = self.model.setup
        widgets = [self.raw_dir, self.dataset_dir, self.run_dir, self.vgg_file, self.prep_size, self.prep_every,
                   self.prep_max_frames, self.batch_size, self.steps, self.checkpoint_every, self.sample_every,
                   self.gpus, self.resolution, self.preset, self.fallback, self.lr_generator, self.lr_discriminator,
                   self.footage, self.preset_group, self.init_from]
        for widget in widgets:
            widget.blockSignals(True)
        self.init_from.set_path(s.init_from)
        self.raw_dir.set_path(s.raw_dir)
        self.footage.set_path(s.raw_dir)
        self.dataset_dir.set_path(s.dataset_dir)
        self.run_dir.set_path(s.run_dir)
        self.vgg_file.set_path(s.vgg_weights)
        for name in SPIN_FIELDS:
            getattr(self, name).setValue(getattr(s, name))
        self.lr_generator.set_value(s.lr_generator)
        self.lr_discriminator.set_value(s.lr_discriminator)
        index = self.resolution.findData(s.resolution)
        if index < 0:
            self.resolution.addItem(f"{s.resolution} px", s.resolution)
            index = self.resolution.count() - 1
        self.resolution.setCurrentIndex(index)
        self._select_preset(s.config_path)
        self.fallback.setChecked(s.perceptual_fallback == "l1")
        self.preset_buttons[preset(s.preset).key].setChecked(True)
        for widget in widgets:
            widget.blockSignals(False)
        self._show_command()
        self._show_losses_in_use()
        self._show_buttons()
        self._show_run_info()
        self._show_simple()

    def _show_simple(self) -> None:
        """The presets' time estimates on this machine and where a simple run is saved."""
        from core.paths import data_dir

        env, s, starting = self.model.environment, self.model.setup, self.model.starting_model
        vgg = env is not None and env.vgg_weights is not None
        device = env.device if env else ""
        if self._measured is None and env is not None:  # the past runs' rates: again only when one ended
            self._measured = {item.key: measured_rate(data_dir() / "training", item, device, vgg) for item in PRESETS}
        for item in PRESETS:
            resolution = starting.resolution if starting is not None else None
            measured = (self._measured or {}).get(item.key)
            text = estimate_text(item, env.speed if env else None, vgg, device, resolution, measured)
            self.preset_estimates[item.key].setText(text[0].upper() + text[1:] + ".")
        summary = self.model.run_summary
        for key, label in self.preset_starts.items():
            if s.preset == key and self._simple_resumes():
                origin = Path(summary.init_from).name if summary is not None and summary.init_from else ""
                label.setText("Start continues the fine-tune in its run folder" + (f", which started from {origin}"
                              if origin else "") + ". A fine-tune of another model needs that folder emptied first "
                              "(Advanced ▸ Run folder shows where).")
                label.setStyleSheet(f"color: {theme.TEXT};")
            elif starting is not None:
                label.setText(f"Starts from {starting.label}, loaded now. To fine-tune another model, load it "
                              "first (Model menu).")
                label.setStyleSheet(f"color: {theme.TEXT};")
            else:
                label.setText("No trained model is loaded: load the demo model or your checkpoint (Model menu) "
                              "first; fine-tuning starts from it.")
                label.setStyleSheet(f"color: {theme.WARNING};")
            label.setToolTip(str(starting.path) if starting is not None else "")
        if s.raw_dir:
            dataset, run = simple_folders(s.raw_dir, preset(s.preset), data_dir() / "training", self._starting())
            self.where.setText(f"The model and its samples are saved in {run.parent.name}/{run.name} under the "
                               "app's data folder (Advanced ▸ Run folder shows where).")
            self.where.setToolTip(f"Run folder: {run}\nPrepared footage: {dataset}")
        else:
            self.where.setText("Choose the footage folder, then Start: the faces are found and prepared first "
                               "(a few seconds per clip), then training begins.")

    def _fill_presets(self) -> None:
        """The shipped run configs, then "Other file…" (once; the user's own files join when chosen)."""
        for path in sorted(CONFIGS_DIR.glob("*.yaml")):
            self._add_preset(self.preset.count(), str(path))
        self.preset.addItem("Other file…", "")

    def _add_preset(self, index: int, path: str) -> None:
        self.preset.insertItem(index, Path(path).name, path)
        self.preset.setItemData(index, _first_comment(Path(path)) or path, Qt.ItemDataRole.ToolTipRole)

    def _select_preset(self, current: str) -> None:
        """Show the setup's config file, adding it (before "Other file…") when it is the user's own."""
        index = self.preset.findData(current)
        if index < 0 and current:
            index = self.preset.count() - 1
            self._add_preset(index, current)
        self.preset.setCurrentIndex(max(index, 0))

    def _preset_chosen(self, index: int) -> None:
        path = self.preset.itemData(index)
        if not path:
            chosen = QFileDialog.getOpenFileName(self, "Choose a run config", str(CONFIGS_DIR), "Run configs (*.yaml *.yml);;All files (*)")[0]
            if not chosen:
                self._show_setup()
                return
            path = chosen
        self.configFileChosen.emit(path)

    def _status_changed(self, status: str) -> None:
        self._show_run_info()
        text, level = STATUS_BADGES.get(status, (status, "info"))
        self.badge.set_badge(text, level, "")
        busy = self.model.busy
        for box in self.setup_boxes:
            box.setEnabled(not busy)
        for widget in (self.footage, *self.preset_buttons.values()):
            widget.setEnabled(not busy)
        self._show_buttons()
        self._show_losses_in_use()  # the run's progress follows: `set_status` emits progressChanged
        if not busy:  # a run that ended or stopped has logged its rate: the estimates use it
            self._measured = None
            self._show_simple()

    def _show_buttons(self) -> None:
        model = self.model
        status = model.status
        resumable = model.resumable
        if self.advanced_open:
            problem = model.start_problem()
            self.start_button.setText("Resume" if resumable else "Start")
            self.start_button.setToolTip(problem or ("Continue the run from its latest checkpoint" if resumable
                                                     else "Start a new run with the Advanced settings"))
        else:
            problem = self._simple_problem()
            if not self._simple_resumes():
                self.start_button.setText("Start training")
            elif model.run.step >= model.setup.steps:
                self.start_button.setText(f"Train {preset(model.setup.preset).steps:,} more steps")
            else:
                self.start_button.setText("Resume training")
            self.start_button.setToolTip(problem or "Prepare the footage (finished clips are reused), then train "
                                                    "the chosen preset")
        self.start_button.setEnabled(not problem)
        training = status in ("starting", "running")
        self.pause_button.setEnabled(training)
        self.stop_button.setEnabled(training or status == "paused")
        from_checkpoint = bool(model.setup.init_from) and not resumable
        self.resolution.setEnabled(not resumable and not from_checkpoint)
        self.preset.setEnabled(not resumable)
        self.init_from.setEnabled(not resumable)
        locked = "A resumed run keeps the network of its checkpoint: choose an empty run folder for a new one"
        started = "The run uses the network of the checkpoint it starts from"
        self.resolution.setToolTip(locked if resumable else started if from_checkpoint else "Side of the generated face crop")
        checkpoint = self._buttons_checkpoint = model.run.checkpoint
        self.use_checkpoint.setEnabled(checkpoint is not None and status != "stopping")
        self.open_folder.setEnabled(model.run.run_dir is not None or bool(model.setup.run_dir))
        self.prepare_button.setEnabled(not model.busy)
        self.cancel_prepare.setVisible(status == "preparing")

    def _simple_problem(self) -> str:
        """Why the simple Start cannot run now ("" when it can)."""
        model = self.model
        if model.busy:
            return "Training or footage preparation is already running."
        if not model.setup.raw_dir:
            return "Choose the folder of videos or photos first (step 1)."
        chosen = preset(model.setup.preset)
        if chosen.from_loaded_model and model.starting_model is None and not self._simple_resumes():
            return "Load a trained model first (the demo model or your checkpoint): fine-tuning starts from it."
        status = perceptual_status(model.environment, model.setup, model.run)
        if status.level == "danger" and chosen.config_path.name == "paper256.yaml":
            return status.headline
        return ""

    def _starting(self):
        """The loaded model when the chosen preset starts from it (its crop size names the dataset)."""
        return self.model.starting_model if preset(self.model.setup.preset).from_loaded_model else None

    def _simple_resumes(self) -> bool:
        from core.paths import data_dir

        s = self.model.setup
        if not (self.model.resumable and s.raw_dir and s.run_dir):
            return False
        run = simple_folders(s.raw_dir, preset(s.preset), data_dir() / "training", self._starting())[1]
        return Path(s.run_dir).expanduser() == run

    def _show_progress(self) -> None:
        model, run = self.model, self.model.run
        status = model.status
        if run.total:
            self.headline.setText(f"Step {_n(run.step)} of {_n(run.total)}")
            self.progress.setValue(round(1000 * min(1.0, run.step / run.total)))
        else:
            self.headline.setText("No run yet" if status == "idle" else "")
            self.progress.setValue(0)
        parts = []
        if status in ("running", "stopping") and run.steps_per_s > 0:
            parts.append(f"{run.steps_per_s:.2f} steps/s")
            eta = model.eta_s
            if eta is not None:
                parts.append(f"{format_duration(eta)} left")
        if run.device and status in ("starting", "running", "stopping"):
            parts.append(run.device)
        if run.holdout_l1 is not None:
            parts.append(f"held-out L1 {run.holdout_l1:.3f}")
        self.rate.setText(" · ".join(parts))
        self.rate.setVisible(bool(parts))
        self.message.setText(run.message)
        self.message.setVisible(bool(run.message))
        if run.checkpoint is not None:
            step = f" · step {_n(run.checkpoint_step)}" if run.checkpoint_step is not None else ""
            self.checkpoint_label.setText(f"Checkpoint: {run.checkpoint.name}{step}")
            self.checkpoint_label.setToolTip(str(run.checkpoint))
        else:
            self.checkpoint_label.setText("No checkpoint yet: pause, stop or the checkpoint interval writes one.")
        if run.checkpoint != self._buttons_checkpoint:
            self._show_buttons()  # a step wrote the run's first checkpoint: Use this checkpoint, Resume
        self._show_verdict()

    def _show_verdict(self) -> None:
        run = self.model.run
        if not len(run.history):
            self.verdict.setText("")
            self.verdict.setVisible(False)
            return
        level, text = improvement_verdict(run.history)
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {LEVEL_COLOURS.get(level, theme.TEXT)};")
        self.verdict.setVisible(True)

    def _show_losses_in_use(self) -> None:
        status = perceptual_status(self.model.environment, self.model.setup, self.model.run)
        colour = LEVEL_COLOURS[status.level]
        for label, advice in ((self.losses_in_use, self.losses_advice), (self.vgg_status, self.vgg_advice)):
            label.setText(status.headline)
            label.setStyleSheet(f"color: {colour};")
            advice.setText(status.advice)
            advice.setVisible(bool(status.advice))
        if self.plot is not None:
            self.plot.set_perceptual(status.kind)

    def _show_environment(self) -> None:
        env = self.model.environment
        self._measured = None  # device and losses decide which past runs count
        if env is None:
            self.fallback.setEnabled(True)
            self.gpu_info.setText("For a machine with several GPUs, this is the same run started with torchrun:")
        else:
            self.fallback.setEnabled(env.vgg_weights is None)
            self.fallback.setToolTip("Only used when the VGG19 weights are absent" if env.vgg_weights is not None
                                     else self.fallback.toolTip())
            if env.gpus > 1:
                self.gpu_info.setText(f"This machine has {env.gpus} GPUs. The panel trains on one; to train on "
                                      "all of them, run this command in a terminal (the panel does not launch it):")
            else:
                self.gpu_info.setText(f"Training here runs on {env.device}. On a machine with several GPUs, the "
                                      "same run is started with this command (not launched by the panel):")
        self._show_losses_in_use()
        self._show_buttons()
        self._show_simple()

    def _show_run(self) -> None:
        """A run folder was read: the curves, sample and progress follow (`curvesChanged`, ...)."""
        self._show_run_info()
        self._show_command()
        self._show_buttons()
        self._show_simple()

    def _show_run_info(self) -> None:
        model = self.model
        summary = model.run_summary
        if not model.setup.run_dir:
            text = "Choose an empty folder for a new run, or a run folder to continue it."
        elif model.training:
            text = "Training into this folder: config.yaml, log.jsonl, samples/ and checkpoints/."
        elif summary is None or Path(model.setup.run_dir).expanduser() != summary.run_dir:
            text = "Reading the run folder…"
        elif summary.holds_run or model.resumable:
            step = max(summary.step, model.run.step)
            total = f" of {_n(summary.total)}" if summary.total else ""
            network = f"{summary.config[0].resolution} px" if summary.config else "the network of its checkpoint"
            kind = PERCEPTUAL_LABELS.get(model.run.perceptual or summary.perceptual or "", "")
            text = (f"Holds a run at step {_n(step)}{total} ({network}{'; ' + kind if kind else ''}). Resume "
                    "continues it; an empty folder starts a new run.")
        else:
            text = "A new run: the folder receives config.yaml, log.jsonl, samples/ and checkpoints/."
        if summary is not None and summary.config_error and not model.training:
            text += f" Its config.yaml cannot be read: {summary.config_error}"
        self.run_info.setText(text)

    def _show_prepare(self) -> None:
        progress, report = self.model.prepare_progress, self.model.prepare_report
        self.prepare_progress.setVisible(progress is not None)
        if progress is not None:
            done, total, message = progress
            if total:
                self.prepare_progress.setRange(0, total)
                self.prepare_progress.setValue(done)
            else:
                self.prepare_progress.setRange(0, 0)
            text = f"Clip {done} of {total}: {message}" if total else message
            self.prepare_report.setText(text)
            self.footage_hint.setText(f"Preparing the footage: {text}")
        elif report is not None:
            lines = [f"{count_noun(report.clips, 'clip')}, {count_noun(report.frames, 'frame')} "
                     f"({report.new_clips} new, {report.reused_clips} done earlier) in "
                     f"{report.dataset_dir.name}."]
            if report.skipped:
                lines.append(f"Skipped {len(report.skipped)}:")
                lines += [f"• {source}: {reason}" for source, reason in report.skipped[:8]]
                if len(report.skipped) > 8:
                    lines.append(f"… and {len(report.skipped) - 8} more (see the dataset's manifest.json)")
            self.prepare_report.setText("\n".join(lines))
            self.footage_hint.setText("Footage ready: " + "\n".join(lines))
        else:
            self.prepare_report.setText("Prepare turns the footage folder into the dataset folder: aligned face "
                                        "crops and landmarks. Clips without a face are skipped and listed here.")
        self._show_buttons()

    def _show_command(self) -> None:
        command = self.model.torchrun_command()
        self.command.setPlainText(command or "Choose the dataset and run folders to see the command.")
        self.copy_command.setEnabled(bool(command))

    def _curves_changed(self) -> None:
        if self.plot is not None:
            if self.plot.history is not self.model.run.history:
                self.plot.set_history(self.model.run.history)
            else:
                self.plot.schedule_refresh()

    def _show_sample(self) -> None:
        run = self.model.run
        self.sample.set_image(run.sample)
        every = self.model.setup.sample_every
        self.sample.set_empty_text(f"The first sample grid appears at step {every}: each row is a portrait, the "
                                   "driving landmarks, the result and what it should look like." if every
                                   else "Sampling is off (Advanced ▸ Sample every).")
        if run.sample is not None and run.sample_step is not None:
            self.sample_caption.setText(f"Step {_n(run.sample_step)}: compare the result with the ground truth — "
                                        "the closer, the better the model")
        else:
            self.sample_caption.setText(f"Updates every {every} steps." if every else "")

    # -- small intents -------------------------------------------------------------------------------------
    def _copy_command(self) -> None:
        command = self.model.torchrun_command()
        if command:
            QGuiApplication.clipboard().setText(command)
            self.message.setText("Command copied: run it in a terminal, in the app's folder.")
            self.message.setVisible(True)

    def _smoothing(self, value: float) -> None:
        if self.plot is not None:
            self.plot.set_smoothing(value)

    def _raw(self, on: bool) -> None:
        if self.plot is not None:
            self.plot.set_show_raw(on)


def _n(value: int) -> str:
    """A count with thousands separated as the spin boxes show them: 12,000."""
    return f"{value:,}"


def _first_comment(path: Path) -> str:
    """The first comment line of a YAML file (what the preset is for)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("#"):
                    return line.lstrip("# ").strip()
                if line.strip():
                    return ""
    except OSError:
        return ""
    return ""
