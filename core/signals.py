"""Termination signals stop long work the way Ctrl-C does, so that nothing half-written is left behind.

Python turns SIGINT into `KeyboardInterrupt`, which unwinds through every ``finally`` and
`core.atomic.atomic_path` (the temporary output is removed, an existing target is left intact). SIGTERM
(``kill``, a logout, a service manager) and SIGHUP (a closed terminal) would end the process at once
instead, leaving hidden ``.part`` files behind. `stop_on_termination` makes them raise `Terminated`, a
`KeyboardInterrupt`, in the main thread; after the first one, further termination signals are ignored
so that the clean-up itself cannot be cut short.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

#: The signals handled like Ctrl-C (those this platform has).
TERMINATION_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a termination signal (`signum`)."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_termination() -> Iterator[None]:
    """Within this block, SIGTERM and SIGHUP raise `Terminated` in the main thread (elsewhere: no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: Any) -> None:
        for other in wanted:
            signal.signal(other, signal.SIG_IGN)  # let the clean-up finish
        raise Terminated(signum)

    # A signal already ignored (SIGHUP under nohup) stays ignored: the user asked to survive it.
    wanted = [sig for sig in TERMINATION_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]
    previous = {sig: signal.signal(sig, on_signal) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
