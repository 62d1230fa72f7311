"""The document: what the user chose (source, driving, options, model, frame, in and out points) and
whether it is saved.

Every change goes through a setter that announces it with a signal; option changes come from
`OptionsController` through the undo stack (`SetOptionCommand`), so each one can be undone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from core.config import RenderOptions
from gui.models.specs import DrivingSpec, ModelChoice, SourceSpec


class Document(QObject):
    sourceChanged = Signal()  # source spec (file or face index)
    drivingChanged = Signal()  # driving spec (file or face index)
    optionsChanged = Signal(object)  # the new RenderOptions
    modelChanged = Signal()  # model choice
    frameChanged = Signal(int)
    playRangeChanged = Signal()  # in / out points
    modifiedChanged = Signal(bool)
    projectPathChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._source: SourceSpec | None = None
        self._driving: DrivingSpec | None = None
        self._options = RenderOptions()
        self._model = ModelChoice.none()
        self._frame = 0
        self._in_point: int | None = None
        self._out_point: int | None = None
        self._project_path: Path | None = None
        self._edited = False  # changes outside the undo stack (files opened, model chosen)
        self._modified = False
        self.undo_stack.cleanChanged.connect(self._update_modified)

    # -- reading ---------------------------------------------------------------------------------------
    @property
    def source(self) -> SourceSpec | None:
        return self._source

    @property
    def driving(self) -> DrivingSpec | None:
        return self._driving

    @property
    def options(self) -> RenderOptions:
        return self._options

    @property
    def model(self) -> ModelChoice:
        return self._model

    @property
    def current_frame(self) -> int:
        return self._frame

    @property
    def in_point(self) -> int | None:
        """First frame of the play and export range (None: the first frame)."""
        return self._in_point

    @property
    def out_point(self) -> int | None:
        """Last frame of the play and export range, inclusive (None: the last frame)."""
        return self._out_point

    def play_range(self, count: int) -> tuple[int, int]:
        """(first, last) frames, inclusive, of the range for a driving of `count` frames."""
        last = max(0, count - 1)
        first = min(self._in_point or 0, last)
        end = last if self._out_point is None else min(self._out_point, last)
        return (first, max(first, end))

    @property
    def project_path(self) -> Path | None:
        return self._project_path

    @property
    def modified(self) -> bool:
        return self._modified

    @property
    def title(self) -> str:
        """The window title's document part: the project name, or "Untitled"."""
        return self._project_path.name if self._project_path else "Untitled"

    # -- changing --------------------------------------------------------------------------------------
    def set_source(self, spec: SourceSpec | None) -> None:
        if spec != self._source:
            self._source = spec
            self._mark_edited()
            self.sourceChanged.emit()

    def set_driving(self, spec: DrivingSpec | None) -> None:
        if spec != self._driving:
            self._driving = spec
            self._mark_edited()
            self.drivingChanged.emit()

    def set_model(self, choice: ModelChoice) -> None:
        if choice != self._model:
            self._model = choice
            self._mark_edited()
            self.modelChanged.emit()

    def set_options(self, options: RenderOptions) -> None:
        """Replace the options (the undo stack's commands call this; users go through the controller)."""
        if options != self._options:
            self._options = options
            self.optionsChanged.emit(options)

    def set_option(self, name: str, value: Any) -> None:
        self.set_options(replace(self._options, **{name: value}))

    def set_current_frame(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self._frame:
            self._frame = frame
            self.frameChanged.emit(frame)

    def set_play_range(self, in_point: int | None, out_point: int | None) -> None:
        """Set both points (the undo stack's commands call this; users go through the timeline controller)."""
        if in_point is not None and out_point is not None and out_point < in_point:
            in_point, out_point = out_point, in_point
        if (in_point, out_point) != (self._in_point, self._out_point):
            self._in_point, self._out_point = in_point, out_point
            self.playRangeChanged.emit()

    def set_project_path(self, path: Path | None) -> None:
        if path != self._project_path:
            self._project_path = path
            self.projectPathChanged.emit()

    def mark_saved(self) -> None:
        """The document now matches its file (or the autosave)."""
        self._edited = False
        self.undo_stack.setClean()
        self._update_modified()

    def reset(self) -> None:
        """Back to an empty, unmodified document (New / before opening a project)."""
        self.undo_stack.clear()
        self.set_source(None)
        self.set_driving(None)
        self.set_options(RenderOptions())
        self.set_current_frame(0)
        self.set_play_range(None, None)
        self.set_project_path(None)
        self.mark_saved()

    def _mark_edited(self) -> None:
        self._edited = True
        self._update_modified()

    def _update_modified(self, *_: object) -> None:
        modified = self._edited or not self.undo_stack.isClean()
        if modified != self._modified:
            self._modified = modified
            self.modifiedChanged.emit(modified)
