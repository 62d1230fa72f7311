"""What the app is doing, for the status bar: running tasks with their progress, and short messages."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass
class Task:
    key: str
    title: str
    fraction: float | None = None  # None: unknown
    started: float = 0.0
    note: str = ""  # said after the percentage ("preview may be slower while training shares the CPU")


class ActivityModel(QObject):
    changed = Signal()
    message = Signal(str, int)  # text, milliseconds to show it (0: until replaced)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, Task] = {}

    @property
    def tasks(self) -> list[Task]:
        return list(self._tasks.values())

    def begin(self, key: str, title: str, note: str = "") -> None:
        self._tasks[key] = Task(key, title, None, time.perf_counter(), note)
        self.changed.emit()

    def update(self, key: str, fraction: float | None, title: str | None = None) -> None:
        task = self._tasks.get(key)
        if task is None:
            return
        task.fraction = fraction
        if title:
            task.title = title
        self.changed.emit()

    def end(self, key: str) -> None:
        if self._tasks.pop(key, None) is not None:
            self.changed.emit()

    def say(self, text: str, ms: int = 4000) -> None:
        self.message.emit(text, ms)

    def summary(self) -> str:
        """One line: the most recent task with its percentage, and how many others run."""
        if not self._tasks:
            return ""
        task = max(self._tasks.values(), key=lambda t: t.started)
        text = task.title
        if task.fraction is not None:
            text += f" {task.fraction * 100:.0f}%"
        if task.note:
            text += f" · {task.note}"
        others = len(self._tasks) - 1
        if others:
            text += f" (+{others} more)"
        return text
