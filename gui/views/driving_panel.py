"""The driving panel: the driving video frame (or a performance drawn as landmarks) at the playhead,
analysis progress, and which face drives when the video shows several: picked by its rank in a list,
or by clicking it on the frame (`facePicked`: the frame and the click in the video's pixels)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.controllers.dialogs import VIDEO_SUFFIXES
from gui.models.document import Document
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.views.icons import icon
from gui.views.image_canvas import FaceBox, ImageCanvas
from gui.views.landmark_overlay import face_box


def is_driving_path(path: Path) -> bool:
    """A video, a performance file, or a folder of numbered frames (an image-sequence driver)."""
    if path.is_dir():
        from core.video.image_sequence import is_image_sequence

        return is_image_sequence(path)
    return path.suffix.lower() in VIDEO_SUFFIXES or path.name.lower().endswith(".json")


class DrivingPanel(QWidget):
    openRequested = Signal()
    builtinRequested = Signal()
    fileDropped = Signal(object)
    faceChosen = Signal(int)
    facePicked = Signal(int, float, float)  # frame, x, y in the video's pixels: follow the face clicked there
    cancelRequested = Signal()

    def __init__(self, scene: SceneModel, document: Document, preview: PreviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene, self.document, self.preview = scene, document, preview
        self.canvas = ImageCanvas(accepts=is_driving_path)
        self.canvas.setMinimumHeight(110)
        self.canvas.landmark_style = "dashed"  # tracked in the video; the viewer's solid lines are the result
        self.canvas.set_empty_state(
            "open-video",
            "Open a driving video…",
            "Drop a video or a performance file here. The motion of its face animates the portrait.",
        )
        self.open_button = QPushButton(icon("open-video"), "Open…")
        self.open_button.setToolTip("Open a driving video or performance (Ctrl+D)")
        self.builtin_button = QPushButton("Built-in")
        self.builtin_button.setToolTip("Drive with the built-in performance (no video needed)")
        self.face_picker = QComboBox()
        self.face_picker.setToolTip("Which face in the video drives the portrait (or click a face in the frame)")
        self.landmarks = QCheckBox("Landmarks")
        self.landmarks.setToolTip("Show the tracked landmarks on the driving frame")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop analysing this video")
        self.status = QLabel()
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)

        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self._progress_row = QWidget()
        self._progress_row.setLayout(progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.open_button)
        row.addWidget(self.builtin_button)
        row.addWidget(self.face_picker, 1)
        row.addStretch(0)
        row.addWidget(self.landmarks)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self._progress_row)
        layout.addLayout(row)
        layout.addWidget(self.status)

        self.open_button.clicked.connect(self.openRequested)
        self.builtin_button.clicked.connect(self.builtinRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.canvas.fileDropped.connect(self.fileDropped)
        self.face_picker.activated.connect(self._face_item_chosen)
        self.canvas.pointClicked.connect(self._clicked)
        self.landmarks.toggled.connect(self.canvas.set_show_landmarks)
        scene.drivingChanged.connect(self.refresh)
        document.drivingChanged.connect(self.refresh)
        preview.drivingFrameChanged.connect(self._show_frame)
        self.refresh()

    def _show_frame(self) -> None:
        frame = self.preview.driving_frame
        self.canvas.set_image(frame.image if frame else None)
        self.canvas.set_landmarks(frame.landmarks if frame else None)
        box = face_box(frame.landmarks if frame is not None else None, margin=0.08)  # the face that drives
        info, spec = self.scene.driving_info, self.document.driving
        several = info is not None and info.faces_in_video > 1 and spec is not None
        if spec is not None and spec.anchor is not None:
            label = "clicked face (tracked)"
        else:
            label = f"face {spec.face_index + 1} (tracked)" if several else "tracked face"
        self.canvas.set_faces([FaceBox(box, label, True)] if box is not None else [])
        info = self.scene.driving_info
        if frame is not None and info is not None and info.kind == "video" and frame.index in info.no_face_frames:
            self.canvas.set_caption("NO FACE IN THIS FRAME")
        else:
            self.canvas.set_caption("")

    def _face_item_chosen(self, item: int) -> None:
        index = self.face_picker.itemData(item)
        if isinstance(index, int) and index >= 0:  # not the clicked face's own item
            self.faceChosen.emit(index)

    def _clicked(self, spot: QPointF) -> None:
        """A click on the shown frame (maybe a scaled-down proxy) becomes a point in the video's pixels."""
        frame, info, image = self.preview.driving_frame, self.scene.driving_info, self.canvas.image
        if frame is None or info is None or info.kind != "video" or image is None or image.width() <= 0:
            return
        scale = info.frame_size[0] / image.width()
        self.facePicked.emit(frame.index, (spot.x() + 0.5) * scale - 0.5, (spot.y() + 0.5) * scale - 0.5)

    def refresh(self) -> None:
        scene, spec = self.scene, self.document.driving
        info = scene.driving_info
        working = scene.driving_status in ("loading", "analysing")
        self._progress_row.setVisible(working)
        self.progress.setValue(round(scene.driving_progress * 1000))
        self.progress.setFormat(scene.driving_message or "%p%")
        self.cancel_button.setVisible(scene.driving_status == "analysing")
        count = info.faces_in_video if info else 0
        self.face_picker.blockSignals(True)
        self.face_picker.clear()
        for i in range(count):
            self.face_picker.addItem(f"Face {i + 1}{' (largest)' if i == 0 else ''} drives", i)
        chosen = spec.face_index if spec else 0
        anchor = spec.anchor if spec is not None else None
        if spec is not None and chosen >= count > 0 and anchor is None:
            self.face_picker.addItem(f"Face {chosen + 1} drives", chosen)
        if anchor is not None:  # the face clicked on a frame (its rank there is `chosen`)
            self.face_picker.addItem(f"Clicked face (frame {anchor.frame}) drives", -1)
            self.face_picker.setCurrentIndex(self.face_picker.count() - 1)
        else:
            self.face_picker.setCurrentIndex(min(chosen, self.face_picker.count() - 1))
        self.face_picker.blockSignals(False)
        self.face_picker.setVisible(count > 1 or chosen > 0 or anchor is not None)
        video = info is not None and info.kind == "video" and scene.driving_status == "ready"
        self.canvas.points_clickable = video and (count > 1 or anchor is not None)
        if scene.driving_status == "error":
            self.canvas.set_image(None)
            self.canvas.set_message(scene.driving_message, "danger")
            self.status.setText("")
            return
        self.canvas.set_message(None)
        if scene.driving_status == "empty":
            self.canvas.set_image(None)
        if info is None:
            self.status.setText(scene.driving_message if working else "")
            return
        if info.kind == "video":
            w, h = info.frame_size
            missing = info.frame_count - info.frames_with_face
            text = f"{info.name} · {info.frame_count} frames · {info.fps_text} · {w}×{h}"
            if missing:
                text += f" · no face in {missing} frame{'s' if missing != 1 else ''}"
            if info.bad_frames:
                text += f" · {len(info.bad_frames)} damaged"
            if self.canvas.points_clickable:
                text += " · click a face in the frame to make it drive"
        else:
            text = f"{info.name} · {info.frame_count} frames · {info.fps_text} · performance"
        self.status.setText(text)
