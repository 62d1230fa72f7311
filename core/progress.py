"""Long work is a generator of `Progress`; cancelling is a flag it checks at each yield.

The CLI turns the stream into a progress bar on stderr; the GUI runs it on a QThread and turns each
item into a signal. The generator's return value (``StopIteration.value``) is its result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """One step of long work: `done` out of `total` units (total 0 when unknown)."""

    done: int
    total: int
    message: str = ""
    payload: Any = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total > 0 else 0.0


ProgressStream = Generator[Progress, None, T]


@dataclass
class CancelToken:
    """A thread-safe flag; long work calls `check()` at each yield and stops cleanly."""

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


def run_to_end(stream: ProgressStream[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Exhaust `stream`, passing every `Progress` to `on_progress`; return the generator's result."""
    while True:
        try:
            item = next(stream)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(item)
