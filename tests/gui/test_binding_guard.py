"""The Qt binding must not spend the interpreter's None/True: a long session would abort (PySide6 6.12.0
on Python < 3.12 does; `gui.binding_guard` then protects them)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

import gui  # noqa: F401 - importing the package installs the guard
from gui import binding_guard


def test_a_long_session_of_void_calls_and_emits_cannot_run_none_or_true_down():
    lost = binding_guard.binding_loses_references()
    if sys.version_info >= (3, 12) or not any(lost.values()):
        assert not binding_guard._protected  # a sound binding (or immortal singletons): nothing to do
        return
    assert binding_guard._protected
    assert sys.getrefcount(None) > binding_guard.RESERVE // 2 and sys.getrefcount(True) > binding_guard.RESERVE // 2
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(20_000):  # the binding still spends one reference per call...
        probe.setObjectName("x")
    spent = before - sys.getrefcount(None)
    assert spent >= 20_000
    assert sys.getrefcount(None) > binding_guard.RESERVE // 2  # ...from a reserve no session can spend
