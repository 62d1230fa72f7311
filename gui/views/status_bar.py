"""The status bar: what the app is doing (tasks with progress, short messages), the device and model."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from gui.models.activity import ActivityModel
from gui.models.model_state import ModelState
from gui.views.widgets import Badge


class StatusBar(QStatusBar):
    def __init__(self, activity: ActivityModel, model_state: ModelState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.activity, self.model_state = activity, model_state
        self.setSizeGripEnabled(False)
        self.task = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(140)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.device = QLabel()
        self.device.setObjectName("Hint")
        self.badge = Badge()
        self.addWidget(self.task, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.device)
        self.addPermanentWidget(self.badge)
        self._message_timer = QTimer(self, singleShot=True)
        self._message_timer.timeout.connect(self._expire)
        self._message = ""
        activity.changed.connect(self._show_tasks)
        activity.message.connect(self.say)
        model_state.changed.connect(self._show_model)
        self._show_model()
        self._show_tasks()

    def say(self, text: str, ms: int) -> None:
        """Show `text` for `ms` milliseconds (0: until the next message); running tasks take precedence."""
        self._message = text
        if ms > 0:
            self._message_timer.start(ms)
        else:
            self._message_timer.stop()
        self._show_tasks()

    def _expire(self) -> None:
        self._message = ""
        self._show_tasks()

    def _show_tasks(self) -> None:
        summary = self.activity.summary()
        tasks = self.activity.tasks
        if summary:
            self.task.setText(summary)
        else:
            self.task.setText(self._message or "Ready")
        fractions = [t.fraction for t in tasks if t.fraction is not None]
        if tasks:
            self.progress.show()
            if fractions:
                self.progress.setRange(0, 1000)
                self.progress.setValue(round(1000 * min(fractions)))
            else:
                self.progress.setRange(0, 0)  # busy
        else:
            self.progress.hide()

    def _show_model(self) -> None:
        text, level, tooltip = self.model_state.badge
        self.badge.set_badge(text, level, tooltip)
        info = self.model_state.info
        self.device.setText(f"Device: {info.device}" if info else "")
