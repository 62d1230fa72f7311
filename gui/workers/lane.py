"""A worker lane: one QThread that runs jobs one after another, plus a latest-wins slot.

`submit` queues a job (FIFO: loading a model, preparing a source, an export). `submit_latest` puts a
job in a one-place slot: a newer one replaces a pending older one, which is dropped without running
(previews while scrubbing: stale requests are never queued). Queued jobs run before the latest-wins
slot, so a render never sees a half-changed scene on this lane.

The thread only runs `execute`; results travel back to the GUI thread through queued signals and are
delivered by the `JobHandle`s there.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.progress import Progress
from gui.workers.job import Job, JobHandle, execute


class _LaneThread(QThread):
    progressed = Signal(object, object)  # handle, Progress
    ended = Signal(object, str, object)  # handle, outcome, payload

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.cond = threading.Condition()
        self.queue: deque[JobHandle] = deque()
        self.latest: JobHandle | None = None
        self.stopping = False

    def _next(self) -> JobHandle | None:
        with self.cond:
            while not self.queue and self.latest is None and not self.stopping:
                self.cond.wait()
            if self.stopping:
                return None
            if self.queue:
                return self.queue.popleft()
            handle, self.latest = self.latest, None
            return handle

    def run(self) -> None:
        while (handle := self._next()) is not None:
            handle.state = "running"  # read by the GUI thread only for display
            handle.started_at = time.perf_counter()
            outcome, payload = execute(handle.job, handle.token, lambda p, h=handle: self.progressed.emit(h, p))
            self.ended.emit(handle, outcome, payload)


class WorkerLane(QObject):
    """Runs jobs on its own thread; see the module docstring."""

    jobProgressed = Signal(object, object)  # JobHandle, Progress
    jobFinished = Signal(object)  # JobHandle

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._thread = _LaneThread(name)
        self._thread.progressed.connect(self._on_progress)
        self._thread.ended.connect(self._on_ended)
        self._live: dict[int, JobHandle] = {}  # keeps handles alive until delivered
        self._thread.start()

    # -- submitting --------------------------------------------------------------------------------
    def submit(self, job: Job) -> JobHandle:
        """Queue `job`; it runs after the jobs before it."""
        handle = JobHandle(job)
        self._live[handle.id] = handle
        with self._thread.cond:
            self._thread.queue.append(handle)
            self._thread.cond.notify()
        return handle

    def submit_latest(self, job: Job) -> JobHandle:
        """Put `job` in the latest-wins slot; a pending job there is dropped."""
        handle = JobHandle(job)
        self._live[handle.id] = handle
        with self._thread.cond:
            old, self._thread.latest = self._thread.latest, handle
            self._thread.cond.notify()
        if old is not None:
            self._deliver(old, "dropped", None)
        return handle

    def cancel_all(self) -> None:
        for handle in list(self._live.values()):
            handle.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        """Cancel everything, stop the thread and wait for it; False if it did not stop in time."""
        self.cancel_all()
        with self._thread.cond:
            self._thread.stopping = True
            pending = list(self._thread.queue) + ([self._thread.latest] if self._thread.latest else [])
            self._thread.queue.clear()
            self._thread.latest = None
            self._thread.cond.notify_all()
        for handle in pending:
            self._deliver(handle, "cancelled", None)
        return self._thread.wait(wait_ms)

    # -- delivery (GUI thread) -----------------------------------------------------------------------
    @Slot(object, object)
    def _on_progress(self, handle: JobHandle, progress: Progress) -> None:
        if handle.done:
            return
        handle.last_progress = progress
        handle.progress.emit(progress)
        self.jobProgressed.emit(handle, progress)

    @Slot(object, str, object)
    def _on_ended(self, handle: JobHandle, outcome: str, payload: Any) -> None:
        self._deliver(handle, outcome, payload)

    def _deliver(self, handle: JobHandle, outcome: str, payload: Any) -> None:
        if handle.done:
            return
        self._live.pop(handle.id, None)
        handle._deliver(outcome, payload)
        self.jobFinished.emit(handle)
