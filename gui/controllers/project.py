"""Projects: new, open, save, save as; the "modified" state; autosave and restore after a crash."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.errors import UserError
from gui.controllers.autosave import Autosaver, Recovery
from gui.controllers.context import AppContext
from gui.controllers.dialogs import PROJECT_FILTER
from gui.models.project import PROJECT_SUFFIX, ProjectData


class ProjectController(QObject):
    projectOpened = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None, autosave_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.autosaver = Autosaver(self.snapshot, self, autosave_folder, lambda: ctx.document.modified)
        doc = ctx.document
        for signal in (doc.sourceChanged, doc.drivingChanged, doc.optionsChanged, doc.modelChanged,
                       doc.playRangeChanged):
            signal.connect(self.autosaver.changed)

    def snapshot(self) -> tuple[ProjectData, Path | None]:
        doc = self.ctx.document
        data = ProjectData(doc.source, doc.driving, doc.options, doc.model, doc.current_frame, doc.in_point,
                           doc.out_point)
        return data, doc.project_path

    # -- files ----------------------------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.ctx.document.reset()
        self.autosaver.discard()
        return True

    def ask_open(self) -> None:
        path = self.ctx.dialogs.ask_open_path("Open a project", PROJECT_FILTER, self.ctx.settings.last_folder)
        if path is not None:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            data = ProjectData.load(path)
        except UserError as err:
            self.ctx.dialogs.show_error("Could not open the project", str(err))
            self.ctx.settings.forget("projects", path)
            return False
        self.apply(data, path.resolve())
        self.ctx.document.mark_saved()
        self.ctx.settings.remember("projects", path.resolve())
        self.autosaver.discard()
        self.projectOpened.emit()
        return True

    def apply(self, data: ProjectData, project_path: Path | None) -> None:
        """Make the document what `data` says (the loads follow through the controllers)."""
        doc = self.ctx.document
        doc.undo_stack.clear()
        doc.set_options(data.options)
        doc.set_model(data.model)
        doc.set_source(data.source)
        doc.set_driving(data.driving)
        doc.set_current_frame(data.current_frame)
        doc.set_play_range(data.in_point, data.out_point)
        doc.set_project_path(project_path)

    def save(self) -> bool:
        path = self.ctx.document.project_path
        return self.save_as() if path is None else self.save_to(path)

    def save_as(self) -> bool:
        doc = self.ctx.document
        suggested = str(doc.project_path) if doc.project_path else str(
            Path(self.ctx.settings.last_folder or Path.home()) / f"Untitled{PROJECT_SUFFIX}"
        )
        path = self.ctx.dialogs.ask_save_path("Save project", PROJECT_FILTER, suggested)
        if path is None:
            return False
        if not path.suffix:
            path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        data, _ = self.snapshot()
        try:
            data.save(path)
        except UserError as err:
            self.ctx.dialogs.show_error("Could not save the project", str(err))
            return False
        doc = self.ctx.document
        doc.set_project_path(path.resolve())
        doc.mark_saved()
        self.ctx.settings.remember("projects", path.resolve())
        self.autosaver.discard()
        self.ctx.activity.say(f"Saved {path.name}")
        return True

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving failed)."""
        doc = self.ctx.document
        if not doc.modified:
            return True
        answer = self.ctx.dialogs.ask_save_discard_cancel(
            "Unsaved changes", f"Save the changes to {doc.title} before closing it?"
        )
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -- crash recovery -------------------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """At start: offer to restore an autosave left by a session that crashed. True if restored."""
        recovery: Recovery | None = self.autosaver.pending_recovery()
        restored = False
        if recovery is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovery.saved_at)) if recovery.saved_at else "earlier"
            name = recovery.project_path.name if recovery.project_path else "an untitled project"
            if self.ctx.dialogs.ask_yes_no(
                "Restore unsaved work?",
                f"Reenact Studio did not close properly. Restore the unsaved changes to {name} "
                f"(autosaved {when})?",
            ):
                self.apply(recovery.data, recovery.project_path)
                restored = True  # the document stays "modified": it differs from its file
            else:
                self.autosaver.discard()
        self.autosaver.start()
        if restored:
            self.autosaver.changed()
        return restored
