"""Option changes from the controls, as undoable commands on the document's undo stack."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from core.errors import ConfigError
from gui.controllers.context import AppContext
from gui.models.undo import SetOptionCommand


class OptionsController(QObject):
    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def set(self, name: str, value: Any, mergeable: bool = True) -> bool:
        """Change one option (undoable); False, with a dialog, for a value the options refuse."""
        doc = self.ctx.document
        if getattr(doc.options, name) == value:
            return True
        try:
            command = SetOptionCommand(doc, name, value, mergeable)
        except ConfigError as err:
            self.ctx.dialogs.show_error("Invalid value", str(err))
            return False
        doc.undo_stack.push(command)
        return True

    def use_current_frame_as_reference(self) -> None:
        """Relative motion measured from the frame at the playhead."""
        doc = self.ctx.document
        stack = doc.undo_stack
        stack.beginMacro(f"Reference frame {doc.current_frame}")
        try:
            self.set("relative", True, mergeable=False)
            self.set("reference_frame", doc.current_frame, mergeable=False)
        finally:
            stack.endMacro()

    def automatic_reference(self) -> None:
        self.set("reference_frame", None, mergeable=False)

    def undo(self) -> None:
        self.ctx.document.undo_stack.undo()

    def redo(self) -> None:
        self.ctx.document.undo_stack.redo()
