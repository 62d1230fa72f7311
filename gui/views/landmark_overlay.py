"""Landmarks drawn as connected outlines (jaw, brows, nose, eyes, lips) in a legend's colours.

Solid lines are where the motion puts the face (the driving landmarks carried onto the portrait: what
the renderer aims for, so a gap between them and the picture is the renderer's or the model's error);
dashed lines are what was tracked in the driving video. Both views share the colours, so a feature reads the
same in the viewer and in the driving panel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen

from gui.sketch import GROUPS

#: (label, colour, indices of `gui.sketch.GROUPS`) per outline region.
REGIONS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("Jaw", "#8fd1ff", (0,)),
    ("Brows", "#ffcf6e", (1, 2)),
    ("Nose", "#c9a4ff", (3, 4)),
    ("Eyes", "#7be3a4", (5, 6)),
    ("Lips", "#ff8a8a", (7, 8)),
)
STYLE_NOTES = {"solid": "solid: where the motion puts the face", "dashed": "dashed: tracked in the driving video"}


def face_box(landmarks: np.ndarray | None, margin: float = 0.25) -> tuple[float, float, float, float] | None:
    """The box around 68 landmarks (image pixels), grown by `margin` of its size on each side (the
    forehead and chin are above and below the landmarks)."""
    if landmarks is None or len(landmarks) == 0:
        return None
    points = np.asarray(landmarks, np.float32).reshape(-1, 2)
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    w, h = x1 - x0, y1 - y0
    return (float(x0 - margin * w), float(y0 - margin * 1.6 * h), float(x1 + margin * w), float(y1 + margin * h))


def outline_paths(points: np.ndarray, to_widget) -> list[tuple[str, QPainterPath]]:
    """(colour, path) per region for 68 points; `to_widget(x, y)` maps image pixels to a QPointF."""
    out = []
    for _, colour, groups in REGIONS:
        path = QPainterPath()
        for g in groups:
            first, last, closed = GROUPS[g]
            pts = [to_widget(float(x), float(y)) for x, y in points[first : last + 1]]
            path.moveTo(pts[0])
            for q in pts[1:]:
                path.lineTo(q)
            if closed:
                path.closeSubpath()
        out.append((colour, path))
    return out


def paint_outlines(p: QPainter, points: np.ndarray, rect: QRectF, scale: float, style: str = "solid") -> None:
    """Draw the 68 `points` (image pixels) onto `rect` (the image on screen, `scale` px per image px)."""
    if points.shape[0] < 68:
        return
    width = max(1.2, min(2.2, rect.width() / 360))
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(Qt.BrushStyle.NoBrush)

    def to_widget(x: float, y: float) -> QPointF:
        return QPointF(rect.x() + (x + 0.5) * scale, rect.y() + (y + 0.5) * scale)

    for colour, path in outline_paths(points, to_widget):
        shadow = QPen(QColor(0, 0, 0, 120), width + 1.6)
        p.setPen(shadow)
        p.drawPath(path)
        pen = QPen(QColor(colour), width)
        if style == "dashed":
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawPath(path)


def legend_font(font: QFont) -> QFont:
    """The legend's smaller type, from the widget's `font`."""
    small = QFont(font)
    small.setPointSizeF(font.pointSizeF() * 0.85)
    return small


def legend_rect(corner: QPointF, style: str, font: QFont) -> QRectF:
    """Where `paint_legend` draws from `corner` (bottom left), so that other labels can keep clear of it."""
    metrics = QFontMetrics(legend_font(font))
    labels = [label for label, _, _ in REGIONS]
    note = STYLE_NOTES.get(style, "")
    width = sum(metrics.horizontalAdvance(t) + 22 for t in labels) + metrics.horizontalAdvance(note) + 16
    return QRectF(corner.x(), corner.y() - 22, width, 20)


def paint_legend(p: QPainter, corner: QPointF, style: str, font: QFont) -> None:
    """A small legend (one chip per region, then what the line style means) from `corner` (bottom left)."""
    p.setFont(legend_font(font))
    metrics = p.fontMetrics()
    note = STYLE_NOTES.get(style, "")
    box = legend_rect(corner, style, font)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(20, 21, 23, 210))
    p.drawRoundedRect(box, 10, 10)
    x = box.x() + 10
    for label, colour, _ in REGIONS:
        pen = QPen(QColor(colour), 2)
        if style == "dashed":
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QPointF(x, box.center().y()), QPointF(x + 10, box.center().y()))
        p.setPen(QColor("#dadcdf"))
        p.drawText(QRectF(x + 13, box.y(), metrics.horizontalAdvance(label) + 4, box.height()),
                   Qt.AlignmentFlag.AlignVCenter, label)
        x += metrics.horizontalAdvance(label) + 22
    p.setPen(QColor("#8d939a"))
    p.drawText(QRectF(x, box.y(), metrics.horizontalAdvance(note) + 4, box.height()), Qt.AlignmentFlag.AlignVCenter,
               note)
