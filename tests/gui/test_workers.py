"""Workers: every outcome of a job reaches the GUI thread as a signal; cancelling stops at a yield."""

from __future__ import annotations

import threading
import time

import pytest

from core.errors import InputError
from core.progress import CancelToken, Progress
from gui.workers import Job, WorkerLane


@pytest.fixture
def lane(qapp):
    lane = WorkerLane("test")
    yield lane
    assert lane.shutdown(5000)


def test_a_generator_job_reports_progress_then_its_result_in_the_gui_thread(lane, qtbot):
    seen_threads = []

    def work(token: CancelToken):
        for i in range(5):
            time.sleep(0.06)
            yield Progress(i + 1, 5, f"step {i + 1}")
        return "done"

    handle = lane.submit(Job(work, "counting"))
    progress = []
    handle.progress.connect(lambda p: (progress.append(p.done), seen_threads.append(threading.current_thread())))
    with qtbot.waitSignal(handle.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == ["done"]
    assert progress and progress[-1] == 5
    assert all(t is threading.main_thread() for t in seen_threads)


def test_a_user_error_arrives_as_a_failure_with_the_core_message(lane, qtbot):
    def work(token):
        raise InputError("clip.mp4 is damaged: re-export it")

    handle = lane.submit(Job(work, "opening"))
    with qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
        pass
    failure = blocker.args[0]
    assert failure.user_error and failure.message == "clip.mp4 is damaged: re-export it"


def test_an_unexpected_error_arrives_with_its_traceback_instead_of_killing_the_thread(lane, qtbot):
    handle = lane.submit(Job(lambda token: {}["missing"], "looking up"))
    with qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
        pass
    failure = blocker.args[0]
    assert not failure.user_error
    assert "KeyError" in failure.details and "missing" in failure.message
    # The lane still works after a failure.
    with qtbot.waitSignal(lane.submit(Job(lambda token: 42)).succeeded, timeout=5000) as ok:
        pass
    assert ok.args == [42]


def test_cancel_stops_the_generator_at_its_next_yield_and_runs_its_cleanup(lane, qtbot):
    cleaned = threading.Event()
    steps = []

    def work(token):
        try:
            for i in range(1000):
                steps.append(i)
                time.sleep(0.01)
                yield Progress(i, 1000)
        finally:
            cleaned.set()

    handle = lane.submit(Job(work, "long"))
    qtbot.waitUntil(lambda: len(steps) > 3, timeout=5000)
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        handle.cancel()
    assert cleaned.is_set()
    assert len(steps) < 1000


def test_latest_wins_drops_stale_requests_instead_of_queueing_them(lane, qtbot):
    gate = threading.Event()
    ran = []

    def slow(token):
        gate.wait(5)
        ran.append("first")

    first = lane.submit_latest(Job(slow))
    qtbot.waitUntil(lambda: first.state == "running", timeout=5000)
    stale = [lane.submit_latest(Job(lambda token, i=i: ran.append(i))) for i in range(5)]
    with qtbot.waitSignal(stale[-1].succeeded, timeout=5000):
        gate.set()
    assert ran == ["first", 4]  # only the newest of the five ran
    assert all(h.state == "dropped" for h in stale[:-1])
