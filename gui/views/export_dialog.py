"""The export dialog: format, file, frame range, crop or full photo, size, quality, what the file holds
(the animated photo, the head over transparency, or layers) and a seamless loop; then a progress bar
with ETA and Cancel, and an offer to open the folder when it is done."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.config import MAX_OUTPUT_SIZE
from core.render.geometry import MAX_CROP_SIZE
from gui.controllers.export import (
    FORMAT_LABELS,
    LOOP_LABELS,
    PICTURE_LABELS,
    ExportController,
    ExportSettings,
    export_format_of,
    with_format,
)
from gui.views.icons import icon
from gui.views.widgets import choice_box, wrap

CUSTOM_SIZE = -1  # the size combo's entry that enables the pixel field

SIZES = (("Native size", None), ("512 px (longest side)", 512), ("1024 px (longest side)", 1024), ("1920 px (longest side)", 1920),
         ("Custom", CUSTOM_SIZE))


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s left" if seconds >= 60 else f"{seconds} s left"


def keep_alpha_possible(fmt: QComboBox, picture: QComboBox, moved: QComboBox) -> None:
    """MP4 carries no alpha: when the `moved` combo makes it MP4 with the head over transparency, the other
    one gives way (the contents to the animated photo, or the format to MOV, whose ProRes 4444 keeps alpha)."""
    if fmt.currentData() != "mp4" or picture.currentData() != "alpha":
        return
    if moved is picture:
        fmt.setCurrentIndex(list(FORMAT_LABELS).index("mov"))
    else:
        picture.setCurrentIndex(list(PICTURE_LABELS).index("composite"))


class ExportDialog(QDialog):
    def __init__(self, controller: ExportController, crop_size: tuple[int, int], photo_size: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Export")
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(520)
        defaults = controller.default_settings()
        count = controller.ctx.scene.frame_count

        self.format = choice_box(FORMAT_LABELS)
        self.path = QLineEdit(str(defaults.target))
        browse = QPushButton("Browse…")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.start = QSpinBox()
        self.end = QSpinBox()
        for spin in (self.start, self.end):
            spin.setRange(0, max(0, count - 1))
        self.start.setValue(defaults.start)
        self.end.setValue(max(0, defaults.stop - 1))
        all_button = QPushButton("All")
        from_here = QPushButton("From playhead")
        range_row = QHBoxLayout()
        range_row.addWidget(QLabel("from"))
        range_row.addWidget(self.start)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.end)
        range_row.addWidget(all_button)
        range_row.addWidget(from_here)
        range_row.addStretch(1)
        self.crop = QRadioButton(f"Face crop ({crop_size[0]}×{crop_size[1]})")
        self.full = QRadioButton(f"Pasted into the full photo ({photo_size[0]}×{photo_size[1]})")
        group = QButtonGroup(self)
        group.addButton(self.crop)
        group.addButton(self.full)
        (self.full if defaults.paste_back else self.crop).setChecked(True)
        framing = QVBoxLayout()
        framing.addWidget(self.crop)
        framing.addWidget(self.full)
        self.size = QComboBox()
        for label, value in SIZES:
            self.size.addItem(label, value)
        self.size.setToolTip("Longest side of the output. Native: the photo's own size pasted back, or the face's "
                             "own size in the photo for a crop")
        self.custom_size = QSpinBox()
        self.custom_size.setRange(16, MAX_OUTPUT_SIZE)
        self.custom_size.setValue(1280)
        self.custom_size.setSuffix(" px")
        self.custom_size.setToolTip(f"Longest side in pixels: up to {MAX_CROP_SIZE} for the face crop, "
                                    f"{MAX_OUTPUT_SIZE} pasted into the photo")
        size_row = QHBoxLayout()
        size_row.addWidget(self.size, 1)
        size_row.addWidget(self.custom_size)
        self.quality = QSlider(Qt.Orientation.Horizontal)
        self.quality.setRange(0, 100)
        self.quality.setValue(defaults.quality)
        self.quality_label = QLabel()
        quality_row = QHBoxLayout()
        quality_row.addWidget(self.quality, 1)
        quality_row.addWidget(self.quality_label)
        self.picture = choice_box(PICTURE_LABELS)
        self.picture.setToolTip(
            "For compositing: the head over transparency carries the renderer's own matte (MOV, WebM, "
            "WebP, GIF, PNG; MP4 cannot); layers add <name>_face and <name>_matte beside the file"
        )
        self.loop = choice_box(LOOP_LABELS)
        self.loop.setToolTip(
            "Crossfade: the motion after the loop's end fades into its start; ping-pong: forwards then "
            "back. Either way the last frame meets the first."
        )
        self.loop_length = QSpinBox()
        self.loop_length.setRange(1, 100_000)
        self.loop_length.setSpecialValueText("auto")  # 1 (the minimum): as long as the range allows
        self.loop_length.setSuffix(" frames")
        self.loop_length.setToolTip("Frames in the loop (auto: as long as the range allows)")
        loop_row = QHBoxLayout()
        loop_row.addWidget(self.loop, 1)
        loop_row.addWidget(self.loop_length)
        self.note = QLabel()
        self.note.setObjectName("Hint")
        self.note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Save to", wrap(path_row))
        form.addRow("Frames", wrap(range_row))
        form.addRow("Framing", wrap(framing))
        form.addRow("Size", wrap(size_row))
        form.addRow("Quality", wrap(quality_row))
        form.addRow("Contents", self.picture)
        form.addRow("Loop", wrap(loop_row))

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.eta = QLabel()
        self.eta.setObjectName("Hint")
        self.export_button = QPushButton(icon("export"), "Export")
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton(icon("open"), "Open containing folder")
        self.open_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.eta, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)

        self.format.currentIndexChanged.connect(self._format_changed)
        self.size.currentIndexChanged.connect(self._size_changed)
        self.full.toggled.connect(self._size_changed)
        self._size_changed()
        self.picture.currentIndexChanged.connect(self._picture_changed)
        self.loop.currentIndexChanged.connect(self._update_note)
        self.loop_length.valueChanged.connect(self._update_note)
        self.quality.valueChanged.connect(self._update_note)
        self.start.valueChanged.connect(self._update_note)
        self.end.valueChanged.connect(self._update_note)
        browse.clicked.connect(self._browse)
        all_button.clicked.connect(lambda: (self.start.setValue(0), self.end.setValue(max(0, count - 1))))
        from_here.clicked.connect(lambda: self.start.setValue(min(controller.ctx.document.current_frame, max(0, count - 1))))
        self.export_button.clicked.connect(self._export)
        self.cancel_button.clicked.connect(self._cancel)
        self.open_button.clicked.connect(controller.open_folder)
        controller.progressed.connect(self._progress)
        controller.succeeded.connect(self._succeeded)
        controller.failed.connect(self._stopped)
        controller.cancelled.connect(self._cancelled)
        self.format.setCurrentIndex(list(FORMAT_LABELS).index(export_format_of(defaults.target)))
        self._update_note()

    def settings(self) -> ExportSettings:
        start, end = self.start.value(), self.end.value()
        return ExportSettings(
            target=Path(self.path.text().strip()).expanduser(),
            start=min(start, end),
            stop=max(start, end) + 1,
            paste_back=self.full.isChecked(),
            quality=self.quality.value(),
            output_size=self.output_size(),
            picture=self.picture.currentData(),
            loop=self.loop.currentData(),
            loop_length=self.loop_length.value() if self.loop_length.value() > 1 else None,
        )

    def output_size(self) -> int | None:
        """The longest side asked for (None: native), the custom field's when "Custom" is chosen."""
        value = self.size.currentData()
        return self.custom_size.value() if value == CUSTOM_SIZE else value

    def _size_changed(self) -> None:
        """The pixel field is for "Custom"; its bound follows the framing (a crop is at most 2048 px)."""
        self.custom_size.setEnabled(self.size.currentData() == CUSTOM_SIZE)
        self.custom_size.setMaximum(MAX_OUTPUT_SIZE if self.full.isChecked() else MAX_CROP_SIZE)

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        text = self.path.text().strip()
        if text:
            self.path.setText(str(with_format(Path(text), fmt)))
        self.quality.setEnabled(fmt not in ("png", "mov"))  # PNG is lossless, ProRes has fixed rates
        keep_alpha_possible(self.format, self.picture, moved=self.format)
        self._update_note()

    def _picture_changed(self) -> None:
        keep_alpha_possible(self.format, self.picture, moved=self.picture)
        self._update_note()

    def _update_note(self) -> None:
        fmt = self.format.currentData()
        self.quality_label.setText({"png": "lossless", "mov": "ProRes"}.get(fmt, f"{self.quality.value()}"))
        frames = abs(self.end.value() - self.start.value()) + 1
        info = self.controller.ctx.scene.driving_info
        seconds = frames / info.fps if info and info.fps else 0
        notes = {
            "mp4": "H.264 video; carries the driving video's sound for this range.",
            "mov": "ProRes for editors (4444 with alpha); carries the driving video's sound.",
            "webm": "VP9 video (with alpha when asked); carries the driving video's sound.",
            "png": "A folder of numbered PNG frames (no sound).",
            "gif": "An animated GIF (256 colours, 1-bit transparency, no sound).",
            "webp": "An animated WebP (8-bit alpha, no sound).",
        }
        picture = {
            "composite": "",
            "alpha": " The head over transparency: its alpha is the renderer's matte.",
            "layers": " Also <name>_face (head over transparency) and <name>_matte, frame-aligned.",
        }[self.picture.currentData()]
        loop = self.loop.currentData()
        self.loop_length.setEnabled(loop is not None)
        looped = f" A seamless {loop} loop, silent." if loop else ""
        self.note.setText(
            f"{frames} frames ({seconds:.1f} s). {notes[fmt]}{picture}{looped} Exports are tagged as synthetic."
        )

    def _browse(self) -> None:
        fmt = self.format.currentData()
        current = self.path.text().strip()
        if fmt == "png":
            chosen = QFileDialog.getSaveFileName(self, "Folder for the PNG frames", current, "Folder name (*)")[0]
        else:
            chosen = QFileDialog.getSaveFileName(self, "Export to", current, f"{fmt.upper()} (*.{fmt})")[0]
        if chosen:
            self.path.setText(str(with_format(Path(chosen), fmt)))

    def _export(self) -> None:
        handle = self.controller.start(self.settings())
        if handle is None:
            return
        self.export_button.setEnabled(False)
        self.open_button.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.eta.setText("Starting…")

    def _cancel(self) -> None:
        if self.controller.running:
            self.controller.cancel()
            self.eta.setText("Cancelling…")
        else:
            self.reject()

    def _progress(self, done: int, total: int, eta: float | None) -> None:
        self.progress.setValue(round(1000 * done / total) if total else 0)
        self.progress.setFormat(f"{done} / {total} frames")
        self.eta.setText(format_eta(eta))

    def _succeeded(self, result) -> None:
        self.progress.setValue(1000)
        self.eta.setText(f"Done: {result.frames} frames in {result.seconds:.1f} s → {Path(result.output).name}")
        self.export_button.setEnabled(True)
        self.open_button.show()
        self.cancel_button.setText("Close")

    def _stopped(self, *_: object) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.eta.setText("Export failed")

    def _cancelled(self) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.eta.setText("Cancelled: nothing was written")

    def reject(self) -> None:
        if self.controller.running:
            self.controller.cancel()
        super().reject()
