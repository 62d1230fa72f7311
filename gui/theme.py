"""The look: Qt's Fusion style with a dark, neutral palette (colours never tint the pictures) and a
little stylesheet for the parts a palette cannot reach."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = "#232527"
PANEL = "#2a2c2f"
BASE = "#1b1c1e"
CANVAS = "#141516"
ALTERNATE = "#26282b"
BUTTON = "#34373b"
BORDER = "#3c3f44"
TEXT = "#dadcdf"
DIM = "#8d939a"
DISABLED = "#62676d"
ACCENT = "#4a8fd6"
OK = "#5cb87a"
DEMO = "#d9a63a"
WARNING = "#e0a03a"
DANGER = "#d9534f"

LEVEL_COLOURS = {"ok": OK, "demo": DEMO, "warning": WARNING, "danger": DANGER, "info": ACCENT}


def palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: ALTERNATE,
        QPalette.ColorRole.ToolTipBase: "#2f3236",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: DIM,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: BUTTON,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Light: "#4a4e54",
        QPalette.ColorRole.Midlight: "#3d4045",
        QPalette.ColorRole.Mid: "#2e3034",
        QPalette.ColorRole.Dark: "#1a1b1d",
        QPalette.ColorRole.Shadow: "#0c0c0d",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#3a3d41"))
    return p


STYLESHEET = f"""
QMainWindow::separator {{ background: {WINDOW}; width: 4px; height: 4px; }}
QDockWidget {{ titlebar-close-icon: none; font-weight: 600; }}
QDockWidget::title {{ background: {PANEL}; padding: 6px 8px; border-bottom: 1px solid {BORDER}; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 6px; margin-top: 14px; padding: 10px 8px 8px 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {DIM}; font-weight: 600; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 4px; padding: 3px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 5px; padding: 4px; }}
QToolButton:hover {{ background: #3a3e43; border-color: {BORDER}; }}
QToolButton:checked {{ background: #2f4a66; border-color: {ACCENT}; }}
QToolButton:disabled {{ color: {DISABLED}; }}
QPushButton {{ border: 1px solid {BORDER}; border-radius: 5px; padding: 5px 12px; background: {BUTTON}; }}
QPushButton:hover {{ background: #3e4247; }}
QPushButton:pressed {{ background: #2c2f33; }}
QPushButton:default {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: {DISABLED}; background: #2c2e31; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ padding: 0 6px; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 4px; background: {BASE}; text-align: center; min-height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: #44484e; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #e6e8ea; width: 14px; margin: -6px 0; border-radius: 7px; }}
QSlider::handle:horizontal:disabled {{ background: {DISABLED}; }}
QLabel#Hint {{ color: {DIM}; }}
QLabel#Caption {{ color: {DIM}; font-weight: 600; letter-spacing: 1px; }}
QLabel#Banner {{ border-radius: 6px; padding: 8px 10px; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
QToolTip {{ border: 1px solid {BORDER}; padding: 4px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion + the dark palette + the stylesheet, and a UI font a little larger than Qt's default."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    app.setStyleSheet(STYLESHEET)
    font = QFont(app.font())
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
        app.setFont(font)
