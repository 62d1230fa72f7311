"""Starting a helper process: spawned (no Qt state is inherited, and CUDA works in it), a daemon (a
normal exit of the app never leaves it behind), talking to the app through one duplex pipe."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


def spawn_helper(target: Callable[..., None], args: tuple[Any, ...], name: str) -> tuple[Connection, BaseProcess]:
    """Start ``target(child_connection, *args)`` in a spawned process; return (the app's end of the pipe,
    the process)."""
    # The child starts with a copy of sys.path. OpenCV's loader puts its own folder at the front of
    # sys.path while it imports (its `typing` package then shadows Python's in the child); finishing
    # (or waiting for another thread's) import of cv2 first means the copy is clean.
    import cv2  # noqa: F401

    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), name=name, daemon=True)
    process.start()
    child.close()
    return conn, process
