"""Following a face chosen by its place (`FaceAnchor`: the face at a box on one frame) in a real clip with two
faces: the analysis tracks that face forwards and backwards from the frame, is cached under the anchor, and
reads the frames before it in chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError
from core.faces import analysis as analysis_module
from core.faces.analysis import TrackingSettings, analyze_video, cache_file_for
from core.faces.anchor import FaceAnchor
from core.faces.landmarks import Face, detect_faces
from core.faces.tracking import nearest_face
from core.progress import run_to_end
from core.video import open_reader
from tests.two_faces import FRAMES, HALF_WIDTH, write_two_face_clip


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_face_clip(tmp_path_factory.mktemp("two_faces") / "two_faces.avi")


@pytest.fixture(scope="module")
def right_face(two_faces: Path, dlib_detector) -> tuple[float, ...]:
    """The woman's box (the right half's face) on frame 30, as a click there would find it."""
    with open_reader(two_faces) as reader:
        faces = detect_faces(reader.read(30), dlib_detector)
    assert len(faces) == 2 and faces[0].box[0] < HALF_WIDTH < faces[1].box[0]  # the larger face is on the left
    return tuple(float(v) for v in faces[1].box)


def face_x(analysis) -> np.ndarray:
    """Each frame's landmarks' horizontal extent: (min x, max x) per frame."""
    xs = analysis.landmarks_raw[:, :, 0]
    return np.stack([xs.min(1), xs.max(1)], 1)


def test_an_anchor_follows_the_face_at_its_box_before_and_after_its_frame(two_faces, right_face, dlib_detector):
    default = run_to_end(analyze_video(two_faces, dlib_detector, use_cache=False))
    assert default.frames_with_face == FRAMES
    assert (default.landmarks_raw[:, :, 0].mean(1) < HALF_WIDTH).all()  # the larger face, on the left

    anchor = FaceAnchor(30, right_face)
    chosen = run_to_end(analyze_video(two_faces, dlib_detector, anchor=anchor, use_cache=False))
    assert chosen.frame_count == FRAMES and chosen.frames_with_face == FRAMES
    assert (face_x(chosen)[:, 0] > HALF_WIDTH).all()  # every frame, the 30 before the click included
    # On the anchor's frame the track starts from the detected face there, not a copy of the box.
    iou_at_anchor = _iou(chosen.boxes[30], np.asarray(right_face))
    assert iou_at_anchor > 0.6


def test_the_anchor_is_part_of_the_cache_key(two_faces, right_face, dlib_detector):
    settings = TrackingSettings()
    plain = cache_file_for(two_faces, dlib_detector, 0, settings)
    anchored = cache_file_for(two_faces, dlib_detector, 0, settings, anchor=FaceAnchor(30, right_face))
    assert plain != anchored
    assert anchored != cache_file_for(two_faces, dlib_detector, 0, settings, anchor=FaceAnchor(31, right_face))
    first = run_to_end(analyze_video(two_faces, dlib_detector, anchor=FaceAnchor(30, right_face)))
    assert anchored.exists()
    progress = list(analyze_video(two_faces, dlib_detector, anchor=FaceAnchor(30, right_face)))
    assert any(getattr(p, "message", "") == "from cache" for p in progress)
    again = run_to_end(analyze_video(two_faces, dlib_detector, anchor=FaceAnchor(30, right_face)))
    np.testing.assert_array_equal(again.landmarks_raw, first.landmarks_raw)


def test_frames_before_the_anchor_read_in_small_chunks_give_the_same_tracks(two_faces, right_face, dlib_detector,
                                                                            monkeypatch):
    anchor = FaceAnchor(45, right_face)
    whole = run_to_end(analyze_video(two_faces, dlib_detector, anchor=anchor, use_cache=False))
    monkeypatch.setattr(analysis_module, "BACKWARD_CHUNK_BYTES", 1)  # 8 frames a chunk: 6 chunks back to frame 0
    chunked = run_to_end(analyze_video(two_faces, dlib_detector, anchor=anchor, use_cache=False))
    np.testing.assert_array_equal(chunked.landmarks_raw, whole.landmarks_raw)
    assert (face_x(chunked)[:, 0] > HALF_WIDTH).all()


def test_an_anchor_past_the_end_is_taken_on_the_last_frame(two_faces, right_face, dlib_detector):
    late = run_to_end(analyze_video(two_faces, dlib_detector, anchor=FaceAnchor(10_000, right_face), use_cache=False))
    assert late.frames_with_face == FRAMES and (face_x(late)[:, 0] > HALF_WIDTH).all()


def test_the_face_nearest_a_point_or_box():
    left = Face(np.array([20, 160, 280, 420], np.float32), 1.0, np.zeros((68, 2), np.float32))
    right = Face(np.array([390, 180, 540, 330], np.float32), 1.0, np.zeros((68, 2), np.float32))
    assert nearest_face([left, right], (450, 250, 450, 250)) is right  # a click inside the right face
    assert nearest_face([left, right], (560, 200, 560, 200)) is right  # just beside it
    assert nearest_face([left, right], (100, 200, 250, 400)) is left  # a box overlapping the left face
    assert nearest_face([left, right], (590, 20, 590, 20), reach=0.5) is None  # nowhere near a face
    assert nearest_face([], (1, 1, 2, 2)) is None


def test_a_face_anchor_is_checked_and_reads_back():
    anchor = FaceAnchor(12, (10.123456, 20, 110, 140.5))
    assert anchor.box == (10.12, 20.0, 110.0, 140.5)
    assert FaceAnchor.from_dict(anchor.to_dict()) == anchor
    for bad in ({"frame": -1, "box": [0, 0, 10, 10]}, {"frame": 1, "box": [10, 0, 5, 10]},
                {"frame": 1, "box": [0, 0, float("nan"), 10]}, {"frame": True, "box": [0, 0, 10, 10]},
                {"frame": 1, "box": "0 0 10 10"}, {"frame": 1}, [1, 2]):
        with pytest.raises(ConfigError):
            FaceAnchor.from_dict(bad)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    from core.faces.landmarks import box_iou

    return box_iou(a, b)


def test_a_project_driving_with_a_face_anchor_follows_that_face(two_faces, right_face, dlib_detector, tmp_path):
    from types import SimpleNamespace

    from core.errors import InputError
    from core.project_file import face_anchor
    from core.project_render import driving_of_project

    entry = {"path": str(two_faces), "face_index": 1, "face_anchor": FaceAnchor(30, right_face).to_dict()}
    assert face_anchor(entry) == FaceAnchor(30, right_face) and face_anchor({"path": "x.mp4"}) is None
    reenactor = SimpleNamespace(source=SimpleNamespace(landmarks=np.zeros((68, 2), np.float32)), resolution=64,
                                detector=dlib_detector)
    sequence = run_to_end(driving_of_project(entry, tmp_path, reenactor))  # what `render --project` drives with
    assert (sequence.raw[:, :, 0].min(1) > HALF_WIDTH).all()
    with pytest.raises(InputError, match=r"clip\.reenact: the driving.s face_anchor"):
        face_anchor({"face_anchor": {"frame": 3, "box": [5, 5, 1, 1]}}, "clip.reenact")
