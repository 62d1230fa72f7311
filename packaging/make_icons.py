"""Render resources/icons/reenact-studio.svg to the PNG (Linux .desktop, 256 px) and ICO (Windows) icons.

    .venv/bin/python packaging/make_icons.py

The outputs are committed (a few kB); run this again after changing the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    renderer = QSvgRenderer(str(ICONS / "reenact-studio.svg"))
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    png = ICONS / "reenact-studio.png"
    image.save(str(png))
    Image.open(png).save(ICONS / "reenact-studio.ico", sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])
    print(f"wrote {png} and {png.with_suffix('.ico')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
