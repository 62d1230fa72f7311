"""Driving-video analysis: finds the face in nearly every frame, cheaply, and survives bad videos."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import Cancelled, InputError, NoFaceError
from core.faces import analysis as analysis_module
from core.faces.analysis import TrackingSettings, VideoAnalysis, analyze_image, analyze_video
from core.faces.landmarks import Face, LandmarkDetector
from core.faces.tracking import FaceTracker
from core.progress import CancelToken, Progress, run_to_end
from core.video import VideoReader

from .conftest import SpyDetector, TimedAnalysis


def write_video(path: Path, frames: list[np.ndarray], fps: int = 24, rotation: int = 0) -> Path:
    """Encode RGB frames as MPEG-4 (high quality), optionally with a display rotation (degrees CCW)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.bit_rate = 8_000_000
        if rotation:
            stream.set_display_rotation(rotation)
        for image in frames:
            container.mux(
                stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24"))
            )
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def megamind_clip(megamind_path: Path) -> list[np.ndarray]:
    """30 frames of Megamind with the face in view (frames 30-59), RGB."""
    with VideoReader(megamind_path) as reader:
        return [np.array(image) for _, image in reader.iter_frames(30, 60)]


def test_megamind_has_a_face_in_nearly_every_frame(megamind_analysis: TimedAnalysis) -> None:
    analysis = megamind_analysis.analysis
    assert analysis.frame_count == 270 and analysis.frame_size == (720, 528)
    assert analysis.fps == pytest.approx(23.976, abs=1e-3)
    assert analysis.frames_with_face >= 0.95 * analysis.frame_count
    assert not analysis.has_face[0]  # the first frame is black
    first_face = int(np.argmax(analysis.has_face))
    assert np.array_equal(analysis.landmarks_raw[0], analysis.landmarks_raw[first_face])  # held
    assert analysis.landmarks_raw.shape == (270, 68, 2) and analysis.landmarks_raw.dtype == np.float32
    assert analysis.boxes.shape == (270, 4) and analysis.angles.shape == (270, 3)
    assert np.isfinite(analysis.angles).all() and np.abs(analysis.angles).max() < 60
    assert analysis.backend == "dlib" and len(analysis.bad_frames) == 0


def test_tracking_detects_only_now_and_then_on_small_images(megamind_analysis: TimedAnalysis) -> None:
    """Landmarks come from the last box every frame; detection runs on a small fraction of frames and
    never on a large image (dlib holds the GIL while it detects)."""
    spy = megamind_analysis.spy
    frames = megamind_analysis.analysis.frame_count
    assert spy.detect_calls < frames / 3
    assert frames <= spy.refine_calls < 1.5 * frames
    assert spy.largest_detect_side <= 480


def test_rotation_metadata_is_honoured(
    tmp_path: Path, megamind_clip: list[np.ndarray], dlib_detector: LandmarkDetector
) -> None:
    """A phone-style video stored sideways with a 90 degree display rotation reads upright."""
    upright = write_video(tmp_path / "upright.mp4", megamind_clip)
    sideways = write_video(tmp_path / "sideways.mp4", [np.rot90(f, k=-1) for f in megamind_clip], rotation=90)
    for gray in (False, True):
        frames = zip(
            VideoReader(upright).iter_frames(gray=gray),
            VideoReader(sideways).iter_frames(gray=gray),
            strict=True,
        )
        for (_, a), (_, b) in frames:
            assert a.shape == b.shape == ((528, 720) if gray else (528, 720, 3))
            assert np.abs(a.astype(int) - b).mean() < 4  # the same picture (two encodes)
    plain = run_to_end(analyze_video(upright, dlib_detector, use_cache=False))
    turned = run_to_end(analyze_video(sideways, dlib_detector, use_cache=False))
    assert turned.frame_size == plain.frame_size == (720, 528)
    assert turned.frames_with_face == plain.frames_with_face == 30
    iod = np.linalg.norm(
        plain.landmarks_raw[:, 36:42].mean(1) - plain.landmarks_raw[:, 42:48].mean(1), axis=1
    )
    error = np.linalg.norm(turned.landmarks_raw - plain.landmarks_raw, axis=2).mean(1) / iod
    assert np.median(error) < 0.06  # the same face in the same place (up to two encodes' noise)


def test_reopening_a_video_is_instant_from_the_cache(
    tmp_path: Path, megamind_clip: list[np.ndarray], dlib_detector: LandmarkDetector
) -> None:
    video = write_video(tmp_path / "clip.mp4", megamind_clip)
    first = run_to_end(analyze_video(video, dlib_detector))
    spy = SpyDetector(dlib_detector)
    copy = shutil.copy(video, tmp_path / "renamed copy.mp4")
    items: list[Progress] = []
    again = run_to_end(analyze_video(copy, spy), items.append)
    assert items[-1].message == "from cache"
    assert spy.detect_calls == spy.refine_calls == 0
    assert np.array_equal(again.landmarks_raw, first.landmarks_raw)
    assert np.array_equal(again.has_face, first.has_face) and again.fps == first.fps
    # other detection settings are another cache entry
    items.clear()
    run_to_end(analyze_video(copy, spy, settings=TrackingSettings(redetect_every=8)), items.append)
    assert items[-1].message != "from cache" and spy.refine_calls >= 30


def test_smoothing_is_applied_after_the_cache(
    tmp_path: Path, megamind_clip: list[np.ndarray], dlib_detector: LandmarkDetector
) -> None:
    video = write_video(tmp_path / "clip.mp4", megamind_clip)
    analysis = run_to_end(analyze_video(video, dlib_detector))
    raw = analysis.smoothed(0.0)
    assert np.array_equal(raw, analysis.landmarks_raw)
    assert not np.array_equal(analysis.smoothed(0.8), raw)
    assert not np.array_equal(analysis.smoothed(0.8, mode="causal"), analysis.smoothed(0.8))


def test_damaged_video_keeps_its_good_frames(
    tmp_path: Path, megamind_path: Path, dlib_detector: LandmarkDetector, caplog: pytest.LogCaptureFixture
) -> None:
    data = bytearray(megamind_path.read_bytes())
    rng = np.random.default_rng(0)
    for start in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[start : start + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.avi"
    damaged.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        analysis = run_to_end(analyze_video(damaged, dlib_detector, use_cache=False))
    assert len(analysis.bad_frames) + analysis.dropped_frames > 0
    assert "damaged frame" in caplog.text
    assert analysis.frame_count + analysis.dropped_frames == 270
    assert not analysis.has_face[analysis.bad_frames].any()
    assert analysis.frames_with_face >= 0.9 * analysis.frame_count


def damage_in_chunks(source: Path, target: Path) -> Path:
    """400 bytes overwritten every 2000 over 60 KB from a third of the file: Megamind loses frames in
    the middle of a GOP and one whole packet (the header still announces 270 frames)."""
    data = bytearray(source.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 60_000, 2000):
        data[offset : offset + 400] = bytes((i * 37 + offset) % 256 for i in range(400))
    target.write_bytes(bytes(data))
    return target


def thumbnail(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(gray, (90, 66), interpolation=cv2.INTER_AREA).astype(np.float32)


def digest(image: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).digest()


def test_analysis_rows_are_the_video_readers_frames_on_a_damaged_video(
    tmp_path: Path, megamind_path: Path, dlib_detector: LandmarkDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row i of the analysis (what rendering uses) is frame i of the reader (what the GUI shows and
    exports time), also after damage that makes the decoder lose frames."""
    seen: list[tuple[bytes, np.ndarray]] = []  # digest and thumbnail of each image the tracker got

    class RecordingTracker(FaceTracker):
        def update(self, image: np.ndarray) -> Face | None:
            seen.append((digest(image), thumbnail(image)))
            return super().update(image)

    monkeypatch.setattr(analysis_module, "FaceTracker", RecordingTracker)
    damaged = damage_in_chunks(megamind_path, tmp_path / "damaged.avi")
    analysis = run_to_end(analyze_video(damaged, dlib_detector, use_cache=False))

    reader = VideoReader(damaged)
    gray_stream = {i: digest(image) for i, image in reader.iter_frames(gray=True)}  # bad_frames complete
    assert len(analysis.landmarks_raw) == analysis.frame_count == reader.frame_count
    assert reader.bad_frames and set(analysis.bad_frames.tolist()) == set(reader.bad_frames)
    assert np.array_equal(analysis.timestamps, reader.timestamps)
    assert analysis.frame_size == reader.size and analysis.fps == reader.fps
    assert analysis.dropped_frames == 270 - reader.frame_count  # what the header claims and the file lacks
    assert not analysis.has_face[analysis.bad_frames].any()

    good = [i for i in range(reader.frame_count) if i not in set(reader.bad_frames)]
    assert len(seen) == len(good)  # the tracker saw each good frame once, and nothing else
    frame_seen = dict(zip(good, seen, strict=True))
    assert [i for i in good if frame_seen[i][0] != gray_stream[i]] == []
    # and that stream is the reader's random access: frame i as the GUI shows it, in grayscale
    import cv2

    bad = set(reader.bad_frames)
    for i in (60, max(bad) + 1, max(bad) + 10, 150, 230):
        shown = {
            j: thumbnail(cv2.cvtColor(reader.read(j), cv2.COLOR_RGB2GRAY))
            for j in range(i - 3, i + 4)
            if j not in bad
        }
        distance = {j: float(np.abs(thumb - frame_seen[i][1]).mean()) for j, thumb in shown.items()}
        assert min(distance, key=distance.get) == i and distance[i] < 1.5, (i, distance)


def test_unreadable_videos_get_a_clear_message(tmp_path: Path, dlib_detector: LandmarkDetector) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.mp4 is empty"):
        run_to_end(analyze_video(empty, dlib_detector))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video, just some notes\n" * 20)
    with pytest.raises(InputError, match=r"notes\.mp4 is not a video FFmpeg can read"):
        run_to_end(analyze_video(text, dlib_detector))
    with pytest.raises(InputError, match="does not exist"):
        run_to_end(analyze_video(tmp_path / "missing.mp4", dlib_detector))


def test_video_without_a_face_is_a_no_face_error(tmp_path: Path, dlib_detector: LandmarkDetector) -> None:
    rng = np.random.default_rng(3)
    frames = [
        np.repeat(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), 4, 0).repeat(4, 1) for _ in range(12)
    ]
    video = write_video(tmp_path / "noise.mp4", frames)
    with pytest.raises(NoFaceError, match=r"no face found in noise\.mp4.*searched for faces down to 40 px"):
        run_to_end(analyze_video(video, dlib_detector))


def test_cancelling_stops_the_analysis(
    tmp_path: Path, megamind_clip: list[np.ndarray], dlib_detector: LandmarkDetector
) -> None:
    video = write_video(tmp_path / "clip.mp4", megamind_clip)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(analyze_video(video, dlib_detector, cancel=token, use_cache=False))


def test_analysis_files_round_trip_and_bad_files_are_refused(
    tmp_path: Path, megamind_analysis: TimedAnalysis
) -> None:
    analysis = megamind_analysis.analysis
    path = tmp_path / "out.npz"
    analysis.save(path, smoothing_amount=0.5)
    loaded = VideoAnalysis.load(path)
    for name in ("landmarks_raw", "has_face", "boxes", "angles", "scores", "bad_frames", "timestamps"):
        assert np.array_equal(getattr(loaded, name), getattr(analysis, name)), name
    assert np.allclose(np.diff(loaded.timestamps), 1 / 23.976)  # the reader's timeline: frame 0 at 1/fps
    assert loaded.fps == analysis.fps and loaded.frame_size == analysis.frame_size
    with np.load(path) as data:
        assert np.allclose(data["landmarks_smoothed"], analysis.smoothed(0.5))
    with np.load(path) as data:  # a file from before frames were numbered by the video reader
        arrays = dict(data)
    arrays["meta"] = np.array(str(arrays["meta"]).replace('"version": 3', '"version": 1'))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(InputError, match="another version of this app"):
        VideoAnalysis.load(tmp_path / "old.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a face analysis"):
        VideoAnalysis.load(garbage)
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(InputError, match="not a face analysis"):
        VideoAnalysis.load(tmp_path / "other.npz")


def test_still_photo_has_the_same_layout_with_one_frame(
    obama_path: Path, dlib_detector: LandmarkDetector
) -> None:
    analysis = analyze_image(obama_path, dlib_detector)
    assert analysis.frame_count == 1 and analysis.frames_with_face == 1
    assert analysis.landmarks_raw.shape == (1, 68, 2) and analysis.frame_size == (910, 1137)
    assert np.abs(analysis.angles).max() < 10
