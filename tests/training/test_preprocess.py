"""Preprocessing: raw layouts found, real faces cropped and stored, bad files skipped and reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
from core.progress import run_to_end
from training.dataset import DatasetIndex
from training.preprocess import PreprocessOptions, find_raw_clips, preprocess

pytestmark = pytest.mark.slow


def test_raw_layouts_are_recognised(tmp_path: Path) -> None:
    for name in ("alice/talk.mp4", "alice/sub/more.avi", "bob/clip1/0001.png", "bob/clip1/0002.png",
                 "bob/photo.jpg", "bob/photo.png", "carol.jpg", "dave.mov", ".hidden/x.mp4", "notes.txt"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    clips = {c.id: c for c in find_raw_clips(tmp_path)}
    assert set(clips) == {"alice/talk", "alice/sub/more", "bob/clip1", "bob/photo", "bob/photo_png", "carol/carol",
                          "dave/dave"}
    assert clips["bob/clip1"].kind == "video" and len(clips["bob/clip1"].sources) == 2
    assert clips["bob/photo"].kind == clips["carol/carol"].kind == "still"
    assert clips["alice/sub/more"].identity == "alice"
    with pytest.raises(InputError, match="does not exist"):
        find_raw_clips(tmp_path / "missing")


def test_a_folder_without_videos_or_photos_is_refused(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "readme.txt").write_text("nothing here")
    with pytest.raises(InputError, match="holds no videos"):
        run_to_end(preprocess(tmp_path / "raw", tmp_path / "out", detector=object()))


def test_real_videos_and_photos_become_aligned_crops(real_dataset: tuple[Path, object]) -> None:
    root, report = real_dataset
    assert {s["source"] for s in report.skipped} == {"broken/clip.mp4", "nobody/coffee.png"}
    reasons = {s["source"]: s["reason"] for s in report.skipped}
    assert "not a video" in reasons["broken/clip.mp4"] and "no face" in reasons["nobody/coffee.png"]
    index = DatasetIndex.open(root)
    assert {c.id for c in index.clips} >= {"megamind/talk", "obama/obama", "obama/obama2", "astronaut/astronaut"}
    assert report.frames == index.frame_count and report.clips == len(index.clips)
    video = index.clip("megamind/talk")
    assert video.kind == "video" and video.frames > 100
    assert len(index.shot_frames(video)) >= 3  # the film cuts between two characters: kept apart
    frame = index.read_frame(video, 0)
    assert frame.shape == (64, 64, 3)
    landmarks = index.landmarks(video)
    eyes = landmarks[:, 36:48].reshape(len(landmarks), 2, 6, 2).mean(2)  # canonical crop: eyes level, centred
    assert np.allclose(eyes[:, :, 1].mean(), 0.42 * 64 - 0.5, atol=2.0)
    assert np.allclose(eyes[:, :, 0].mean(1), 32 - 0.5, atol=2.0)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["size"] == 64 and len(manifest["skipped"]) == 2


def test_a_second_run_skips_finished_clips(real_dataset: tuple[Path, object], raw_folder: Path) -> None:
    from core.faces.landmarks import load_detector

    root, first = real_dataset
    again = run_to_end(preprocess(raw_folder, root, PreprocessOptions(size=64, every=2), load_detector("dlib")))
    assert again.new_clips == 0 and again.reused_clips == first.clips
    assert again.frames == first.frames
