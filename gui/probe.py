"""A UI-thread responsiveness probe: a precise QTimer that records how late each of its ticks is.

Any work that blocks the GUI thread (or holds Python's GIL) shows up as a long gap between ticks.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer


@dataclass(frozen=True)
class GapStats:
    worst_ms: float  # the longest time between two ticks
    p99_ms: float
    median_ms: float
    ticks: int
    interval_ms: int

    def as_dict(self) -> dict[str, float]:
        return {
            "worst_ms": round(self.worst_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "median_ms": round(self.median_ms, 1),
            "ticks": self.ticks,
            "probe_interval_ms": self.interval_ms,
        }


class GapProbe(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._gaps: list[float] = []

    def start(self) -> None:
        self._gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._gaps.append((now - self._last) * 1000)
        self._last = now

    def stop(self) -> GapStats:
        self._timer.stop()
        gaps = sorted(self._gaps) or [0.0]
        return GapStats(
            worst_ms=gaps[-1],
            p99_ms=gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))],
            median_ms=statistics.median(gaps),
            ticks=len(self._gaps),
            interval_ms=self.interval_ms,
        )
