"""The viewer: the reenacted frame at the playhead, compared with the portrait at the same framing
(before / after, or a wipe with a line to drag); zoom levels (Fit, 50, 100, 200 %, and pan) with the
level shown; zoom to the face; landmark outlines; the face mask's size and softness and the model- vs
full-resolution comparison (when the renderer offers them); the model's quality in artist terms; and a
notice bar that says plainly when there is no model (or an untrained one) and how to get one."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from core.config import RenderOptions
from gui import theme
from gui.models.document import Document
from gui.models.model_state import ModelState
from gui.models.preview import PreviewModel
from gui.models.scene import SceneModel
from gui.models.timecode import format_timecode
from gui.views.icons import icon, pixmap
from gui.views.image_canvas import ImageCanvas
from gui.views.landmark_overlay import face_box
from gui.views.widgets import SliderField

UNTRAINED_BANNER = "UNTRAINED MODEL · NOT A FACE"
#: The zoom menu: (label, zoom; None fits the view).
ZOOM_LEVELS: tuple[tuple[str, float | None], ...] = (("Fit", None), ("50 %", 0.5), ("100 %", 1.0), ("200 %", 2.0))
#: The renderer's options the viewer edits, when `RenderOptions` has them (the full-resolution renderer).
MASK_FIELDS = ("mask_scale", "mask_feather", "synthesis")


def has_option(name: str) -> bool:
    return name in {f.name for f in dataclasses.fields(RenderOptions)}


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


class QualityCaption(QToolButton):
    """The model's quality in artist terms ("Demo quality · 128 px"), with the details, a better
    checkpoint and training one click away."""

    detailsRequested = Signal()
    chooseRequested = Signal()
    trainRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIcon(icon("warning"))
        menu = QMenu(self)
        menu.addAction("Model details…", self.detailsRequested)
        menu.addAction(icon("model"), "Choose a better checkpoint…", self.chooseRequested)
        menu.addAction("Train a model on your footage…", self.trainRequested)
        self.setMenu(menu)
        self.full = self.short = ""
        self.setStyleSheet(f"QToolButton {{ color: {theme.DEMO}; font-weight: 600; background: rgba(20, 21, 23, 215); "
                           f"border: 1px solid {theme.DEMO}; border-radius: 10px; padding: 3px 10px; }}")

    def show_line(self, text: str, short: str = "") -> None:
        """`text`, or `short` when the viewer is too narrow for it (`fit`)."""
        self.full, self.short = text, short or text
        self.setText(text)
        self.setToolTip(f"{text}\nClick for the model's details, a better checkpoint or training." if text else "")
        self.setVisible(bool(text))

    def fit(self, width: int) -> None:
        """The long line when it fits in `width` pixels, else the short one."""
        wanted = self.full if self.fontMetrics().horizontalAdvance(self.full) + 60 <= width else self.short
        if wanted != self.text():
            self.setText(wanted)


class ResultView(QWidget):
    optionEdited = Signal(str, object)  # RenderOptions field, value (mask size and softness, resolution)

    def __init__(
        self,
        document: Document,
        scene: SceneModel,
        preview: PreviewModel,
        model_state: ModelState,
        actions: dict[str, QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.scene, self.preview, self.model_state = document, scene, preview, model_state
        self.compare_mode = "result"
        self.playing = False
        self.notice = ModelNotice()
        self.notice.hide()
        self.canvas = ImageCanvas()
        self.canvas.set_empty_state(
            "image", "The animated portrait appears here", "Open a portrait and a driving video to begin."
        )
        self.canvas.compare_labels = ("PORTRAIT", "RESULT")
        self.canvas.show_landmark_legend = True
        self.quality = QualityCaption(self.canvas)  # over the viewer's bottom-left corner
        self.canvas.installEventFilter(self)
        self.header = self._build_header(actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.notice)
        layout.addWidget(self.canvas, 1)
        self.canvas.zoomChanged.connect(self._show_zoom)
        preview.resultChanged.connect(self._show_result)
        preview.stateChanged.connect(self._show_state)
        preview.beforeChanged.connect(self._show_before)
        document.frameChanged.connect(self._show_caption)
        model_state.changed.connect(self._show_model)
        document.optionsChanged.connect(self._show_options)
        self._show_model()
        self._show_state()
        self._show_options(document.options)

    # -- building --------------------------------------------------------------------------------------------
    def _tool(self, action: QAction, text: bool = True) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly if text else Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.setAutoRaise(True)
        return button

    def _build_header(self, actions: dict[str, QAction]) -> QWidget:
        header = QWidget()
        row = QHBoxLayout(header)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.compare_buttons = {}
        for mode in ("result", "before", "wipe"):
            self.compare_buttons[mode] = button = self._tool(actions[f"compare_{mode}"])
            row.addWidget(button)
        row.addSpacing(8)
        self.zoom = QComboBox()
        for label, value in ZOOM_LEVELS:
            self.zoom.addItem(label, value)
        self.zoom.setToolTip("Viewer zoom: Fit (F), 50 %, 100 % (1), 200 % (2); the wheel zooms at the pointer, "
                             "drag to pan")
        self.zoom.setMinimumContentsLength(5)
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("Hint")
        self.zoom_label.setToolTip("Screen pixels per image pixel")
        row.addWidget(self.zoom)
        row.addWidget(self.zoom_label)
        row.addSpacing(4)
        self.zoom_face = self._tool(actions["zoom_face"])
        self.zoom_face.setText("Face")
        row.addWidget(self.zoom_face)
        self.landmarks_button = self._tool(actions["landmarks"], text=False)
        row.addWidget(self.landmarks_button)
        row.addSpacing(8)
        self.resolution_button = QToolButton()
        self.resolution_button.setCheckable(True)
        self.resolution_button.setAutoRaise(True)
        self.resolution_button.setToolTip("Full resolution (the photo's own detail) or the network's resolution at the "
                                          "same framing: toggle to see what the renderer adds")
        row.addWidget(self.resolution_button)
        self.mask_button = QToolButton()
        self.mask_button.setText("Mask")
        self.mask_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.mask_button.setAutoRaise(True)
        self.mask_button.setToolTip("The region that moves with the head, and how soft its edge is")
        self.mask_button.setMenu(self._mask_menu())
        row.addWidget(self.mask_button)
        row.addStretch(1)
        self.zoom.activated.connect(self._zoom_chosen)
        self.resolution_button.toggled.connect(lambda on: self.optionEdited.emit("full_resolution", not on))
        return header

    def _mask_menu(self) -> QMenu:
        menu = QMenu(self)
        body = QWidget()
        form = QFormLayout(body)
        form.setContentsMargins(12, 10, 12, 10)
        self.mask_scale = SliderField(0.5, 2.0, 0.05, percent=True, ends=("smaller", "larger"))
        self.mask_scale.setToolTip("How much of the photo moves with the face: 100 % is the face and the head around "
                                   "it; less keeps more of the photo still")
        self.mask_feather = SliderField(0.0, 1.0, 0.01, percent=True, ends=("hard", "soft"))
        self.mask_feather.setToolTip("How gradually the moving region blends into the still photo")
        self.synthesis = SliderField(0.0, 1.0, 0.01, percent=True, ends=("warp only", "all of it"))
        self.synthesis.setToolTip("How much of what the model paints beyond moving the photo is shown (the "
                                  "inside of a mouth, what a turn reveals); at 0 % the photo's own pixels, moved")
        form.addRow("Region that moves", self.mask_scale)
        form.addRow("Edge softness", self.mask_feather)
        form.addRow("Model's painting", self.synthesis)
        body.setMinimumWidth(360)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(body)
        menu.addAction(holder)
        self.mask_scale.valueEdited.connect(lambda v: self.optionEdited.emit("mask_scale", v))
        self.mask_feather.valueEdited.connect(lambda v: self.optionEdited.emit("mask_feather", v))
        self.synthesis.valueEdited.connect(lambda v: self.optionEdited.emit("synthesis", v))
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self._place_quality()
        return False

    def _place_quality(self) -> None:
        """Bottom left of the viewer, the long line when it fits beside the result's info (bottom right)."""
        info = self.canvas.fontMetrics().horizontalAdvance(self.canvas.info) + 16 if self.canvas.info else 0
        self.quality.fit(self.canvas.width() - info - 40)
        self.quality.adjustSize()
        self.quality.move(10, self.canvas.height() - self.quality.height() - 10)

    # -- viewer state ---------------------------------------------------------------------------------------
    def canvases(self) -> list[ImageCanvas]:
        return [self.canvas]

    def set_compare(self, mode: str) -> None:
        """"result", "before" (the portrait at the result's framing) or "wipe" (portrait | result)."""
        self.compare_mode = mode
        self.canvas.set_compare(self.preview.before, mode)
        self._show_result()

    def set_playing(self, playing: bool) -> None:
        """During playback the transport follows the frame on screen, so the caption needs no "showing"
        and no "Rendering frame N…" pill flickers beside it; paused, both say when the picture is
        not the playhead's frame yet."""
        if playing != self.playing:
            self.playing = playing
            self._show_caption()
            self._show_state()

    def set_show_landmarks(self, on: bool) -> None:
        self.canvas.set_show_landmarks(on)

    def zoom_to_fit(self) -> None:
        self.canvas.zoom_to_fit()

    def zoom_actual(self) -> None:
        self.canvas.zoom_actual()

    def set_zoom(self, zoom: float) -> None:
        self.canvas.set_zoom(zoom)

    def zoom_to_face(self) -> None:
        """Fill the viewer with the face of the result on screen (its landmarks give the box)."""
        frame = self.preview.result
        box = face_box(frame.landmarks if frame is not None else None)
        if box is not None:
            self.canvas.zoom_to_box(box)

    def _zoom_chosen(self, index: int) -> None:
        value = self.zoom.itemData(index)
        if value is None:
            self.canvas.zoom_to_fit()
        elif isinstance(value, float):
            self.canvas.set_zoom(value)

    def _show_zoom(self, zoom: float) -> None:
        """The zoom menu names the level on screen; the label says the exact magnification."""
        if self.canvas.fitting:
            index = 0
        else:
            index = next((i for i, (_, v) in enumerate(ZOOM_LEVELS) if v is not None and abs(v - zoom) < 1e-3), -1)
        custom = self.zoom.count() > len(ZOOM_LEVELS)
        if index < 0:
            text = f"{zoom * 100:.0f} %"
            if custom:
                self.zoom.setItemText(len(ZOOM_LEVELS), text)
            else:
                self.zoom.addItem(text, "custom")
            index = len(ZOOM_LEVELS)
        elif custom:
            self.zoom.removeItem(len(ZOOM_LEVELS))
        self.zoom.setCurrentIndex(index)
        self.zoom_label.setText(f"{self.canvas.current_zoom() * 100:.0f} %" if self.canvas.fitting else "")

    # -- model bindings -------------------------------------------------------------------------------------
    def _show_result(self) -> None:
        frame = self.preview.result
        self.canvas.set_image(frame.image if frame else None)
        self.canvas.set_landmarks(frame.landmarks if frame else None)
        self._show_caption()

    def _show_caption(self, *_: object) -> None:
        """What is on screen: the frame of the picture (the playhead's, or "SHOWING FRAME N · PLAYHEAD M"
        while paused before its render arrives), its size, timecode and render time."""
        frame = self.preview.result
        canvas = self.canvas
        if frame is None:
            canvas.set_caption("RESULT")
            return
        info = self.scene.driving_info
        when = f" · {format_timecode(frame.index, info.fps)}" if info is not None and info.fps > 0 else ""
        if canvas.comparing and self.compare_mode == "before":
            what = "PORTRAIT"
        elif canvas.comparing:
            what = "PORTRAIT | RESULT"
        else:
            what = "RESULT"
        playhead = min(self.document.current_frame, max(0, self.scene.frame_count - 1))
        if self.playing or frame.index == playhead:
            caption = f"{what} · FRAME {frame.index}"
        else:
            caption = f"{what} · SHOWING FRAME {frame.index} · PLAYHEAD {playhead}"
        canvas.set_caption(
            caption,
            f"{frame.image.width()}×{frame.image.height()}{when} · "
            + ("from the cache" if frame.cached else f"rendered in {frame.render_ms:.0f} ms"),
        )
        if self.quality.isVisible():
            self._place_quality()

    def _show_before(self) -> None:
        self.canvas.set_compare(self.preview.before)
        self._show_result()

    def _show_state(self) -> None:
        pending = self.preview.pending_frame
        shown = self.preview.result.index if self.preview.result else None
        rendering = pending is not None and pending != shown and not self.playing
        self.canvas.set_busy(f"Rendering frame {pending}…" if rendering else "")
        notice = self.preview.notice
        if notice and self.model_state.status in ("none", "error"):
            notice = ""  # the notice bar above says it, with buttons
        self.canvas.set_message(notice or None, "info")

    def _show_options(self, options: RenderOptions) -> None:
        available = [has_option(name) for name in MASK_FIELDS]
        self.mask_button.setVisible(all(available))
        if all(available):
            self.mask_scale.set_value(options.mask_scale)
            self.mask_feather.set_value(options.mask_feather)
            self.synthesis.set_value(options.synthesis)
        self.resolution_button.setVisible(has_option("full_resolution"))
        if has_option("full_resolution"):
            model_res = not options.full_resolution
            self.resolution_button.blockSignals(True)
            self.resolution_button.setChecked(model_res)
            self.resolution_button.blockSignals(False)
            self.resolution_button.setText("Model res" if model_res else "Full res")

    def _show_model(self) -> None:
        from gui.demo import demo_available

        state = self.model_state
        info = state.info
        self.canvas.set_banner(UNTRAINED_BANNER if info is not None and info.random_weights else None)
        self.quality.show_line(*state.quality_lines)
        self._place_quality()
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
