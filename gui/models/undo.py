"""Undo commands for option changes (one command per gesture: a slider drag merges into one step), for
the in and out points, and for which face of the driving video drives."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from PySide6.QtGui import QUndoCommand

from core.config import RenderOptions
from core.faces.anchor import FaceAnchor
from gui.models.document import Document

#: Changes of the same option closer together than this merge into one undo step (a slider drag).
MERGE_WINDOW_S = 0.8

_LABELS = {
    "strength": "Strength",
    "identity_adaptation": "Identity adaptation",
    "relative": "Relative motion",
    "reference_frame": "Reference frame",
    "smoothing": "Smoothing",
    "paste_back": "Paste-back",
    "output_size": "Output size",
    "mask_scale": "Moving region size",
    "mask_feather": "Edge softness",
    "synthesis": "Model's painting",
    "full_resolution": "Full resolution",
}
_IDS = {name: 1000 + i for i, name in enumerate(_LABELS)}


def describe(name: str, value: Any) -> str:
    label = _LABELS.get(name, name)
    if isinstance(value, bool):
        if name == "relative":
            return "Relative motion" if value else "Absolute motion"
        return f"{label} {'on' if value else 'off'}"
    if value is None:
        return f"{label}: automatic"
    if isinstance(value, float):
        return f"{label} {value:.2f}"
    return f"{label} {value}"


class OptionsEdit(QUndoCommand):
    """Replaces the document's options: `new` on redo, `old` on undo; a merge takes the later edit's
    options (an edit that ends where it started is no undo step)."""

    old: RenderOptions
    new: RenderOptions
    stamp: float

    def absorb(self, other: OptionsEdit) -> bool:
        self.new = other.new
        self.stamp = other.stamp
        if self.new == self.old:
            self.setObsolete(True)  # dragged back to where it started: no undo step
        return True

    def redo(self) -> None:
        self.document.set_options(self.new)

    def undo(self) -> None:
        self.document.set_options(self.old)


class SetOptionCommand(OptionsEdit):
    """Set one `RenderOptions` field; consecutive changes of the same field within `MERGE_WINDOW_S`
    merge, so dragging a slider is one undo step."""

    def __init__(self, document: Document, name: str, value: Any, mergeable: bool = True) -> None:
        super().__init__(describe(name, value))
        self.document = document
        self.name = name
        self.old: RenderOptions = document.options
        self.new: RenderOptions = self._with(document.options, value)
        self.mergeable = mergeable
        self.stamp = time.monotonic()

    def _with(self, options: RenderOptions, value: Any) -> RenderOptions:
        return replace(options, **{self.name: value})  # validates (ConfigError on a bad value)

    def id(self) -> int:
        return _IDS.get(self.name, -1) if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetOptionCommand) or other.name != self.name or not other.mergeable:
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.setText(describe(self.name, getattr(other.new, self.name)))
        return self.absorb(other)


class SetPlayRangeCommand(QUndoCommand):
    """Set the in and out points (None: the driving's first / last frame)."""

    def __init__(self, document: Document, in_point: int | None, out_point: int | None, text: str) -> None:
        super().__init__(text)
        self.document = document
        self.old = (document.in_point, document.out_point)
        self.new = (in_point, out_point)

    def redo(self) -> None:
        self.document.set_play_range(*self.new)

    def undo(self) -> None:
        self.document.set_play_range(*self.old)


class SetDrivingFaceCommand(QUndoCommand):
    """Which face of the driving video drives: its index, or the face clicked on a frame (`anchor`), as one
    undo step. Undo and redo change only these two fields, and only while the same video drives."""

    def __init__(self, document: Document, face_index: int, anchor: FaceAnchor | None, text: str) -> None:
        super().__init__(text)
        self.document = document
        spec = document.driving
        self.location = spec.location if spec is not None else None
        self.old = (spec.face_index, spec.anchor) if spec is not None else (0, None)
        self.new = (face_index, anchor)

    def redo(self) -> None:
        self._apply(*self.new)

    def undo(self) -> None:
        self._apply(*self.old)

    def _apply(self, face_index: int, anchor: FaceAnchor | None) -> None:
        spec = self.document.driving
        if spec is not None and spec.location == self.location:
            self.document.set_driving(replace(spec, face_index=face_index, anchor=anchor))
