"""The face detector in a helper process.

dlib holds Python's GIL while it loads its 68-point model (about a second) and while it runs a few
calls; in the app's process that would freeze the UI. Here it runs in a child process (spawned, so no
Qt state is inherited) and the app talks to it through a pipe: `RemoteDetector` implements the core's
`LandmarkDetector` protocol (with the optional `detect_turned` search and `smallest_face_px` when the
child's detector has them), so the core's analysis, tracking and `Reenactor.set_source` use it
unchanged. Worker threads that call it wait on the pipe without holding the GIL.

If the process cannot start or dies, calls raise `BackendUnavailableError` with what happened; the
engine then falls back to the detector in-process.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import numpy as np

from core.faces.landmarks import BackendUnavailableError
from gui.workers.helper_process import spawn_helper

log = logging.getLogger(__name__)

#: Seconds to wait for the child to load its models.
START_TIMEOUT_S = 120.0


def _serve(conn: Any, backend: str) -> None:  # runs in the child process
    try:
        from core.faces.landmarks import load_detector

        detector = load_detector(backend)
        load = getattr(detector, "load", None)
        if load is not None:
            load()
    except Exception as err:  # noqa: BLE001 - reported to the parent, which decides what to do
        conn.send(("error", err))
        return
    from core.faces.search import can_detect_turned, detector_face_px

    facts = (detector.name, detector.key, bool(detector.wants_gray), can_detect_turned(detector), detector_face_px(detector))
    conn.send(("ready", facts))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        method, args = request
        try:
            result = getattr(detector, method)(*args)
        except Exception as err:  # noqa: BLE001 - the parent re-raises it in the calling thread
            conn.send(("error", err))
        else:
            conn.send(("ok", result))


class RemoteDetector:
    """A `LandmarkDetector` whose work happens in a child process; one call at a time."""

    def __init__(self, backend: str = "dlib") -> None:
        self._lock = threading.Lock()
        self._conn, self._process = spawn_helper(_serve, (backend,), f"{backend}-detector")
        waited = 0.0
        while not self._conn.poll(0.05):
            waited += 0.05
            if not self._process.is_alive() or waited > START_TIMEOUT_S:
                code = self._process.exitcode
                self.close()
                raise BackendUnavailableError(
                    f"the {backend} face detector process "
                    + (f"exited at start (code {code})" if code is not None else f"did not start in {START_TIMEOUT_S:.0f} s")
                )
        status, payload = self._receive()
        if status != "ready":
            self.close()
            raise payload if isinstance(payload, Exception) else BackendUnavailableError(str(payload))
        self.name, self.key, self.wants_gray, turned, self.smallest_face_px = payload
        if turned:  # the child's detector has the slower search for turned faces (dlib's CNN)
            self.detect_turned = self._detect_turned

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._conn.recv()
        except (EOFError, OSError) as err:
            raise BackendUnavailableError(
                f"the face detector process stopped ({err or 'no reply'}): reopen the file to restart it"
            ) from err

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            if not self.alive:
                raise BackendUnavailableError("the face detector process is not running: reopen the file to restart it")
            try:
                self._conn.send((method, args))
            except (OSError, ValueError) as err:
                raise BackendUnavailableError(f"the face detector process cannot be reached ({err})") from err
            status, payload = self._receive()
        if status == "error":
            raise payload
        return payload

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def detect(self, image: np.ndarray) -> list:
        return self._call("detect", np.ascontiguousarray(image))

    def _detect_turned(self, image: np.ndarray) -> list:
        return self._call("detect_turned", np.ascontiguousarray(image))

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        return self._call("refine", np.ascontiguousarray(image), np.asarray(box))

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone
            self._conn.send(None)
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.terminate()
        self._conn.close()
