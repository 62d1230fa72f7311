"""`main.py analyze`: a photo or a video in, an .npz and one JSON line out; bad input exits 2 in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.faces.analysis import VideoAnalysis
from main import main

from .conftest import TimedAnalysis


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(args)
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    return code, json.loads(lines[-1]) if lines else {}, err


def test_photo_analysis_writes_one_frame(
    tmp_path: Path, obama_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "obama.npz"
    code, data, _ = run_cli(
        ["analyze", str(obama_path), "-o", str(target), "--backend", "dlib", "--json"], capsys
    )
    assert code == 0
    assert data["frames"] == 1 and data["frames_with_face"] == 1 and data["backend"] == "dlib"
    assert data["kind"] == "image" and data["output"] == str(target) and data["frames_per_s"] > 0
    assert VideoAnalysis.load(target).landmarks_raw.shape == (1, 68, 2)


def test_video_analysis_reports_the_figures(
    tmp_path: Path,
    megamind_path: Path,
    megamind_analysis: TimedAnalysis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Megamind (already analysed by the session fixture, so this run is served by the cache)."""
    target = tmp_path / "megamind.npz"
    code, data, err = run_cli(["analyze", str(megamind_path), "-o", str(target), "--json"], capsys)
    assert code == 0, err
    assert data["frames"] == 270 and data["frames_with_face"] >= 0.95 * 270
    assert {"frames_per_s", "backend", "output", "cached", "seconds"} <= data.keys()
    saved = VideoAnalysis.load(target)
    assert np.array_equal(saved.landmarks_raw, megamind_analysis.analysis.landmarks_raw)
    with np.load(target) as arrays:
        assert arrays["landmarks_smoothed"].shape == (270, 68, 2)


def bad_input(folder: Path, kind: str) -> Path:
    """A missing file, a zero-byte video, or a file that is neither a photo nor a video."""
    if kind == "missing":
        return folder / "missing.mp4"
    if kind == "empty":
        path = folder / "empty.mp4"
        path.write_bytes(b"")
        return path
    path = folder / "junk.bin"
    path.write_text("junk " * 50)
    return path


@pytest.mark.parametrize(
    ("kind", "expected"), [("missing", "does not exist"), ("empty", "empty"), ("junk", "not a video")]
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, expected: str
) -> None:
    source = bad_input(tmp_path, kind)
    code, data, err = run_cli(["analyze", str(source), "-o", str(tmp_path / "out.npz"), "--json"], capsys)
    assert code == 2
    assert data["ok"] is False and expected in data["error"]
    assert err.strip().splitlines()[-1].startswith("error:") and expected in err
    assert not (tmp_path / "out.npz").exists()


def test_photo_without_a_face_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image
    from skimage.data import coffee

    Image.fromarray(coffee()).save(tmp_path / "coffee.png")
    code, data, _ = run_cli(
        [
            "analyze",
            str(tmp_path / "coffee.png"),
            "-o",
            str(tmp_path / "c.npz"),
            "--backend",
            "dlib",
            "--json",
        ],
        capsys,
    )
    assert code == 2 and "no face found in coffee.png" in data["error"]


def test_bad_options_exit_2(tmp_path: Path, obama_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run_cli(["analyze", str(obama_path), "-o", str(tmp_path / "x.txt"), "--json"], capsys)
    assert code == 2 and ".npz" in data["error"]
    code, data, _ = run_cli(
        ["analyze", str(obama_path), "-o", str(tmp_path / "x.npz"), "--smooth", "3", "--json"], capsys
    )
    assert code == 2 and "--smooth" in data["error"]
