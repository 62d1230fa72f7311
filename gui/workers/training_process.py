"""The trainer in a helper process, supervised from a worker thread.

A training step is mostly torch work, which releases Python's GIL, but the trainer around it (data
loading and augmentation, loss bookkeeping, the sample grid, checkpoint writing) is Python that holds
it for tens of milliseconds at a time. In the app's process that stalls the UI thread, which needs the
GIL to paint. Here the trainer runs in a child process (spawned, so no Qt state is inherited) at a
lower CPU priority, and the training lane's worker thread relays what it reports: it waits on a pipe
without holding the GIL.

Protocol, child to parent, one tuple per message:
``("progress", Progress)`` while the run is built, ``("started", RunStart)``, ``("step", TrainProgress)``
after every step, then exactly one of ``("result", TrainResult)``, ``("user_error", UserError)`` or
``("error", summary, traceback)``. Parent to child: ``"stop"`` (finish the step, write a checkpoint,
return). If the parent goes away, the child stops the same way, so a crashed app still leaves a
checkpoint.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

from core.errors import UserError
from core.progress import CancelToken, Progress, run_to_end
from gui.workers.helper_process import spawn_helper
from gui.workers.priority import BACKGROUND_NICE, background_priority
from training.runs import RunRequest, RunStart

log = logging.getLogger(__name__)

#: Seconds a stopping child has to write its checkpoint before it is terminated (app shutdown only).
STOP_GRACE_S = 30.0


class TrainingProcessError(RuntimeError):
    """The training process failed with an unexpected error, or died. The child's traceback, when
    there is one, is the `__cause__` (a `RemoteTraceback`), so the log and the error's details show it."""


class RemoteTraceback(Exception):
    """The traceback text of an error raised in the training process."""

    def __str__(self) -> str:
        return "\n\nIn the training process:\n" + str(self.args[0] if self.args else "")


# ---------------------------------------------------------------------- the child


def _listen(conn: Any, stop: CancelToken) -> None:
    """Child thread: a "stop" message, or the parent going away, stops the run with a checkpoint."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            stop.cancel()
            return
        if message == "stop":
            stop.cancel()


def _send(conn: Any, message: tuple) -> None:
    with contextlib.suppress(EOFError, OSError):  # the parent is gone: the run goes on to its checkpoint
        conn.send(message)


def _serve(conn: Any, request: RunRequest, device: str, nice: int) -> None:  # the child's main
    background_priority(nice)  # before torch starts its threads, which inherit it
    stop = CancelToken()
    threading.Thread(target=_listen, args=(conn, stop), name="training-stop-listener", daemon=True).start()
    try:
        _send(conn, ("progress", Progress(0, 0, "Building the networks…")))
        from core.atomic import check_writable_dir
        from core.device import describe, pick_device
        from training.trainer import setup_run

        model, train, checkpoint = request.configs()
        request.out.mkdir(parents=True, exist_ok=True)
        check_writable_dir(request.out, "run")
        chosen = pick_device(device)
        session = setup_run(request.data, request.out, model, train, chosen, None, checkpoint)
        _send(conn, ("started", RunStart(
            step=session.trainer.step,
            total=train.steps,
            perceptual=session.trainer.perceptual_kind,
            device=describe(chosen),
            resumed_from=session.resumed_from,
            run_dir=request.out,
            init_from=session.init_from,
        )))
        result = run_to_end(session.stream(stop), lambda item: _send(conn, ("step", item.payload)))
        _send(conn, ("result", result))
    except UserError as err:
        try:
            pickle.dumps(err)
        except Exception:  # noqa: BLE001 - an exception type that does not pickle: keep its message
            err = UserError(str(err))
        _send(conn, ("user_error", err.with_traceback(None)))
    except BaseException as err:  # noqa: BLE001 - everything else is reported with its traceback
        _send(conn, ("error", f"{type(err).__name__}: {err}", traceback.format_exc()))


# ---------------------------------------------------------------------- the parent


class TrainingProcess:
    """One training run in a child process. `messages()` yields what it reports (see the module
    docstring) and ends after its last message; `request_stop()` asks for a stop with a checkpoint."""

    def __init__(self, request: RunRequest, device: str = "auto", nice: int = BACKGROUND_NICE) -> None:
        self._conn, self._process = spawn_helper(_serve, (request, device, nice), "reenact-training")
        self._stop_sent = False
        self._finished = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def request_stop(self) -> None:
        """Finish the current step, write a checkpoint and end (idempotent)."""
        if self._stop_sent or self._finished:
            return
        self._stop_sent = True
        with contextlib.suppress(OSError, ValueError):  # already gone: nothing to stop
            self._conn.send("stop")

    def messages(self, poll_s: float = 0.1, should_stop: Any = None) -> Iterator[tuple]:
        """The child's messages as they come. Between them (every `poll_s`), `should_stop()` true sends
        the stop request. Ends after a final message; a child that dies without one raises
        `TrainingProcessError`."""
        while not self._finished:
            if should_stop is not None and not self._stop_sent and should_stop():
                self.request_stop()
            try:
                if not self._conn.poll(poll_s):  # waits without holding the GIL
                    if not self._process.is_alive() and not self._conn.poll(0):
                        raise self._died()
                    continue
                message = self._conn.recv()
            except (EOFError, OSError) as err:
                raise self._died() from err
            if message[0] in ("result", "user_error", "error"):
                self._finished = True
            yield message

    def _died(self) -> TrainingProcessError:
        self._finished = True
        self._process.join(timeout=5)
        code = self._process.exitcode
        if code is not None and code < 0:
            how = f"was killed by signal {-code}" + (" (out of memory?)" if -code == 9 else "")
        else:
            how = f"exited with code {code}"
        return TrainingProcessError(f"the training process {how} before finishing; the last periodic checkpoint "
                                    "is kept")

    def close(self, grace_s: float = STOP_GRACE_S) -> None:
        """Wait up to `grace_s` for the child to end (asking it to stop first if it still runs), then
        terminate it."""
        if self._process.is_alive() and not self._finished:
            self.request_stop()
        deadline = time.monotonic() + grace_s
        while self._process.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(EOFError, OSError):  # drain, so a child blocked on a full pipe can end
                while self._conn.poll(0):
                    self._conn.recv()
            self._process.join(timeout=0.1)
        if self._process.is_alive():
            log.warning("the training process did not stop in %.0f s: terminating it", grace_s)
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()
