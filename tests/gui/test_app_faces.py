"""The app finds the faces the command line finds: its detector wrappers (the helper process and the
lock shared by the lanes) pass on dlib's slower search for turned faces and the smallest face the
detector sees, so a turned face opens as a portrait in the app as it renders from the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.faces.landmarks import detect_faces, load_detector
from core.faces.search import can_detect_turned, detector_face_px
from core.video import VideoReader
from gui.controllers import engine
from gui.models.specs import SourceSpec
from gui.workers.detector_process import RemoteDetector

#: Megamind frame 75: the woman turns away from the camera, cropped with a little margin (rows, columns).
TURNED_FRAME = 75
TURNED_CROP = (slice(166, 404), slice(233, 471))


@pytest.fixture(scope="module")
def turned_face(megamind_path: Path) -> np.ndarray:
    with VideoReader(megamind_path) as reader:
        frame = np.array(reader.read(TURNED_FRAME))
    return np.ascontiguousarray(frame[TURNED_CROP])


@pytest.fixture(scope="module")
def local_dlib():
    return load_detector("dlib")


def test_the_turned_face_is_one_the_frontal_detector_misses(turned_face: np.ndarray, local_dlib) -> None:
    assert detect_faces(turned_face, local_dlib, turned=False) == []
    assert len(detect_faces(turned_face, local_dlib)) == 1


@pytest.mark.parametrize("in_process", [False, True], ids=["helper process", "in process"])
def test_the_apps_detector_finds_a_turned_face_as_the_cli_does(
    turned_face: np.ndarray, local_dlib, in_process: bool
) -> None:
    if in_process:
        detector = engine.LockedDetector(engine._in_process_detector("dlib"))
    else:
        detector = engine.shared_detector("dlib")
        if not isinstance(detector.inner, RemoteDetector):
            pytest.skip("the helper process could not start here; the engine detects in-process")
    assert can_detect_turned(detector) and can_detect_turned(detector.inner)
    assert detector_face_px(detector) == detector_face_px(local_dlib)
    found = detect_faces(turned_face, detector)
    expected = detect_faces(turned_face, local_dlib)
    assert len(found) == 1
    np.testing.assert_allclose(found[0].landmarks, expected[0].landmarks, atol=1e-3)


def test_a_turned_portrait_opens_in_the_app_with_its_face(turned_face: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "turned.png"
    Image.fromarray(turned_face).save(path)
    candidate = engine.Engine(device="cpu").detect_source(SourceSpec(str(path)))
    assert candidate.problem is None and len(candidate.faces) == 1
