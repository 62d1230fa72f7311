"""The face detector runs in a helper process (dlib holds the GIL while loading) and gives the same
faces as in-process detection; a helper that dies is reported and replaced."""

from __future__ import annotations

import numpy as np
import pytest

from core.faces.landmarks import BackendUnavailableError, detect_faces, load_detector
from gui.workers.detector_process import RemoteDetector


@pytest.fixture(scope="module")
def remote():
    detector = RemoteDetector("dlib")
    yield detector
    detector.close()


def test_the_helper_finds_the_same_face_as_the_app_process(remote, astronaut):
    local = load_detector("dlib")
    remote_faces = detect_faces(astronaut, remote)
    local_faces = detect_faces(astronaut, local)
    assert len(remote_faces) == len(local_faces) == 1
    np.testing.assert_allclose(remote_faces[0].landmarks, local_faces[0].landmarks, atol=1e-4)
    assert remote.key == local.key  # the same analysis cache entries


def test_a_dead_helper_is_reported_and_the_engine_starts_a_new_one(astronaut):
    from gui.controllers import engine

    first = engine.shared_detector("dlib")
    if not isinstance(first.inner, RemoteDetector):
        pytest.skip("the helper process could not start here; the engine detects in-process")
    first.inner._process.kill()
    first.inner._process.join(5)
    with pytest.raises(BackendUnavailableError, match="detector process"):
        first.detect(astronaut)
    second = engine.shared_detector("dlib")
    assert second is not first and second.inner.alive
    assert len(detect_faces(astronaut, second)) == 1
