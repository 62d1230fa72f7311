"""Background work yields the CPU to the UI and the preview.

On a 2-core machine, training or dataset preparation at normal priority takes half the machine from
the preview. At nice 10 a thread weighs about a tenth of one at nice 0, so it runs on what the UI and
the preview leave.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

#: Nice value of background work (the training process, the dataset preparation thread).
BACKGROUND_NICE = 10


def background_priority(nice: int = BACKGROUND_NICE) -> bool:
    """Lower the calling thread's CPU priority to `nice`; threads it starts afterwards inherit it.
    True if it did.

    Linux keeps a nice value per thread; elsewhere on POSIX `os.nice` lowers the whole process (call it
    only in a process that does background work alone); Windows has no nice values. Only ever lowered:
    raising it back would need privileges."""
    try:
        if sys.platform.startswith("linux"):
            tid = threading.get_native_id()
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            return True
        if hasattr(os, "nice") and threading.current_thread() is threading.main_thread():
            current = os.nice(0)
            if current < nice:
                os.nice(nice - current)
            return True
    except OSError as err:
        log.info("could not lower the priority of background work: %s", err)
    return False
