"""Autosave and crash recovery in the per-user data folder.

While the app runs it holds ``autosave/session.lock`` (its process id). A few seconds after each
change the document is written to ``autosave/autosave.reenact``; a clean exit removes both. At the
next start, an autosave whose lock names a process that is no longer running means the app did not
close properly: the user is offered to restore it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from core.errors import InputError, OutputError
from gui.models.project import ProjectData

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 3000


@dataclass(frozen=True)
class Recovery:
    data: ProjectData
    project_path: Path | None
    saved_at: float


def autosave_dir() -> Path:
    from core.paths import data_dir

    folder = data_dir() / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return False
    return True


class Autosaver(QObject):
    def __init__(self, snapshot, parent: QObject | None = None, folder: Path | None = None, is_modified=None) -> None:
        """`snapshot()` returns (ProjectData, project path) of the document now; `is_modified()` says
        whether there is anything unsaved (nothing unsaved: no autosave is kept)."""
        super().__init__(parent)
        self.snapshot = snapshot
        self.is_modified = is_modified or (lambda: True)
        self.folder = folder or autosave_dir()
        self.file = self.folder / "autosave.reenact"
        self.lock = self.folder / "session.lock"
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self.enabled = False

    # -- recovery ------------------------------------------------------------------------------------------
    def pending_recovery(self) -> Recovery | None:
        """The autosave of a session that did not close properly, if any (and not still running)."""
        if not self.file.exists():
            return None
        try:
            pid = int(self.lock.read_text(encoding="utf-8").strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if _pid_alive(pid) and pid != os.getpid():
            return None  # another window is running and owns it
        try:
            wrapper = json.loads(self.file.read_text(encoding="utf-8"))
            data = ProjectData.from_dict(wrapper["project"], None, "autosave")
            project = wrapper.get("project_path")
            return Recovery(data, Path(project) if project else None, float(wrapper.get("saved_at", 0)))
        except (OSError, ValueError, KeyError, TypeError, InputError) as err:
            log.warning("autosave %s unreadable (%s): discarded", self.file, err)
            self.discard()
            return None

    def start(self) -> None:
        """Claim the session lock; changes are autosaved from now on."""
        try:
            self.lock.write_text(str(os.getpid()), encoding="utf-8")
        except OSError as err:
            log.warning("no autosave: %s", err)
            return
        self.enabled = True

    # -- saving ---------------------------------------------------------------------------------------------
    def changed(self, *_: object) -> None:
        if self.enabled:
            self._timer.start()

    def save_now(self) -> None:
        if not self.enabled:
            return
        if not self.is_modified():
            self.discard()
            return
        from core.atomic import write_text

        data, project_path = self.snapshot()
        wrapper = {
            "project": data.to_dict(None),
            "project_path": str(project_path) if project_path else None,
            "saved_at": time.time(),
        }
        try:
            write_text(self.file, json.dumps(wrapper, indent=2))
        except OutputError as err:
            log.warning("autosave failed: %s", err)

    def discard(self) -> None:
        """Remove the autosave (after a save, or when the user declines to restore it)."""
        self._timer.stop()
        self.file.unlink(missing_ok=True)

    def stop(self) -> None:
        """Clean exit: no autosave and no lock are left behind."""
        self.discard()
        self.enabled = False
        self.lock.unlink(missing_ok=True)
