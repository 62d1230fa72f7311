"""The batch dialog: portraits and drivers to pair (files, folders, the built-in performance), the folder
and format of the outputs, what they hold; then one progress bar with Cancel, and the pairs that failed
with their reasons. It renders with the current controls; the preview stays usable meanwhile."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import UserError
from gui.controllers.batch import BatchController, BatchRequest
from gui.controllers.dialogs import DRIVING_FILTER, IMAGE_FILTER
from gui.controllers.export import FORMAT_LABELS, LOOP_LABELS, PICTURE_LABELS
from gui.views.export_dialog import format_eta, keep_alpha_possible
from gui.views.icons import icon
from gui.views.widgets import choice_box, wrap

BUILTIN_LABEL = "Built-in performance"


class BatchDialog(QDialog):
    def __init__(self, controller: BatchController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Batch render")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(640)
        defaults = controller.default_request()

        self.sources = QListWidget()
        self.drivers = QListWidget()
        for widget in (self.sources, self.drivers):
            widget.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
            widget.setMinimumHeight(120)
        add_photos, add_photo_folder, remove_photos = (QPushButton(t) for t in ("Add photos…", "Add folder…", "Remove"))
        add_videos, add_driver_folder, add_builtin, remove_drivers = (
            QPushButton(t) for t in ("Add videos…", "Add folder…", "Built-in", "Remove")
        )
        add_driver_folder.setToolTip(
            "A folder of numbered frames is one driver (played at the rate below); any other folder adds "
            "the videos, performances and frame folders in it"
        )
        lists = QGridLayout()
        lists.addWidget(QLabel("Portraits"), 0, 0)
        lists.addWidget(QLabel("Drivers"), 0, 1)
        lists.addWidget(self.sources, 1, 0)
        lists.addWidget(self.drivers, 1, 1)
        lists.addWidget(wrap(_row(add_photos, add_photo_folder, remove_photos)), 2, 0)
        lists.addWidget(wrap(_row(add_videos, add_driver_folder, add_builtin, remove_drivers)), 2, 1)

        self.folder = QLineEdit(str(defaults.folder))
        browse = QPushButton("Browse…")
        self.format = choice_box(FORMAT_LABELS)
        self.picture = choice_box(PICTURE_LABELS)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1, 1000)
        self.fps.setDecimals(3)
        self.fps.setValue(defaults.fps)
        self.fps.setSuffix(" frames/s")
        self.frames = QComboBox()
        self.frames.addItem("Every driver whole", None)
        in_out = controller.in_out_range()
        if in_out is not None:
            last = "each driver's end" if in_out[1] is None else str(in_out[1] - 1)
            self.frames.addItem(f"The timeline's in-out range (frames {in_out[0]} to {last})", in_out)
            self.frames.setCurrentIndex(1)
        self.frames.setToolTip("The same frames of every driver; a driver shorter than the range ends early")
        self.loop = choice_box(LOOP_LABELS)
        self.loop.setToolTip("Every file a seamless loop of its frames' motion: crossfade or ping-pong")
        self.overwrite = QCheckBox("Render again the pairs whose file is already there")
        self.overwrite.setToolTip("Off: finished files are kept, so a stopped batch goes on where it stopped")
        form = QFormLayout()
        form.addRow("Save into", wrap(_row(self.folder, browse, stretch=0)))
        form.addRow("Format", self.format)
        form.addRow("Contents", self.picture)
        form.addRow("Frames", self.frames)
        form.addRow("Loop", self.loop)
        form.addRow("Frame folders play at", self.fps)
        form.addRow("", self.overwrite)

        self.summary = QLabel()
        self.summary.setObjectName("Hint")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)
        self.failures = QListWidget()
        self.failures.setToolTip("The pairs that could not be rendered, and why")
        self.failures.hide()
        self.start_button = QPushButton(icon("export"), "Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        self.open_button = QPushButton(icon("open"), "Open folder")
        self.open_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(lists)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.failures)
        layout.addLayout(buttons)

        add_photos.clicked.connect(self._ask_photos)
        add_photo_folder.clicked.connect(lambda: self._ask_folder(self.add_sources))
        remove_photos.clicked.connect(lambda: self._remove(self.sources))
        add_videos.clicked.connect(self._ask_videos)
        add_driver_folder.clicked.connect(lambda: self._ask_folder(self.add_drivers))
        add_builtin.clicked.connect(lambda: self.add_drivers(["builtin"]))
        remove_drivers.clicked.connect(lambda: self._remove(self.drivers))
        browse.clicked.connect(self._browse)
        for moved in (self.format, self.picture):
            moved.currentIndexChanged.connect(lambda _i, m=moved: keep_alpha_possible(self.format, self.picture, m))
        self.folder.textChanged.connect(self._update_summary)
        self.start_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self._cancel)
        self.open_button.clicked.connect(lambda: controller.open_folder(self.request().folder))
        controller.progressed.connect(self._progress)
        controller.succeeded.connect(self._succeeded)
        controller.failed.connect(self._stopped)
        controller.cancelled.connect(self._cancelled)
        self.add_sources(list(defaults.sources))
        self.add_drivers(list(defaults.drivings))

    # -- the lists -------------------------------------------------------------------------------------------
    def add_sources(self, paths: list[Path | str]) -> None:
        """Add portraits: photo files, or every photo of a folder."""
        from core.batch import source_inputs

        self._add(self.sources, paths, source_inputs)

    def add_drivers(self, paths: list[Path | str]) -> None:
        """Add drivers: videos, performances, ``builtin``, folders of numbered frames (one driver each),
        or every driver of another folder."""
        from core.batch import driving_inputs

        self._add(self.drivers, paths, driving_inputs)

    def _add(self, widget: QListWidget, paths: list[Path | str], expand) -> None:
        present = {widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())}
        try:
            entries = [str(entry) for path in paths for entry in expand(path)]
        except UserError as err:
            self.controller.ctx.dialogs.show_error("Cannot add that", str(err))
            return
        for entry in entries:
            if entry in present:
                continue
            present.add(entry)
            widget.addItem(BUILTIN_LABEL if entry == "builtin" else Path(entry).name)
            item = widget.item(widget.count() - 1)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            item.setToolTip(entry)
        self._update_summary()

    def _remove(self, widget: QListWidget) -> None:
        for item in widget.selectedItems():
            widget.takeItem(widget.row(item))
        self._update_summary()

    def _entries(self, widget: QListWidget) -> list[str]:
        return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())]

    def request(self) -> BatchRequest:
        start, stop = self.frames.currentData() or (0, None)  # every driver whole: no range
        return BatchRequest(
            sources=tuple(Path(p) for p in self._entries(self.sources)),
            drivings=tuple(self._entries(self.drivers)),
            folder=Path(self.folder.text().strip()).expanduser(),
            format=self.format.currentData(),
            picture=self.picture.currentData(),
            overwrite=self.overwrite.isChecked(),
            fps=self.fps.value(),
            quality=self.controller.ctx.settings.export_quality,
            start=start,
            stop=stop,
            loop=self.loop.currentData(),
        )

    def _update_summary(self) -> None:
        n_sources, n_drivers = self.sources.count(), self.drivers.count()
        files = n_sources * n_drivers
        self.summary.setText(
            f"{n_sources} portrait{'s' * (n_sources != 1)} × {n_drivers} driver{'s' * (n_drivers != 1)} = "
            f"{files} file{'s' * (files != 1)}, named <portrait>__<driver>, rendered with the current controls."
        )
        self.start_button.setEnabled(files > 0 and not self.controller.running)

    # -- file dialogs ----------------------------------------------------------------------------------------
    def _last_folder(self) -> str:
        return self.controller.ctx.settings.last_folder or ""

    def _ask_photos(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(self, "Add portraits", self._last_folder(), IMAGE_FILTER)
        self.add_sources(chosen)

    def _ask_videos(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(self, "Add drivers", self._last_folder(), DRIVING_FILTER)
        self.add_drivers(chosen)

    def _ask_folder(self, add) -> None:
        folder = self.controller.ctx.dialogs.ask_folder("Add a folder", self._last_folder())
        if folder is not None:
            add([folder])

    def _browse(self) -> None:
        folder = self.controller.ctx.dialogs.ask_folder("Save the batch into", self.folder.text().strip())
        if folder is not None:
            self.folder.setText(str(folder))

    # -- running -----------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self.controller.start(self.request()) is None:
            return
        self.start_button.setEnabled(False)
        self.open_button.hide()
        self.failures.clear()
        self.failures.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setText("Cancel")
        self.status.setText("Starting…")

    def _cancel(self) -> None:
        if self.controller.running:
            self.controller.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _progress(self, fraction: float, message: str, eta: float | None) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(f"{fraction * 100:.0f} %")
        self.status.setText(f"{message} · {format_eta(eta)}")

    def _succeeded(self, result) -> None:
        self.progress.setValue(1000)
        self.status.setText(result.summary().splitlines()[0])
        for outcome in result.failed:
            self.failures.addItem(f"{outcome.pair.name}: {outcome.reason}")
        self.failures.setVisible(bool(result.failed))
        self._idle()

    def _stopped(self, *_: object) -> None:
        self.progress.hide()
        self.status.setText("The batch stopped on an error")
        self._idle()

    def _cancelled(self) -> None:
        self.progress.hide()
        self.status.setText("Cancelled: finished files are kept, nothing half-written")
        self._idle()

    def _idle(self) -> None:
        self.cancel_button.setText("Close")
        self.open_button.show()
        self._update_summary()

    def reject(self) -> None:
        if self.controller.running:
            self.controller.cancel()
        super().reject()


def _row(*widgets: QWidget, stretch: int | None = None) -> QHBoxLayout:
    """Widgets side by side (the first stretched when ``stretch`` is 0, else a stretch at the end)."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for k, widget in enumerate(widgets):
        row.addWidget(widget, 1 if (stretch == 0 and k == 0) else 0)
    if stretch is None:
        row.addStretch(1)
    return row
