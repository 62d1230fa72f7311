"""A folder of numbered frames is analysed like the video it came from, cached by its frames' content and
rate, and `analyze --fps` takes it from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.faces.analysis import VideoAnalysis, analyze_video
from core.faces.landmarks import LandmarkDetector
from core.progress import Progress, run_to_end
from core.video import VideoReader
from main import main

FRAMES = 30


@pytest.fixture(scope="module")
def megamind_folder(tmp_path_factory: pytest.TempPathFactory, megamind_path: Path) -> Path:
    """Megamind frames 0..29 saved as PNGs (lossless: the same pixels the video reader decodes)."""
    folder = tmp_path_factory.mktemp("driving") / "megamind_frames"
    folder.mkdir()
    with VideoReader(megamind_path) as reader:
        for i, frame in reader.iter_frames(0, FRAMES):
            cv2.imwrite(str(folder / f"megamind_{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


class ColourDetector:
    """dlib fed the RGB frames themselves (not the reader's grayscale): a video's grayscale is its own
    luma plane, a PNG's is computed from RGB, and dlib's landmarks move by pixels for a level of
    difference; in colour both readers hand over identical pixels."""

    def __init__(self, inner: LandmarkDetector) -> None:
        self.inner = inner
        self.name, self.key, self.wants_gray = inner.name, f"{inner.key}-rgb", False

    def detect(self, image: np.ndarray):
        return self.inner.detect(image)

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        return self.inner.refine(image, box)


def test_an_image_sequence_analyses_like_the_same_frames_of_the_video(
    megamind_folder: Path, megamind_path: Path, dlib_detector: LandmarkDetector
) -> None:
    detector = ColourDetector(dlib_detector)
    video = run_to_end(analyze_video(megamind_path, detector, use_cache=False))
    frames = run_to_end(analyze_video(megamind_folder, detector, use_cache=False))
    assert (frames.frame_count, frames.frame_size, frames.fps) == (FRAMES, (720, 528), 25.0)
    assert np.allclose(frames.timestamps, np.arange(FRAMES) / 25.0) and len(frames.bad_frames) == 0
    assert frames.frames_with_face >= 25
    assert np.array_equal(frames.has_face, video.has_face[:FRAMES])
    assert np.array_equal(frames.landmarks_raw, video.landmarks_raw[:FRAMES])
    assert np.array_equal(frames.boxes, video.boxes[:FRAMES])


def test_the_cache_follows_the_frames_and_the_rate(
    tmp_path: Path, megamind_folder: Path, dlib_detector: LandmarkDetector
) -> None:
    folder = tmp_path / "clip"
    folder.mkdir()
    for path in sorted(megamind_folder.iterdir())[20:26]:  # six frames with a face
        (folder / path.name).write_bytes(path.read_bytes())

    def analyse(fps: float | None = None) -> tuple[VideoAnalysis, bool]:
        steps: list[Progress] = []
        result = run_to_end(analyze_video(folder, dlib_detector, fps=fps), steps.append)
        return result, steps[-1].message == "from cache"

    first, cached = analyse()
    assert not cached and first.fps == 25.0
    again, cached = analyse()
    assert cached and np.array_equal(again.landmarks_raw, first.landmarks_raw)
    slower, cached = analyse(fps=12.5)
    assert not cached and slower.fps == 12.5 and slower.timestamps[1] == pytest.approx(0.08)
    frame = cv2.imread(str(folder / "megamind_0022.png"))
    frame[:40] = 0  # an edited frame
    cv2.imwrite(str(folder / "megamind_0022.png"), frame)
    _, cached = analyse()
    assert not cached


def test_analyze_command_takes_a_folder_and_its_rate(
    tmp_path: Path, megamind_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "frames.npz"
    code = main(["analyze", str(megamind_folder), "-o", str(target), "--fps", "24", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out.strip().splitlines()[-1])
    assert (data["kind"], data["frames"], data["fps"]) == ("video", FRAMES, 24.0)
    assert VideoAnalysis.load(target).fps == 24.0
    code = main(["analyze", str(megamind_folder), "-o", str(target), "--fps", "0", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and "frame rate" in err and len(err.strip().splitlines()) == 1
