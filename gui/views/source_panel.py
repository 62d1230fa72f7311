"""The source panel: the portrait with its faces (click one, or use the picker), landmarks on demand,
and a clear message when no face is found."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.faces.image_io import IMAGE_SUFFIXES
from gui import theme
from gui.models.document import Document
from gui.models.scene import SceneModel
from gui.views.icons import icon
from gui.views.image_canvas import FaceBox, ImageCanvas


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class SourcePanel(QWidget):
    openRequested = Signal()
    fileDropped = Signal(object)
    faceChosen = Signal(int)
    landmarksToggled = Signal(bool)

    def __init__(self, scene: SceneModel, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene, self.document = scene, document
        self.canvas = ImageCanvas(accepts=is_image_path)
        self.canvas.setMinimumHeight(120)
        self.canvas.set_empty_state(
            "open-image",
            "Open a portrait…",
            "Drop a photo here or click Open. A face seen from the front, at least 80 px wide, works best.",
        )
        self.open_button = QPushButton(icon("open-image"), "Open…")
        self.open_button.setToolTip("Open a portrait photo (Ctrl+O)")
        self.face_picker = QComboBox()
        self.face_picker.setToolTip("Which face in the photo to animate (or click a face)")
        self.landmarks = QCheckBox("Landmarks")
        self.landmarks.setToolTip("Show the 68 detected landmarks")
        self.status = QLabel()
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)

        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.open_button)
        row.addWidget(self.face_picker, 1)
        row.addStretch(0)
        row.addWidget(self.landmarks)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)

        self.open_button.clicked.connect(self.openRequested)
        self.canvas.fileDropped.connect(self.fileDropped)
        self.canvas.faceClicked.connect(self.faceChosen)
        self.face_picker.activated.connect(self.faceChosen)
        self.landmarks.toggled.connect(self._toggle_landmarks)
        scene.sourceChanged.connect(self.refresh)
        document.sourceChanged.connect(self.refresh)
        self.refresh()

    def _toggle_landmarks(self, on: bool) -> None:
        self.canvas.set_show_landmarks(on)
        self.landmarksToggled.emit(on)

    def refresh(self) -> None:
        scene, spec = self.scene, self.document.source
        candidate = scene.source_candidate
        chosen = spec.face_index if spec else 0
        self.canvas.set_image(candidate.image if candidate else None)
        faces = candidate.faces if candidate else ()
        labels = [f"{i + 1}" for i in range(len(faces))]
        self.canvas.set_faces(
            [FaceBox(tuple(float(v) for v in f.box), labels[i] if len(faces) > 1 else "", i == chosen) for i, f in enumerate(faces)]
        )
        self.canvas.set_landmarks(faces[chosen].landmarks if chosen < len(faces) else None)
        self.face_picker.blockSignals(True)
        self.face_picker.clear()
        for i, face in enumerate(faces):
            size = int(face.width)
            self.face_picker.addItem(f"Face {i + 1}{' (largest)' if i == 0 else ''} · {size} px")
        if 0 <= chosen < len(faces):
            self.face_picker.setCurrentIndex(chosen)
        self.face_picker.blockSignals(False)
        self.face_picker.setVisible(len(faces) > 1)
        busy = {"loading": "Finding faces…", "preparing": "Preparing…"}.get(scene.source_status, "")
        self.canvas.set_busy(busy)
        if scene.source_status == "error":
            self.canvas.set_message(scene.source_message, "danger")
            self.status.setText("")
        else:
            self.canvas.set_message(None)
            if candidate is not None:
                h, w = candidate.photo.shape[:2]
                count = len(faces)
                self.status.setText(f"{candidate.name} · {w}×{h} · {count} face{'s' if count != 1 else ''}")
            else:
                self.status.setText("")
        self.status.setStyleSheet(f"color: {theme.DIM};")
