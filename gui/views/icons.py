"""The app's icons, drawn with QPainter in a 24x24 design grid (crisp at any size, no image files)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from gui import theme

INK = QColor("#d7dadd")
INK_DISABLED = QColor("#5d6166")


def _pen(p: QPainter, colour: QColor, width: float = 1.8) -> None:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)


def _fill(p: QPainter, colour: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(colour))


def _poly(*points: tuple[float, float]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def _play(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawPolygon(_poly((7, 4.5), (19.5, 12), (7, 19.5)))


def _pause(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRoundedRect(QRectF(6, 5, 4.2, 14), 1, 1)
    p.drawRoundedRect(QRectF(13.8, 5, 4.2, 14), 1, 1)


def _stop(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRoundedRect(QRectF(6, 6, 12, 12), 1.5, 1.5)


def _curves(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.3)
    p.drawPolyline(_poly((3, 4), (3, 20), (21, 20)))
    _pen(p, c, 1.8)
    p.drawPolyline(_poly((5, 7), (8, 12), (11, 13.5), (14, 15.5), (18, 16.5), (21, 17)))


def _step_back(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(5, 6, 2.4, 12))
    p.drawPolygon(_poly((18.5, 6), (9, 12), (18.5, 18)))


def _step_forward(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(16.6, 6, 2.4, 12))
    p.drawPolygon(_poly((5.5, 6), (15, 12), (5.5, 18)))


def _to_start(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(4, 6, 2.2, 12))
    p.drawPolygon(_poly((13, 6), (7, 12), (13, 18)))
    p.drawPolygon(_poly((20, 6), (14, 12), (20, 18)))


def _to_end(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(17.8, 6, 2.2, 12))
    p.drawPolygon(_poly((4, 6), (10, 12), (4, 18)))
    p.drawPolygon(_poly((11, 6), (17, 12), (11, 18)))


def _image(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(3.5, 5, 17, 14), 2, 2)
    p.drawEllipse(QPointF(9, 10), 1.8, 1.8)
    path = QPainterPath(QPointF(4.5, 17.5))
    path.lineTo(10, 13)
    path.lineTo(13, 15.5)
    path.lineTo(16.5, 11.5)
    path.lineTo(19.5, 15)
    p.drawPath(path)


def _portrait(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(4, 3.5, 16, 17), 2, 2)
    p.drawEllipse(QPointF(12, 10), 3.2, 3.6)
    path = QPainterPath(QPointF(6.5, 20))
    path.cubicTo(7.5, 15, 16.5, 15, 17.5, 20)
    p.drawPath(path)


def _video(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(3, 6, 12.5, 12), 2, 2)
    p.drawPolygon(_poly((15.5, 10.5), (21, 7.5), (21, 16.5), (15.5, 13.5)))


def _export(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawLine(QPointF(12, 4), QPointF(12, 15))
    p.drawPolyline(_poly((7.5, 8.5), (12, 4), (16.5, 8.5)))
    p.drawPolyline(_poly((5, 13), (5, 20), (19, 20), (19, 13)))


def _save(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawPolygon(_poly((4.5, 4.5), (16.5, 4.5), (19.5, 7.5), (19.5, 19.5), (4.5, 19.5)))
    p.drawRect(QRectF(8, 4.5, 7, 5))
    p.drawRect(QRectF(7.5, 13, 9, 6.5))


def _folder(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawPolygon(_poly((3.5, 7), (3.5, 19), (20.5, 19), (20.5, 8.5), (11.5, 8.5), (9.5, 6), (4.5, 6)))


def _arrow_curve(p: QPainter, c: QColor, mirror: bool) -> None:
    _pen(p, c)
    p.save()
    if mirror:
        p.translate(24, 0)
        p.scale(-1, 1)
    path = QPainterPath(QPointF(8, 9))
    path.lineTo(15, 9)
    path.cubicTo(22, 9, 22, 19, 15, 19)
    path.lineTo(9, 19)
    p.drawPath(path)
    p.drawPolyline(_poly((11.5, 5.5), (8, 9), (11.5, 12.5)))
    p.restore()


def _fit(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        x, y = 12 - sx * 8, 12 - sy * 8
        p.drawPolyline(_poly((x + sx * 5, y), (x, y), (x, y + sy * 5)))
    p.drawRoundedRect(QRectF(8, 8.5, 8, 7), 1, 1)


def _actual(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(3.5, 5, 17, 14), 2, 2)
    font = p.font()
    font.setPixelSize(8)
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(3.5, 5, 17, 14), Qt.AlignmentFlag.AlignCenter, "1:1")


def _loop(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    path = QPainterPath(QPointF(6, 14))
    path.lineTo(6, 11)
    path.cubicTo(6, 8.5, 7.5, 7.5, 10, 7.5)
    path.lineTo(18, 7.5)
    p.drawPath(path)
    p.drawPolyline(_poly((15.5, 5), (18, 7.5), (15.5, 10)))
    path = QPainterPath(QPointF(18, 10))
    path.lineTo(18, 13)
    path.cubicTo(18, 15.5, 16.5, 16.5, 14, 16.5)
    path.lineTo(6, 16.5)
    p.drawPath(path)
    p.drawPolyline(_poly((8.5, 14), (6, 16.5), (8.5, 19)))


def _zoom(p: QPainter, c: QColor, plus: bool) -> None:
    _pen(p, c)
    p.drawEllipse(QPointF(10.5, 10.5), 6, 6)
    p.drawLine(QPointF(15, 15), QPointF(20, 20))
    p.drawLine(QPointF(7.5, 10.5), QPointF(13.5, 10.5))
    if plus:
        p.drawLine(QPointF(10.5, 7.5), QPointF(10.5, 13.5))


def _fit_width(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawLine(QPointF(3.5, 6), QPointF(3.5, 18))
    p.drawLine(QPointF(20.5, 6), QPointF(20.5, 18))
    p.drawLine(QPointF(7, 12), QPointF(17, 12))
    p.drawPolyline(_poly((10, 9), (7, 12), (10, 15)))
    p.drawPolyline(_poly((14, 9), (17, 12), (14, 15)))


def _panel(p: QPainter, c: QColor, left: bool) -> None:
    _pen(p, c, 1.6)
    p.drawRoundedRect(QRectF(3.5, 5, 17, 14), 2, 2)
    _fill(p, c)
    p.drawRect(QRectF(4.5, 6, 5, 12) if left else QRectF(14.5, 6, 5, 12))


def _side_by_side(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.6)
    for x in (2.5, 9, 15.5):
        p.drawRoundedRect(QRectF(x, 7, 6, 10), 1, 1)


def _landmarks(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    pts = [(12 + 7 * math.cos(a), 12.5 + 8 * math.sin(a)) for a in [i * math.pi / 8 for i in range(0, 9)]]
    for x, y in [*pts, (8.5, 9), (15.5, 9), (12, 12.5), (10, 16), (14, 16), (12, 16.5)]:
        p.drawEllipse(QPointF(x, y), 1.15, 1.15)


def _model(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.5)
    layers = ((5, (8, 16)), (12, (5, 12, 19)), (19, (8, 16)))
    for (x0, ys0), (x1, ys1) in itertools.pairwise(layers):
        for y0 in ys0:
            for y1 in ys1:
                p.drawLine(QPointF(x0, y0), QPointF(x1, y1))
    _fill(p, c)
    for x, ys in layers:
        for y in ys:
            p.drawEllipse(QPointF(x, y), 2, 2)


def _warning(p: QPainter, c: QColor) -> None:
    _fill(p, QColor(theme.WARNING))
    p.drawPolygon(_poly((12, 3.5), (21.5, 20), (2.5, 20)))
    _fill(p, QColor("#1b1c1e"))
    p.drawRoundedRect(QRectF(11, 8.5, 2, 6.5), 1, 1)
    p.drawEllipse(QPointF(12, 17.3), 1.2, 1.2)


def _reference(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawEllipse(QPointF(12, 12), 7.5, 7.5)
    p.drawEllipse(QPointF(12, 12), 3.5, 3.5)
    _fill(p, c)
    p.drawEllipse(QPointF(12, 12), 1.2, 1.2)


def _key(p: QPainter, c: QColor, variant: str) -> None:
    """A keyframe diamond; "previous"/"next" with an arrow before or after it, "delete" crossed out."""
    cx = {"previous": 15.0, "next": 9.0}.get(variant, 12.0)
    diamond = _poly((cx, 6), (cx + 6, 12), (cx, 18), (cx - 6, 12))
    if variant == "key":
        _fill(p, c)
        p.drawPolygon(diamond)
        return
    _pen(p, c, 1.6)
    p.drawPolygon(diamond)
    if variant == "delete":
        p.drawLine(QPointF(5, 19), QPointF(19, 5))
    elif variant == "previous":
        _fill(p, c)
        p.drawPolygon(_poly((2.5, 12), (7, 8.5), (7, 15.5)))
    else:
        _fill(p, c)
        p.drawPolygon(_poly((21.5, 12), (17, 8.5), (17, 15.5)))


def _app(p: QPainter, c: QColor) -> None:
    grad_colour = QColor(theme.ACCENT)
    _fill(p, grad_colour)
    p.drawRoundedRect(QRectF(2, 2, 20, 20), 5, 5)
    _pen(p, QColor("#ffffff"), 1.7)
    p.drawEllipse(QPointF(10.5, 11), 4.2, 5)
    p.drawPolyline(_poly((15.5, 8), (19, 11.5), (15.5, 15)))


_DRAW: dict[str, Callable[[QPainter, QColor], None]] = {
    "play": _play,
    "pause": _pause,
    "stop": _stop,
    "curves": _curves,
    "step-back": _step_back,
    "step-forward": _step_forward,
    "to-start": _to_start,
    "to-end": _to_end,
    "open-image": _portrait,
    "image": _image,
    "open-video": _video,
    "export": _export,
    "save": _save,
    "open": _folder,
    "undo": lambda p, c: _arrow_curve(p, c, False),
    "redo": lambda p, c: _arrow_curve(p, c, True),
    "fit": _fit,
    "actual-size": _actual,
    "side-by-side": _side_by_side,
    "loop": _loop,
    "zoom-in": lambda p, c: _zoom(p, c, True),
    "zoom-out": lambda p, c: _zoom(p, c, False),
    "fit-width": _fit_width,
    "panel-left": lambda p, c: _panel(p, c, True),
    "panel-right": lambda p, c: _panel(p, c, False),
    "landmarks": _landmarks,
    "model": _model,
    "warning": _warning,
    "reference": _reference,
    "app": _app,
    "key": lambda p, c: _key(p, c, "key"),
    "key-delete": lambda p, c: _key(p, c, "delete"),
    "key-previous": lambda p, c: _key(p, c, "previous"),
    "key-next": lambda p, c: _key(p, c, "next"),
}


def pixmap(name: str, size: int, colour: QColor = INK, ratio: float = 1.0) -> QPixmap:
    """One icon as a pixmap of `size` logical pixels."""
    pm = QPixmap(round(size * ratio), round(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 24.0, size / 24.0)
    _DRAW[name](painter, colour)
    painter.end()
    return pm


@cache
def icon(name: str) -> QIcon:
    """The icon `name`, with normal and disabled looks at the common sizes."""
    result = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        result.addPixmap(pixmap(name, size), QIcon.Mode.Normal)
        result.addPixmap(pixmap(name, size, INK_DISABLED), QIcon.Mode.Disabled)
    return result


def names() -> list[str]:
    return sorted(_DRAW)
