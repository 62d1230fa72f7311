"""A job (a callable that may return a generator of `Progress`), its handle, and how a thread runs it.

`execute` is the one place where a job's exceptions are caught: a `UserError` becomes a failure with
the core's own message, `Cancelled` becomes a cancellation, anything else becomes a failure that
keeps its traceback (logged, and shown in the error dialog's details).
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from core.errors import Cancelled, UserError
from core.progress import CancelToken, Progress

log = logging.getLogger(__name__)

#: Progress signals are coalesced to at most one per this many seconds (the last one always goes).
PROGRESS_INTERVAL_S = 0.04

_ids = itertools.count(1)


@dataclass(frozen=True)
class Job:
    """Work for a lane: ``work(cancel)`` returns a value, or a generator of Progress whose return
    value is the result. `title` is what the status bar says while it runs ("" keeps it quiet)."""

    work: Callable[[CancelToken], Any]
    title: str = ""


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed: `message` is for a person (the core's `UserError` text when there is one)."""

    message: str
    user_error: bool
    details: str = ""
    exception: BaseException | None = None


class JobHandle(QObject):
    """The GUI-thread face of one job: its signals fire in the GUI thread, in this order:
    progress* then exactly one of succeeded / failed / cancelled / dropped, then finished."""

    progress = Signal(object)  # Progress
    succeeded = Signal(object)  # the job's result
    failed = Signal(object)  # JobFailure
    cancelled = Signal()
    dropped = Signal()  # replaced by a newer request before it started (latest-wins lanes)
    finished = Signal()

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.id = next(_ids)
        self.token = CancelToken()
        self.state = "pending"  # pending, running, succeeded, failed, cancelled, dropped
        self.last_progress: Progress | None = None
        self.result: Any = None
        self.failure: JobFailure | None = None
        self.started_at: float | None = None

    @property
    def title(self) -> str:
        return self.job.title

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled", "dropped")

    def cancel(self) -> None:
        """Ask the job to stop at its next yield (a pending job never starts)."""
        self.token.cancel()

    # Called by the lane, in the GUI thread.
    def _deliver(self, outcome: str, payload: Any) -> None:
        self.state = outcome
        if outcome == "succeeded":
            self.result = payload
            self.succeeded.emit(payload)
        elif outcome == "failed":
            self.failure = payload
            self.failed.emit(payload)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.dropped.emit()
        self.finished.emit()


def execute(job: Job, token: CancelToken, on_progress: Callable[[Progress], None]) -> tuple[str, Any]:
    """Run `job` on the calling (worker) thread: ("succeeded", result) | ("failed", JobFailure) |
    ("cancelled", None). Each yield is a cancel point; the generator is closed when cancelled, so its
    cleanup (atomic writes, temporary files) runs."""
    try:
        token.check()
        result = job.work(token)
        if isinstance(result, Generator):
            result = _drain(result, token, on_progress)
    except Cancelled:
        return "cancelled", None
    except UserError as err:
        return "failed", JobFailure(str(err), True, exception=err.with_traceback(None))
    except Exception as err:  # noqa: BLE001 - a worker thread must report every failure, never die silently
        details = traceback.format_exc()
        log.error("%s failed:\n%s", job.title or "background job", details)
        message = f"Unexpected error{f' while {job.title.lower()}' if job.title else ''}: {err}"
        return "failed", JobFailure(message, False, details, err.with_traceback(None))
    return "succeeded", result


def _drain(stream: Generator, token: CancelToken, on_progress: Callable[[Progress], None]) -> Any:
    last_sent = 0.0
    pending: Progress | None = None
    try:
        while True:
            try:
                item = next(stream)
            except StopIteration as stop:
                if pending is not None:
                    on_progress(pending)
                return stop.value
            token.check()
            if isinstance(item, Progress):
                now = time.perf_counter()
                if now - last_sent >= PROGRESS_INTERVAL_S or (item.total and item.done >= item.total):
                    on_progress(item)
                    last_sent, pending = now, None
                else:
                    pending = item
    finally:
        stream.close()
