"""A picture viewer: zoom to fit (or any zoom, with panning, or onto a box), overlays (face boxes,
landmark outlines with their legend), a second picture at the same framing to compare with (before /
after, or a wipe with a line to drag), a caption, an empty state that says what to do, and
drag-and-drop of files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui import theme
from gui.views.icons import pixmap
from gui.views.landmark_overlay import legend_rect, paint_legend, paint_outlines

#: Up to this many screen pixels a magnified image is smoothly resampled (a 128 px result fitted to the
#: view looks like a photo, not a mosaic); beyond it (a large image zoomed far in) nearest pixels.
SMOOTH_UPSCALE_MAX_PIXELS = 4_000_000
#: A press this close to the wipe line (screen pixels) drags the line rather than the picture.
WIPE_GRAB_PX = 12
#: The landmark legend's bottom-left corner: under the caption.
LEGEND_CORNER = QPointF(10, 58)
CompareMode = str  # "result" (the image), "before" (the compare image) or "wipe" (both, split by a line)


@dataclass(frozen=True)
class FaceBox:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    label: str
    chosen: bool


class ImageCanvas(QWidget):
    fileDropped = Signal(object)  # Path
    faceClicked = Signal(int)
    pointClicked = Signal(QPointF)  # a click (no drag) on the picture, in its pixels, while `points_clickable`
    zoomChanged = Signal(float)  # the zoom on screen (1.0: one image pixel per screen pixel)
    wipeMoved = Signal(float)  # the wipe line, as a fraction of the image width

    def __init__(self, parent: QWidget | None = None, accepts: Callable[[Path], bool] | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)
        self.setMouseTracking(True)
        self._image: QImage | None = None
        self._scaled: QPixmap | None = None
        self._scaled_for: tuple[int, int, int] | None = None
        self._fit = True
        self._zoom = 1.0
        self._pan = QPointF(0, 0)
        self._drag_from: QPointF | None = None
        self.points_clickable = False  # clicks on the picture are `pointClicked` (a face to pick there)
        self._press_at: QPointF | None = None
        self._boxes: list[FaceBox] = []
        self._landmarks: np.ndarray | None = None
        self.show_landmarks = False
        self.landmark_style = "solid"  # "solid": the result; "dashed": tracked in the driving video
        self.show_landmark_legend = False
        self.compare_image: QImage | None = None
        self.compare_mode: CompareMode = "result"
        self.compare_labels = ("BEFORE", "AFTER")
        self.wipe = 0.5  # the wipe line as a fraction of the image width
        self._compare_scaled: QPixmap | None = None
        self._compare_for: tuple[int, int, int] | None = None
        self._dragging_wipe = False
        self.caption = ""
        self.info = ""
        self.busy_text = ""
        self.banner: tuple[str, str] | None = None  # (text, level) drawn across the top of the image
        self.message: tuple[str, str] | None = None  # (text, level) drawn in the middle
        self.empty = ("image", "Nothing here yet", "")
        self._accepts = accepts
        self._drop_hover = False
        self.setAcceptDrops(accepts is not None)

    # -- content -------------------------------------------------------------------------------------------
    @property
    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        if image is self._image:
            return
        size_changed = (image is None) != (self._image is None) or (
            image is not None and self._image is not None and image.size() != self._image.size()
        )
        self._image = image
        self._scaled = None
        if size_changed and not self._fit:
            self._pan = QPointF(0, 0)
        self.update()
        if size_changed:
            self.zoomChanged.emit(self.current_zoom())

    def set_faces(self, boxes: Sequence[FaceBox]) -> None:
        self._boxes = list(boxes)
        self.update()

    def set_landmarks(self, landmarks: np.ndarray | None) -> None:
        self._landmarks = None if landmarks is None else np.asarray(landmarks, np.float32)
        if self.show_landmarks:
            self.update()

    def set_show_landmarks(self, show: bool) -> None:
        self.show_landmarks = show
        self.update()

    def set_compare(self, image: QImage | None, mode: CompareMode | None = None) -> None:
        """The picture to compare with (drawn at the result's framing and size) and how to show it."""
        if image is not self.compare_image:
            self.compare_image = image
            self._compare_scaled = None
        if mode is not None:
            self.compare_mode = mode
        self.update()

    def set_wipe(self, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction != self.wipe:
            self.wipe = fraction
            self.wipeMoved.emit(fraction)
            self.update()

    @property
    def comparing(self) -> bool:
        """A compare picture is on screen (before / after or wipe)."""
        return self.compare_mode != "result" and self.compare_image is not None and self._image is not None

    def set_caption(self, caption: str, info: str = "") -> None:
        if (caption, info) != (self.caption, self.info):
            self.caption, self.info = caption, info
            self.update()

    def set_busy(self, text: str) -> None:
        if text != self.busy_text:
            self.busy_text = text
            self.update()

    def set_banner(self, text: str | None, level: str = "danger") -> None:
        self.banner = (text, level) if text else None
        self.update()

    def set_message(self, text: str | None, level: str = "info") -> None:
        value = (text, level) if text else None
        if value != self.message:
            self.message = value
            self.update()

    def set_empty_state(self, icon_name: str, title: str, hint: str) -> None:
        self.empty = (icon_name, title, hint)
        self.update()

    def set_accepts(self, accepts: Callable[[Path], bool] | None) -> None:
        """Which dropped files this canvas takes (None: no drops)."""
        self._accepts = accepts
        self.setAcceptDrops(accepts is not None)

    # -- zoom ------------------------------------------------------------------------------------------------
    @property
    def fitting(self) -> bool:
        return self._fit

    def zoom_to_fit(self) -> None:
        self._fit, self._pan = True, QPointF(0, 0)
        self.zoomChanged.emit(self.current_zoom())
        self.update()

    def zoom_actual(self) -> None:
        self.set_zoom(1.0)

    def set_zoom(self, zoom: float, keep: QPointF | None = None) -> None:
        """Show image pixels `zoom` times larger; the image point under `keep` (widget coordinates; the
        centre when None) stays where it is."""
        old = self._target_rect()
        self._fit = False
        new_zoom = min(max(zoom, 0.05), 16.0)
        if self._image is not None and not old.isEmpty():
            anchor = keep if keep is not None else QPointF(self.rect().center())
            spot = QPointF((anchor.x() - old.x()) / old.width(), (anchor.y() - old.y()) / old.height())
            self._zoom = new_zoom
            self._pan = QPointF(0, 0)
            base = self._target_rect()
            self._pan = QPointF(anchor.x() - (base.x() + spot.x() * base.width()),
                                anchor.y() - (base.y() + spot.y() * base.height()))
        self._zoom = new_zoom
        self.zoomChanged.emit(self._zoom)
        self.update()

    def zoom_to_box(self, box: tuple[float, float, float, float], fill: float = 0.7) -> None:
        """Zoom and pan so that `box` (x0, y0, x1, y1 in image pixels) fills `fill` of the view, centred."""
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        x0, y0, x1, y1 = box
        if self._image is None or area.isEmpty() or x1 <= x0 or y1 <= y0:
            return
        self._fit = False
        self._zoom = min(max(min(area.width() * fill / (x1 - x0), area.height() * fill / (y1 - y0)), 0.05), 16.0)
        w, h = self._image.width(), self._image.height()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self._pan = QPointF((w / 2 - cx) * self._zoom, (h / 2 - cy) * self._zoom)
        self.zoomChanged.emit(self._zoom)
        self.update()

    def current_zoom(self) -> float:
        if self._image is None or self._image.isNull():
            return 1.0
        return self._target_rect().width() / self._image.width()

    def _target_rect(self) -> QRectF:
        """Where the image lands in widget coordinates."""
        image = self._image
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        if image is None or image.isNull() or area.width() <= 0 or area.height() <= 0:
            return QRectF()
        w, h = image.width(), image.height()
        scale = min(area.width() / w, area.height() / h) if self._fit else self._zoom
        size = QSize(max(1, round(w * scale)), max(1, round(h * scale)))
        x = area.center().x() - size.width() / 2 + self._pan.x()
        y = area.center().y() - size.height() / 2 + self._pan.y()
        return QRectF(round(x), round(y), size.width(), size.height())

    def map_to_image(self, point: QPointF) -> QPointF | None:
        rect = self._target_rect()
        if rect.isEmpty() or self._image is None:
            return None
        s = self._image.width() / rect.width()
        return QPointF((point.x() - rect.x()) * s, (point.y() - rect.y()) * s)

    # -- painting -------------------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(320, 260)

    def _pixmap_for(self, rect: QRectF) -> QPixmap | None:
        image = self._image
        if image is None or image.isNull():
            return None
        key = (int(rect.width()), int(rect.height()), image.cacheKey())
        if self._scaled is None or self._scaled_for != key:
            if (int(rect.width()), int(rect.height())) == (image.width(), image.height()):
                self._scaled = QPixmap.fromImage(image)
            elif rect.width() <= image.width() * 2 or rect.width() * rect.height() <= SMOOTH_UPSCALE_MAX_PIXELS:
                scaled = image.scaled(
                    int(rect.width()), int(rect.height()), Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                self._scaled = QPixmap.fromImage(scaled)
            else:
                self._scaled = None  # big magnification of a big image: drawn with nearest pixels below
                self._scaled_for = key
                return None
            self._scaled_for = key
        return self._scaled

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.CANVAS))
        rect = self._target_rect()
        if rect.isEmpty():
            self._paint_empty(p)
        else:
            if self.comparing and self.compare_mode == "before":
                self._paint_compare(p, rect, rect)
            else:
                pm = self._pixmap_for(rect)
                if pm is not None:
                    p.drawPixmap(rect.topLeft(), pm)
                else:
                    p.drawImage(rect, self._image)
                if self.comparing:
                    split = rect.x() + self.wipe * rect.width()
                    self._paint_compare(p, rect, QRectF(rect.x(), rect.y(), split - rect.x(), rect.height()))
            p.setPen(QPen(QColor(0, 0, 0, 120), 1))
            p.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_faces(p, rect)
            if self.show_landmarks:
                self._paint_landmarks(p, rect)
            if self.comparing and self.compare_mode == "wipe":
                self._paint_wipe_line(p, rect)
            if self._legend_shown():
                paint_legend(p, LEGEND_CORNER, self.landmark_style, self.font())  # over the wipe line
            if self.banner:
                self._paint_banner(p, rect, *self.banner)
        if self.message:
            self._paint_message(p, *self.message, over_image=not rect.isEmpty())
        self._paint_caption(p)
        if self.busy_text:
            self._paint_pill(p, self.busy_text, theme.ACCENT, top_right=True)
        if self._drop_hover:
            p.setPen(QPen(QColor(theme.ACCENT), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(self.rect()).adjusted(3, 3, -3, -3), 8, 8)
        p.end()

    def _paint_empty(self, p: QPainter) -> None:
        if self.message:
            return
        icon_name, title, hint = self.empty
        center = QRectF(self.rect()).center()
        size = 44 if self.height() > 200 else 28
        p.setOpacity(0.55)
        p.drawPixmap(QPointF(center.x() - size / 2, center.y() - size - 14), pixmap(icon_name, size))
        p.setOpacity(1.0)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        width = min(self.width() - 24, 420)
        p.drawText(QRectF(center.x() - width / 2, center.y() - 8, width, 26), Qt.AlignmentFlag.AlignCenter, title)
        p.setFont(self.font())
        p.setPen(QColor(theme.DIM))
        p.drawText(
            QRectF(center.x() - width / 2, center.y() + 20, width, 80),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            hint,
        )

    def _paint_faces(self, p: QPainter, rect: QRectF) -> None:
        if not self._boxes or self._image is None:
            return
        s = rect.width() / self._image.width()
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        for face in self._boxes:
            x0, y0, x1, y1 = face.box
            r = QRectF(rect.x() + x0 * s, rect.y() + y0 * s, (x1 - x0) * s, (y1 - y0) * s)
            colour = QColor(theme.ACCENT if face.chosen else "#c8ccd0")
            colour.setAlpha(235 if face.chosen else 150)
            p.setPen(QPen(colour, 2 if face.chosen else 1.2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r, 4, 4)
            if face.label:
                tag = QRectF(r.x(), r.y() - 20, max(22, 8 + p.fontMetrics().horizontalAdvance(face.label) + 8), 18)
                if tag.y() < rect.y():
                    tag.moveTop(r.y() + 2)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawRoundedRect(tag, 4, 4)
                p.setPen(QColor("#ffffff" if face.chosen else "#1b1c1e"))
                p.drawText(tag, Qt.AlignmentFlag.AlignCenter, face.label)

    def _paint_compare(self, p: QPainter, rect: QRectF, clip: QRectF) -> None:
        """The compare picture scaled to `rect` (the main image's place), drawn inside `clip`."""
        image = self.compare_image
        key = (int(rect.width()), int(rect.height()), image.cacheKey())
        if self._compare_scaled is None or self._compare_for != key:
            self._compare_for = key
            self._compare_scaled = QPixmap.fromImage(image.scaled(
                key[0], key[1], Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))
        p.save()
        p.setClipRect(clip.intersected(QRectF(self.rect())))
        p.drawPixmap(rect.topLeft(), self._compare_scaled)
        p.restore()

    def wipe_x(self) -> float | None:
        """The wipe line's x in widget coordinates (None when no wipe is shown)."""
        rect = self._target_rect()
        if not self.comparing or self.compare_mode != "wipe" or rect.isEmpty():
            return None
        return rect.x() + self.wipe * rect.width()

    def _wipe_label_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        return font

    def wipe_labels(self) -> list[tuple[str, QRectF]]:
        """The wipe's labels (the compare picture's, left of the line; the image's, right of it) and their
        pills: under the caption, and under the landmark legend where they would meet it."""
        x, rect = self.wipe_x(), self._target_rect()
        if x is None:
            return []
        metrics = QFontMetrics(self._wipe_label_font())
        y = max(rect.top(), 0.0) + 40
        pills = []
        for label, left in zip(self.compare_labels, (True, False), strict=True):
            width = metrics.horizontalAdvance(label) + 14
            pills.append((label, QRectF(x - width - 8 if left else x + 8, y, width, 18)))
        legend = legend_rect(LEGEND_CORNER, self.landmark_style, self.font()) if self._legend_shown() else None
        if legend is not None and any(pill.intersects(legend.adjusted(-4, -4, 4, 4)) for _, pill in pills):
            pills = [(label, pill.translated(0, legend.bottom() + 6 - y)) for label, pill in pills]
        return pills

    def _paint_wipe_line(self, p: QPainter, rect: QRectF) -> None:
        x = rect.x() + self.wipe * rect.width()
        top, bottom = max(rect.top(), 0.0), min(rect.bottom(), float(self.height()))
        p.setPen(QPen(QColor(0, 0, 0, 140), 3))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.setPen(QPen(QColor("#ffffff"), 1.5))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        mid = QPointF(x, (top + bottom) / 2)
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawEllipse(mid, 11, 11)
        p.setBrush(QColor("#1b1c1e"))
        p.setPen(Qt.PenStyle.NoPen)
        for sign in (-1, 1):
            tip = mid + QPointF(sign * 7, 0)
            p.drawPolygon(QPolygonF([tip, mid + QPointF(sign * 2, -4.5), mid + QPointF(sign * 2, 4.5)]))
        p.setFont(self._wipe_label_font())
        for label, pill in self.wipe_labels():
            p.setBrush(QColor(20, 21, 23, 200))
            p.drawRoundedRect(pill, 9, 9)
            p.setPen(QColor(theme.TEXT))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
            p.setPen(Qt.PenStyle.NoPen)

    def _paint_landmarks(self, p: QPainter, rect: QRectF) -> None:
        if self._landmarks is None or self._image is None:
            return
        paint_outlines(p, self._landmarks.reshape(-1, 2), rect, rect.width() / self._image.width(),
                       self.landmark_style)

    def _legend_shown(self) -> bool:
        """Whether the landmark legend is on screen (landmarks shown, and there are some)."""
        return (self.show_landmark_legend and self.show_landmarks and self._landmarks is not None
                and self._image is not None)

    def _paint_banner(self, p: QPainter, rect: QRectF, text: str, level: str) -> None:
        band = QRectF(rect.x(), rect.y(), rect.width(), 26)
        colour = QColor(theme.LEVEL_COLOURS.get(level, theme.DANGER))
        colour.setAlpha(215)
        p.fillRect(band, colour)
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor("#ffffff"))
        p.drawText(band.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter, p.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, int(band.width() - 16)))

    def _paint_message(self, p: QPainter, text: str, level: str, over_image: bool) -> None:
        width = min(self.width() - 40, 460)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        bound = p.fontMetrics().boundingRect(0, 0, int(width - 28), 1000, flags, text)
        box = QRectF(0, 0, width, bound.height() + 24)
        box.moveCenter(QRectF(self.rect()).center())
        background = QColor("#1e2023")
        background.setAlpha(232 if over_image else 255)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(background)
        p.setPen(QPen(QColor(theme.LEVEL_COLOURS.get(level, theme.ACCENT)), 1.5))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(theme.TEXT))
        p.drawText(box.adjusted(14, 12, -14, -12), flags, text)

    def _paint_caption(self, p: QPainter) -> None:
        if self.caption:
            self._paint_pill(p, self.caption, None, top_right=False)
        if self.info:
            p.setFont(self.font())
            text = p.fontMetrics().elidedText(self.info, Qt.TextElideMode.ElideLeft, max(40, self.width() - 40))
            width = p.fontMetrics().horizontalAdvance(text) + 16
            pill = QRectF(self.width() - width - 10, self.height() - 30, width, 20)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(20, 21, 23, 200))
            p.drawRoundedRect(pill, 10, 10)
            p.setPen(QColor(theme.TEXT))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_pill(self, p: QPainter, text: str, colour: str | None, top_right: bool) -> None:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.9)
        p.setFont(font)
        width = p.fontMetrics().horizontalAdvance(text) + 16
        x = self.width() - width - 10 if top_right else 10
        pill = QRectF(x, 10, width, 20)
        back = QColor(colour) if colour else QColor(20, 21, 23, 200)
        if colour:
            back.setAlpha(220)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(back)
        p.drawRoundedRect(pill, 10, 10)
        p.setPen(QColor("#ffffff" if colour else theme.TEXT))
        p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    # -- interaction ---------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        super().resizeEvent(event)
        if self._fit:
            self.zoomChanged.emit(self.current_zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._image is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.current_zoom() * (1.25**steps), event.position())

    def _near_wipe(self, point: QPointF) -> bool:
        x = self.wipe_x()
        return x is not None and (abs(point.x() - x) <= WIPE_GRAB_PX or self._fit)

    def _drag_wipe_to(self, point: QPointF) -> None:
        rect = self._target_rect()
        if not rect.isEmpty():
            self.set_wipe((point.x() - rect.x()) / rect.width())

    def _image_point(self, point: QPointF) -> QPointF | None:
        """`point` in the picture's pixels when it lies on the picture."""
        spot = self.map_to_image(point)
        image = self._image
        if spot is None or image is None or not (0 <= spot.x() < image.width() and 0 <= spot.y() < image.height()):
            return None
        return spot

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self._face_at(event.position())
            self._press_at = event.position() if self.points_clickable and hit is None else None
            if hit is not None:
                self.faceClicked.emit(hit)
                return
            if self._near_wipe(event.position()):
                self._dragging_wipe = True
                self._drag_wipe_to(event.position())
                return
            if not self._fit:
                self._drag_from = event.position()
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging_wipe:
            self._drag_wipe_to(event.position())
            return
        if self.wipe_x() is not None and self._drag_from is None:
            near = abs(event.position().x() - self.wipe_x()) <= WIPE_GRAB_PX
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
        if self._drag_from is not None:
            self._pan += event.position() - self._drag_from
            self._drag_from = event.position()
            self.update()
        elif self._boxes or self.points_clickable:
            over = self._face_at(event.position()) is not None or (
                self.points_clickable and self._image_point(event.position()) is not None)
            self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pressed, self._press_at = self._press_at, None
        if pressed is not None and self.points_clickable and event.button() == Qt.MouseButton.LeftButton:
            moved = event.position() - pressed
            spot = self._image_point(event.position())
            if spot is not None and abs(moved.x()) + abs(moved.y()) <= 4:  # a click, not a pan
                self.pointClicked.emit(spot)
        self._drag_from = None
        self._dragging_wipe = False
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.zoom_to_fit() if not self._fit else self.zoom_actual()

    def _face_at(self, point: QPointF) -> int | None:
        if len(self._boxes) < 2:
            return None
        spot = self.map_to_image(point)
        if spot is None:
            return None
        for i, face in enumerate(self._boxes):
            x0, y0, x1, y1 = face.box
            if x0 <= spot.x() <= x1 and y0 <= spot.y() <= y1:
                return i
        return None

    def _dropped_path(self, event: QDragEnterEvent | QDropEvent) -> Path | None:
        mime = event.mimeData()
        if self._accepts is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if self._accepts(path):
                    return path
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()
            self._drop_hover = True
            self.update()

    def dragLeaveEvent(self, event) -> None:
        self._drop_hover = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hover = False
        self.update()
        path = self._dropped_path(event)
        if path is not None:
            event.acceptProposedAction()
            self.fileDropped.emit(path)
