"""The animator's state besides the document: which control is active (the one the key shortcuts act
on, the curve editor's highlighted curve) and which keys are selected in the curve editor.

The controls' values and keys themselves are in the document's options (`RenderOptions.controls` and
`.animation`); `key_state` and `value_at` read them for a frame.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, Signal

from core.animation.tracks import CONTROLS
from core.config import RenderOptions

KeyState = Literal["static", "animated", "key"]
#: The colour of keys everywhere: the timeline's key marks, the key buttons, the curve editor's diamonds.
KEY_COLOUR = "#e8c547"
#: A key as the curve editor selects it: (control, frame).
KeyRef = tuple[str, float]

#: The groups of the Animate panel, in order, with their titles.
GROUPS: tuple[tuple[str, str], ...] = (
    ("master", "MASTER"),
    ("pose", "POSE ON TOP"),
    ("expression", "EXPRESSION ON TOP"),
    ("regions", "REGIONS"),
    ("stabilise", "STABILISE"),
)


def value_at(options: RenderOptions, name: str, frame: float) -> float:
    """The control's value on `frame`: its curve's where it has keys, else its static value."""
    return options.animation.value(name, frame, options.controls)


def key_state(options: RenderOptions, name: str, frame: float) -> KeyState:
    """"key": a key on `frame`; "animated": keys elsewhere; "static": no keys (one value everywhere)."""
    curve = options.animation.curve(name)
    if curve is None:
        return "static"
    return "key" if curve.key_at(frame) is not None else "animated"


class AnimationState(QObject):
    activeChanged = Signal(str)
    selectionChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = "yaw"
        self.selected: frozenset[KeyRef] = frozenset()

    def set_active(self, name: str) -> None:
        if name in CONTROLS and name != self.active:
            self.active = name
            self.activeChanged.emit(name)

    def select(self, keys: frozenset[KeyRef] | set[KeyRef]) -> None:
        keys = frozenset(keys)
        if keys != self.selected:
            self.selected = keys
            self.selectionChanged.emit()

    def prune(self, options: RenderOptions) -> None:
        """Forget selected keys that no longer exist (undone, deleted)."""
        kept = {(name, frame) for name, frame in self.selected
                if (curve := options.animation.curve(name)) is not None and curve.key_at(frame) is not None}
        self.select(kept)
