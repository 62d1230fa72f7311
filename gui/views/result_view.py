"""The big viewer: the reenacted frame at the playhead, or source | driving | result side by side;
a notice bar that says plainly when there is no model (or an untrained one) and how to get one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui import theme
from gui.models.document import Document
from gui.models.model_state import ModelState
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.views.icons import icon, pixmap
from gui.views.image_canvas import ImageCanvas

UNTRAINED_BANNER = "UNTRAINED MODEL · NOT A FACE"


class ModelNotice(QFrame):
    """Shown above the viewer when no usable model is loaded."""

    chooseRequested = Signal()
    demoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelNotice")
        self.icon = QLabel()
        self.icon.setPixmap(pixmap("warning", 28))
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.choose = QPushButton(icon("model"), "Choose checkpoint…")
        self.demo = QPushButton("Use demo model")
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.title)
        texts.addWidget(self.text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(12)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(texts, 1)
        layout.addWidget(self.choose, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.demo, 0, Qt.AlignmentFlag.AlignVCenter)
        self.choose.clicked.connect(self.chooseRequested)
        self.demo.clicked.connect(self.demoRequested)

    def show_notice(self, title: str, text: str, level: str, demo_available: bool) -> None:
        colour = theme.LEVEL_COLOURS.get(level, theme.WARNING)
        self.setStyleSheet(
            f"QFrame#ModelNotice {{ background: #2d2a24; border: 1px solid {colour}; border-radius: 6px; }}"
            if level != "danger"
            else f"QFrame#ModelNotice {{ background: #33232a; border: 1px solid {colour}; border-radius: 6px; }}"
        )
        self.title.setText(title)
        self.text.setText(text)
        self.demo.setVisible(demo_available)
        self.show()


class ResultView(QWidget):
    def __init__(
        self,
        document: Document,
        scene: SceneModel,
        preview: PreviewModel,
        model_state: ModelState,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.scene, self.preview, self.model_state = document, scene, preview, model_state
        self.notice = ModelNotice()
        self.notice.hide()
        self.source_canvas = ImageCanvas()
        self.driving_canvas = ImageCanvas()
        self.result_canvas = ImageCanvas()
        self.source_canvas.set_empty_state("open-image", "No portrait", "")
        self.driving_canvas.set_empty_state("open-video", "No driving", "")
        self.result_canvas.set_empty_state(
            "image", "The animated portrait appears here", "Open a portrait and a driving video to begin."
        )
        self.source_canvas.set_caption("SOURCE")
        self.driving_canvas.set_caption("DRIVING")
        row = QHBoxLayout()
        row.setSpacing(4)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.source_canvas, 1)
        row.addWidget(self.driving_canvas, 1)
        row.addWidget(self.result_canvas, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.notice)
        layout.addLayout(row, 1)
        self.side_by_side = False
        self.set_side_by_side(False)
        preview.resultChanged.connect(self._show_result)
        preview.stateChanged.connect(self._show_state)
        preview.drivingFrameChanged.connect(self._show_driving)
        scene.sourceChanged.connect(self._show_source)
        model_state.changed.connect(self._show_model)
        self._show_model()
        self._show_state()

    def canvases(self) -> list[ImageCanvas]:
        return [self.source_canvas, self.driving_canvas, self.result_canvas]

    def set_side_by_side(self, on: bool) -> None:
        self.side_by_side = on
        self.source_canvas.setVisible(on)
        self.driving_canvas.setVisible(on)

    def set_show_landmarks(self, on: bool) -> None:
        for canvas in self.canvases():
            canvas.set_show_landmarks(on)

    def zoom_to_fit(self) -> None:
        for canvas in self.canvases():
            canvas.zoom_to_fit()

    def zoom_actual(self) -> None:
        for canvas in self.canvases():
            canvas.zoom_actual()

    # -- model bindings -------------------------------------------------------------------------------------
    def _show_result(self) -> None:
        frame = self.preview.result
        canvas = self.result_canvas
        canvas.set_image(frame.image if frame else None)
        canvas.set_landmarks(frame.landmarks if frame else None)
        if frame is None:
            canvas.set_caption("RESULT")
            return
        info = self.scene.driving_info
        when = ""
        if info is not None and info.fps > 0:
            when = f" · {format_timecode(frame.index / info.fps)}"
        canvas.set_caption(
            f"RESULT · FRAME {frame.index}",
            f"{frame.image.width()}×{frame.image.height()}{when} · "
            + ("from the cache" if frame.cached else f"rendered in {frame.render_ms:.0f} ms"),
        )

    def _show_state(self) -> None:
        pending = self.preview.pending_frame
        shown = self.preview.result.index if self.preview.result else None
        self.result_canvas.set_busy(f"Rendering frame {pending}…" if pending is not None and pending != shown else "")
        notice = self.preview.notice
        if notice and self.model_state.status in ("none", "error"):
            notice = ""  # the notice bar above says it, with buttons
        self.result_canvas.set_message(notice or None, "info")

    def _show_driving(self) -> None:
        frame = self.preview.driving_frame
        self.driving_canvas.set_image(frame.image if frame else None)
        self.driving_canvas.set_landmarks(frame.landmarks if frame else None)

    def _show_source(self) -> None:
        candidate = self.scene.source_candidate
        self.source_canvas.set_image(candidate.image if candidate else None)
        chosen = self.document.source.face_index if self.document.source else 0
        faces = candidate.faces if candidate else ()
        self.source_canvas.set_landmarks(faces[chosen].landmarks if chosen < len(faces) else None)

    def _show_model(self) -> None:
        from gui.demo import demo_available

        state = self.model_state
        info = state.info
        self.result_canvas.set_banner(UNTRAINED_BANNER if info is not None and info.random_weights else None)
        if state.status == "none":
            self.notice.show_notice("No model loaded", state.message, "warning", demo_available())
        elif state.status == "error":
            self.notice.show_notice("The model could not be loaded", state.message, "danger", demo_available())
        elif info is not None and info.random_weights:
            self.notice.show_notice(
                "Untrained network (random weights)",
                "This network was never trained: it renders noise, not a face. It is here to test the app. "
                "Choose a trained checkpoint to animate portraits.",
                "danger",
                demo_available(),
            )
        else:
            self.notice.hide()
        self._show_state()


def format_timecode(seconds: float) -> str:
    """hh:mm:ss.mmm"""
    millis = round(max(0.0, seconds) * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
