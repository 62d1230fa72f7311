"""The dialogs a controller may need, as a protocol: the app implements it with Qt dialogs
(`gui.views.qt_dialogs.QtDialogs`), tests with a stub that records what was asked and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class DialogView(Protocol):
    def show_error(self, title: str, message: str, details: str = "") -> None:
        """Tell the user something failed, with the core's actionable message."""

    def show_info(self, title: str, message: str) -> None: ...

    def ask_yes_no(self, title: str, question: str, default_yes: bool = True) -> bool: ...

    def ask_save_discard_cancel(self, title: str, question: str) -> str:
        """"save", "discard" or "cancel"."""

    def ask_open_path(self, title: str, filters: str, folder: str | None = None) -> Path | None: ...

    def ask_save_path(self, title: str, filters: str, suggested: str | None = None) -> Path | None: ...

    def ask_folder(self, title: str, folder: str | None = None) -> Path | None:
        """An existing folder (a folder of numbered frames, a folder for a batch's outputs)."""

    def ask_number(self, title: str, question: str, value: float, minimum: float, maximum: float) -> float | None:
        """A number in minimum..maximum (a folder of frames' rate); None when the user cancels."""

    def open_folder(self, path: Path) -> None:
        """Show `path` in the system's file manager."""


#: Driving videos the open dialog and drag-and-drop accept (the core decides what it can decode).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")

# File-dialog filters, shared by the menus and the drop handlers.
IMAGE_FILTER = "Portraits (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp);;All files (*)"
DRIVING_FILTER = (
    "Driving videos and performances (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.mpg *.mpeg *.json);;"
    "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.mpg *.mpeg);;Performances (*.performance.json *.json);;"
    "All files (*)"
)
CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.ckpt);;All files (*)"
PROJECT_FILTER = "Reenact Studio projects (*.reenact);;All files (*)"
