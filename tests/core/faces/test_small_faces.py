"""Faces users actually have: small faces (down to about 40 px) and turned faces are found, the message
says how small a face was searched for, and tracking bridges a few missed frames and says so."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import NoFaceError
from core.faces.analysis import analyze_video
from core.faces.image_io import read_image
from core.faces.landmarks import (
    MIN_SEARCHED_FACE,
    Face,
    LandmarkDetector,
    detect_faces,
    pick_face,
    searched_face_px,
)
from core.faces.search import SearchSchedule, detect_upsampled, smallest_face_searched
from core.faces.tracking import FaceTracker, fill_gaps
from core.progress import run_to_end
from core.video import VideoReader, VideoWriter

from .conftest import SpyDetector


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def _landmark_error(face: Face, reference: np.ndarray, factor: float) -> float:
    """Mean landmark distance to the full-size reference scaled down, in face widths."""
    expected = (reference + 0.5) * factor - 0.5
    return float(np.linalg.norm(face.landmarks - expected, axis=1).mean() / face.width)


def _smallest_found(image: np.ndarray, reference: Face, detector: LandmarkDetector) -> float:
    """The narrowest face (px) still found, landmarks in place, in ever smaller copies of `image`."""
    smallest = reference.width
    for width in range(60, 15, -2):
        factor = width / reference.width
        faces = detect_faces(_scaled(image, factor), detector)
        if not faces or _landmark_error(faces[0], reference.landmarks, factor) > 0.15:
            break
        smallest = width
    return smallest


@pytest.fixture(scope="module")
def megamind_frame(megamind_path: Path) -> np.ndarray:
    with VideoReader(megamind_path) as reader:
        return np.array(reader.read(40))  # the man, facing the camera


def test_small_faces_in_photos_are_found_with_their_landmarks_in_place(
    obama_path: Path, megamind_frame: np.ndarray, dlib_detector: LandmarkDetector, report_figure
) -> None:
    for name, image in (("obama.jpg", read_image(obama_path)), ("Megamind frame 40", megamind_frame)):
        reference = detect_faces(image, dlib_detector)[0]
        for width in (60, 48, MIN_SEARCHED_FACE):
            factor = width / reference.width
            faces = detect_faces(_scaled(image, factor), dlib_detector)
            assert faces, f"no face at {width} px in {name}"
            assert _landmark_error(faces[0], reference.landmarks, factor) < 0.1, (name, width)
        report_figure(f"smallest face found in a scaled-down {name} (px)", _smallest_found(image, reference, dlib_detector))


def test_the_no_face_message_says_how_small_a_face_was_searched_for(dlib_detector: LandmarkDetector) -> None:
    from skimage.data import coffee

    photo = coffee()  # 600 x 400: searched down to 40 px
    assert searched_face_px(photo.shape) == MIN_SEARCHED_FACE
    with pytest.raises(NoFaceError, match=r"searched for faces down to 40 px wide, turned ones included"):
        pick_face(detect_faces(photo, dlib_detector), 0, "coffee.png", searched_face_px(photo.shape))
    big = _scaled(photo, 4.0)  # 2400 px: detection runs on copies of at most 1920 px
    assert searched_face_px(big.shape) == 100
    assert detect_faces(big, dlib_detector) == []
    with pytest.raises(NoFaceError, match=r"down to 100 px wide.*larger than 100 px"):
        pick_face([], 0, "big.png", searched_face_px(big.shape))


def test_a_turned_face_the_frontal_detector_misses_is_found(
    megamind_path: Path, dlib_detector: LandmarkDetector, megamind_analysis
) -> None:
    """Megamind frame 75: the woman turns away; dlib's HOG detector finds nothing, its CNN does."""
    analysis = megamind_analysis.analysis
    x0, y0, x1, y1 = analysis.boxes[75]
    margin = 0.6 * (x1 - x0)
    left, top = int(max(0, x0 - margin)), int(max(0, y0 - margin))
    with VideoReader(megamind_path) as reader:
        crop = np.ascontiguousarray(reader.read(75)[top : int(y1 + margin), left : int(x1 + margin)])
    assert detect_faces(crop, dlib_detector, turned=False) == []
    faces = detect_faces(crop, dlib_detector)
    assert len(faces) == 1
    tracked = analysis.landmarks_raw[75] - [left, top]
    assert np.linalg.norm(faces[0].landmarks - tracked, axis=1).mean() < 0.05 * faces[0].width


def test_a_track_lost_on_a_turned_face_is_kept_by_the_turned_face_search(
    megamind_path: Path, dlib_detector: LandmarkDetector
) -> None:
    """Frames 10-79 without grace for missed checks: HOG loses the turned woman at frame 74; the CNN
    search around her keeps the track."""
    with VideoReader(megamind_path) as reader:  # the frames as the analysis sees them (luma)
        frames = [np.array(image) for index, image in reader.iter_decoded(gray=True) if 10 <= index < 80]
    lost = FaceTracker(dlib_detector, grace_checks=0, turned=False)
    assert any(lost.update(f) is None for f in frames)
    kept = FaceTracker(dlib_detector, grace_checks=0)
    assert all(kept.update(f) is not None for f in frames)
    assert kept.turned_rescues >= 1


def _small_clip(megamind_path: Path, folder: Path, factor: float, occlude: range = range(0)) -> Path:
    """Megamind frames 30-149 scaled by `factor` (the man's face is about 150 px wide at full size);
    frames in `occlude` get a grey band over the face (something passing in front of it)."""
    with VideoReader(megamind_path) as reader:
        frames = [_scaled(np.array(image), factor) for _, image in reader.iter_frames(30, 150)]
    h, w = (s - s % 2 for s in frames[0].shape[:2])
    path = folder / f"small_{factor}.mp4"
    with VideoWriter(path, fps=24, size=(w, h)) as writer:
        for index, frame in enumerate(frames):
            frame = np.ascontiguousarray(frame[:h, :w])
            if index in occlude:
                frame[:, w // 4 : 3 * w // 4] = 128
            writer.write(frame)
    return path


def test_a_low_resolution_clip_with_a_40_px_face_is_analysed(
    megamind_path: Path, tmp_path: Path, dlib_detector: LandmarkDetector, report_figure
) -> None:
    """At 202x148 the face is about 42 px wide: the fast pass alone found none of the 120 frames."""
    clip = _small_clip(megamind_path, tmp_path, 0.28)
    analysis = run_to_end(analyze_video(clip, dlib_detector, use_cache=False))
    assert analysis.frames_with_face >= 0.95 * analysis.frame_count
    widths = analysis.boxes[analysis.has_face, 2] - analysis.boxes[analysis.has_face, 0]
    assert np.median(widths) < 50
    report_figure("median face width found in a 202x148 Megamind clip (px)", round(float(np.median(widths)), 1))


def test_a_clip_with_a_face_too_small_says_how_small_was_searched(
    megamind_path: Path, tmp_path: Path, dlib_detector: LandmarkDetector
) -> None:
    clip = _small_clip(megamind_path, tmp_path, 0.12)
    with pytest.raises(NoFaceError, match=r"searched for faces down to 40 px wide, turned ones included"):
        run_to_end(analyze_video(clip, dlib_detector, use_cache=False))


def test_a_few_frames_without_a_face_are_filled_in_and_reported(
    megamind_path: Path, tmp_path: Path, dlib_detector: LandmarkDetector
) -> None:
    """Something passes in front of the face for three frames: they are filled in between the frames
    around them, flagged as filled, and counted in the summary."""
    occluded = range(20, 23)
    clip = _small_clip(megamind_path, tmp_path, 0.5, occlude=occluded)
    analysis = run_to_end(analyze_video(clip, dlib_detector, use_cache=False))
    assert list(np.flatnonzero(analysis.filled)) == list(occluded)
    assert analysis.has_face[list(occluded)].all()
    assert analysis.summary()["filled_frames"] == 3
    before, after = analysis.landmarks_raw[19], analysis.landmarks_raw[23]
    middle = analysis.landmarks_raw[21]
    assert np.allclose(middle, (before + after) / 2, atol=1e-3)  # halfway through the gap


def test_gaps_are_filled_only_between_frames_of_the_same_face() -> None:
    def face_at(x: float) -> tuple[np.ndarray, np.ndarray]:
        return np.full((68, 2), x, np.float32), np.array([x, 0, x + 100, 100], np.float32)

    a, b, far = face_at(0), face_at(10), face_at(500)
    landmarks = [a[0], None, None, None, b[0], None, far[0], None, None, None, None, None, None, None, None, a[0]]
    boxes = [a[1], None, None, None, b[1], None, far[1], *([None] * 8), a[1]]
    filled = fill_gaps(landmarks, boxes, max_gap=6)
    assert list(np.flatnonzero(filled)) == [1, 2, 3]  # not across the jump to another place, nor a long gap
    assert np.allclose(landmarks[2], 5.0) and np.allclose(boxes[2], [5, 0, 105, 100])
    landmarks2 = [a[0], None, b[0]]
    assert not fill_gaps(landmarks2, [a[1], None, b[1]], max_gap=6, damaged={1}).any()  # a damaged frame


def test_the_upsampled_search_never_hands_the_detector_a_large_image(
    megamind_frame: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    """Enlarged frames are searched in tiles no larger than the fast pass's image (dlib holds the GIL)."""
    small = _scaled(megamind_frame, 0.35)  # a 50 px face in a 252 px frame
    spy = SpyDetector(dlib_detector)
    faces = detect_upsampled(small, spy, start_factor=1.0, tile=160)
    assert faces and spy.largest_detect_side <= 160 and spy.detect_calls > 1
    assert 35 < faces[0].width < 70
    assert smallest_face_searched((528, 720)) == 40
    assert smallest_face_searched((2160, 3840)) > 100  # 4K frames: within the pixel budget


def test_a_detector_that_finds_small_faces_itself_gets_no_enlarged_frames(
    megamind_frame: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    """face-alignment's S3FD finds faces from about 16 px: enlarging frames for it would only cost time."""

    class SmallFaceSpy(SpyDetector):
        smallest_face_px = 16

    spy = SmallFaceSpy(dlib_detector)
    assert detect_upsampled(_scaled(megamind_frame, 0.35), spy, start_factor=1.0) == []
    assert spy.detect_calls == 0


def test_slow_searches_are_spaced_out_while_no_face_shows() -> None:
    schedule = SearchSchedule()
    ran = []
    for frame in range(200):
        if schedule.due(frame):
            ran.append(frame)
            schedule.failed(frame)
    assert ran == [0, 8, 24, 56, 120, 184]
    schedule.reset()
    assert schedule.due(185)
