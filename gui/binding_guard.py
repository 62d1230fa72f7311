"""A guard against a Qt binding that loses references to None, True and False.

PySide6 6.12.0 (the abi3 wheels) on Python 3.10/3.11 returns None from every void method and True from
every ``signal.emit()`` without adding the reference it hands over: each call takes one reference away
from the interpreter's singletons. From Python 3.12 on those objects are immortal and nothing happens;
before it, their counts run down with use and the process aborts with "Fatal Python error:
none_dealloc: deallocating None" (or bool_dealloc) after some minutes of a busy UI: about two
minutes of training beside the preview. PySide6 6.11.3 does not have the bug.

`protect_singletons` measures whether this binding has the bug and, only then, gives the three
singletons a count so large that no session can spend it (what 3.12's immortal objects have). The
real fix is a binding without the bug (6.11.3, or a later fixed release).
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

#: What each singleton's count is raised by: 2**40 calls is decades of a busy UI.
RESERVE = 1 << 40

_protected = False


def binding_loses_references(calls: int = 64) -> dict[str, int]:
    """How many references to None and True `calls` void calls and emits take away (0 when sound)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(calls):
        probe.setObjectName("probe")  # a void method: returns None
    none_after = sys.getrefcount(None)
    for _ in range(calls):
        probe.objectNameChanged.emit("probe")  # emit returns True
    true_after = sys.getrefcount(True)
    del probe
    return {"None": max(0, none_before - none_after), "True": max(0, true_before - true_after)}


def protect_singletons() -> bool:
    """Raise the counts of None, True and False when this binding spends them; True if it did."""
    global _protected
    if _protected or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _protected
    lost = binding_loses_references()
    if not any(lost.values()):
        return False
    for singleton in (None, True, False):
        # CPython keeps an object's reference count in the first word of the object (Py_ssize_t ob_refcnt).
        count = ctypes.c_ssize_t.from_address(id(singleton))
        count.value += RESERVE
    _protected = True
    from PySide6 import __version__ as pyside_version

    log.warning("PySide6 %s loses references to None/True on Python %d.%d (%s per 64 calls): protected them; "
                "use another PySide6 version (6.11.3 is sound)", pyside_version, *sys.version_info[:2], lost)
    return True
