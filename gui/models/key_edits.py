"""Undo commands for the animator's controls and keys.

Every edit of a control or a key replaces the document's options with new ones (controls and keys are
immutable, so the old options are the undo). One gesture is one undo step: edits that carry the same
`gesture` merge. A key dragged in the curve editor is one gesture from press to release (a number from
`new_gesture`); a slider, which does not say when a drag ends, passes its control's name, and its
edits merge within `MERGE_WINDOW_S` of each other, as a slider drag does for the other options
(`gui.models.undo`).
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtGui import QUndoCommand

from core.config import RenderOptions
from gui.models.document import Document
from gui.models.undo import MERGE_WINDOW_S, OptionsEdit

#: Undo ids of merging key edits (apart from `gui.models.undo`'s option ids).
_MERGE_ID = 2000
_gestures = itertools.count(1)


def new_gesture() -> int:
    """A fresh gesture number: the edits of one drag share it."""
    return next(_gestures)


class EditDirectionCommand(OptionsEdit):
    """Replace the options' controls and keys (any edit of them); `gesture` merges a drag's edits."""

    def __init__(self, document: Document, options: RenderOptions, text: str, gesture: object = None) -> None:
        super().__init__(text)
        self.document = document
        self.old = document.options
        self.new = options
        self.gesture = gesture
        self.stamp = time.monotonic()

    def id(self) -> int:
        return _MERGE_ID if self.gesture is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditDirectionCommand) or other.gesture is None or other.gesture != self.gesture:
            return False
        if isinstance(self.gesture, str) and other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.setText(other.text())
        return self.absorb(other)
