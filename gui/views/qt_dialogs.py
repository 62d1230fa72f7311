"""The dialog protocol (`gui.controllers.dialogs.DialogView`) with real Qt dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


class QtDialogs:
    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def show_error(self, title: str, message: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, _sentence(message), QMessageBox.StandardButton.Ok, self.parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def show_info(self, title: str, message: str) -> None:
        QMessageBox.information(self.parent, title, message)

    def ask_yes_no(self, title: str, question: str, default_yes: bool = True) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
        return QMessageBox.question(self.parent, title, question, buttons, default) == QMessageBox.StandardButton.Yes

    def ask_save_discard_cancel(self, title: str, question: str) -> str:
        buttons = QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self.parent, title, question, buttons, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def ask_open_path(self, title: str, filters: str, folder: str | None = None) -> Path | None:
        chosen, _ = QFileDialog.getOpenFileName(self.parent, title, folder or "", filters)
        return Path(chosen) if chosen else None

    def ask_save_path(self, title: str, filters: str, suggested: str | None = None) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(self.parent, title, suggested or "", filters)
        return Path(chosen) if chosen else None

    def ask_folder(self, title: str, folder: str | None = None) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self.parent, title, folder or "")
        return Path(chosen) if chosen else None

    def ask_number(self, title: str, question: str, value: float, minimum: float, maximum: float) -> float | None:
        number, ok = QInputDialog.getDouble(self.parent, title, question, value, minimum, maximum, 3)
        return number if ok else None

    def open_folder(self, path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _sentence(message: str) -> str:
    """The core's messages are lower-case clauses; a dialog starts with a capital."""
    return message[:1].upper() + message[1:] if message else message
