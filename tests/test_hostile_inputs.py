"""A hostile-input suite for the commands: every bad or odd input exits 2 with one line on stderr and,
with ``--json``, one JSON object last on stdout; nothing the user gave as input is ever changed.

Cases are grouped by class (the ids start with it): ``loss`` (an output that is an input), ``perf``
(performance files), ``ckpt`` (checkpoints), ``path`` (files, folders, pipes and links where something
else is expected), ``config`` (config files), ``number`` (numbers out of range) and ``args`` (malformed
arguments). Termination signals and killed runs are tested with real processes at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from main import main

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Files:
    """The material the cases point at, made once per session."""

    root: Path
    photo: Path  # a portrait (Obama, 300 px)
    gif: Path  # the same portrait as a GIF
    video: Path  # 24 frames of Megamind
    checkpoint: Path  # a tiny model with random weights
    dataset: Path  # a folder (a stand-in dataset: these cases fail before reading it)
    note: Path  # a small text file

    def __truediv__(self, name: str) -> Path:
        return self.root / name


def _digest(path: Path) -> str:
    if path.is_dir():
        return "|".join(f"{p.name}:{_digest(p)}" for p in sorted(path.iterdir()))
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory, obama_path: Path, megamind_path: Path) -> Files:
    import torch
    from PIL import Image

    from core.checkpoint import save_checkpoint
    from core.config import ModelConfig
    from core.networks.generator import Generator
    from core.video import VideoReader, VideoWriter

    root = tmp_path_factory.mktemp("hostile")
    photo = root / "face.jpg"
    image = Image.open(obama_path).convert("RGB")
    image.thumbnail((300, 300))
    image.save(photo)
    image.save(root / "face.gif")
    with VideoReader(megamind_path) as reader, VideoWriter(root / "clip.mp4", fps=reader.fps, size=reader.size) as out:
        for _, frame in reader.iter_frames(30, 54):
            out.write(np.ascontiguousarray(frame))
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    checkpoint = save_checkpoint(root / "tiny.pt", config, Generator(config))
    (root / "dataset").mkdir()
    (root / "note.txt").write_text("a note\n")
    return Files(root, photo, root / "face.gif", root / "clip.mp4", checkpoint, root / "dataset", root / "note.txt")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    try:
        code = main(args)
    except SystemExit as stop:  # argparse's own exit
        code = stop.code
    out, err = capsys.readouterr()
    lines = [line for line in out.strip().splitlines() if line.strip()]
    return code, json.loads(lines[-1]) if lines else {}, err


def assert_refused(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> dict:
    """Exit 2, one error line on stderr and no traceback, and the same message in the last JSON line."""
    code, data, err = run_cli([*args, "--json"], capsys)
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    assert data.get("ok") is False, data
    assert re.search(message, data["error"]), (message, data["error"])
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and "\n" not in data["error"], err
    return data


# -- the cases: (id, command line from the files, expected message) ------------------------------------------

Case = tuple[str, Callable[[Files], list[str]], str]


def _render(
    f: Files, driving: str | Path, *extra: str, out: str | Path | None = None, checkpoint: Path | None = None
) -> list[str]:
    model = checkpoint or f.checkpoint
    return ["render", str(f.photo), str(driving), "-o", str(out or f / "out.mp4"), "--checkpoint", str(model), *extra]


def _model(f: Files, checkpoint: Path | str) -> list[str]:
    """Render the built-in performance with `checkpoint`."""
    return _render(f, "builtin", checkpoint=Path(checkpoint))


def _write(f: Files, name: str, text: str) -> Path:
    path = f / name
    path.write_text(text)
    return path


def _performance(f: Files, name: str, keyframes: str, extra: str = "") -> Path:
    return _write(f, name, '{"keyframes": [' + keyframes + "]" + extra + "}")


def _checkpoint(f: Files, name: str, change: Callable[[dict], None]) -> Path:
    import torch

    payload = torch.load(f.checkpoint, weights_only=True)
    change(payload)
    torch.save(payload, f / name)
    return f / name


def _zeroed(f: Files) -> Path:
    from tests.core.test_checkpoint_safety import _zero_inside_the_largest_tensor

    path = f / "zeroed.pt"
    path.write_bytes(f.checkpoint.read_bytes())
    _zero_inside_the_largest_tensor(path)
    return path


def _binary(f: Files) -> Path:
    path = f / "binary.json"
    path.write_bytes(b"\xff\xfe\x00{")
    return path


def _folder(f: Files, name: str) -> Path:
    (f / name).mkdir(exist_ok=True)
    return f / name


def _nan_weights(payload: dict) -> None:
    name = next(k for k, v in payload["generator"].items() if v.is_floating_point())
    payload["generator"][name] = payload["generator"][name] * float("nan")
    payload.pop("weights_checksum")


def _linked(f: Files, name: str, target: Path) -> Path:
    link = f / name
    if not link.is_symlink():
        link.symlink_to(target)
    return link


def _hard_linked(f: Files) -> Path:
    link = f / "hard.mp4"
    if not link.exists():
        os.link(f.video, link)
    return link


def _folder_holding_the_photo(f: Files) -> Path:
    folder = f / "frames"
    folder.mkdir(exist_ok=True)
    (folder / "000001.png").write_bytes((f.root / "face.jpg").read_bytes())
    return folder


def _loop(f: Files) -> Path:
    loop = f / "loop.mp4"
    if not loop.is_symlink():
        loop.symlink_to(loop)
    return loop


DEEP_YAML = "train:\n  " + "- " * 5000 + "x\n"  # a block sequence 5,000 deep in 10 KB

CASES: list[Case] = [
    # an output that is (or resolves to) an input: refused before any work, the input untouched
    ("loss-output-is-the-driving-video", lambda f: _render(f, f.video, out=f.video), "would destroy the input"),
    ("loss-output-links-to-the-video", lambda f: _render(f, f.video, out=_linked(f, "link.mp4", f.video)), "would destroy the input"),
    ("loss-video-given-through-a-link", lambda f: _render(f, _linked(f, "link2.mp4", f.video), out=f.video), "would destroy the input"),
    ("loss-output-is-a-hard-link", lambda f: _render(f, f.video, out=_hard_linked(f)), "would destroy the input"),
    ("loss-output-through-a-linked-folder", lambda f: _render(f, f.video, out=_linked(f, "up", f.root) / "clip.mp4"), "would destroy the input"),
    ("loss-output-is-the-source-gif", lambda f: ["render", str(f.gif), "builtin", "-o", str(f.gif), "--checkpoint", str(f.checkpoint)], "would destroy the input"),
    ("loss-png-folder-holds-the-source", lambda f: ["render", str(_folder_holding_the_photo(f) / "000001.png"), "builtin", "-o", str(f / "frames"), "--checkpoint", str(f.checkpoint)], "holds the input"),
    ("loss-output-is-the-checkpoint", lambda f: _render(f, "builtin", out=f.checkpoint), "would destroy the input"),
    ("loss-analysis-over-its-input", lambda f: ["analyze", str(_linked(f, "clip.npz", f.video)), "-o", str(f / "clip.npz")], "would destroy the input"),
    ("loss-dataset-into-the-raw-folder", lambda f: ["preprocess", str(f.dataset), "-o", str(f.dataset)], "would destroy the input"),
    ("loss-dataset-inside-the-raw-folder", lambda f: ["preprocess", str(f.dataset), "-o", str(f.dataset / "out")], "inside the input folder"),
    ("loss-run-into-the-dataset", lambda f: ["train", "--data", str(f.dataset), "--out", str(f.dataset)], "would destroy the input"),
    # performance files
    ("perf-time-nan", lambda f: _render(f, _performance(f, "nan.json", '{"time": 0}, {"time": NaN}')), "holds NaN"),
    ("perf-time-infinite", lambda f: _render(f, _performance(f, "inf.json", '{"time": 0}, {"time": Infinity}')), "holds Infinity"),
    ("perf-parameter-minus-infinity", lambda f: _render(f, _performance(f, "minf.json", '{"time": 0, "yaw": -Infinity}')), "holds -Infinity"),
    ("perf-float-beyond-range", lambda f: _render(f, _performance(f, "e999.json", '{"time": 0}, {"time": 1e999}')), "too large"),
    ("perf-int-beyond-float", lambda f: _render(f, _performance(f, "bigint.json", '{"time": 0}, {"time": 1' + "0" * 400 + "}")), "too large"),
    ("perf-int-beyond-digit-limit", lambda f: _render(f, _performance(f, "digits.json", '{"time": 0}, {"time": 1' + "0" * 5000 + "}")), "too large"),
    ("perf-nested-too-deep", lambda f: _render(f, _write(f, "deep.json", "[" * 50_000 + "]" * 50_000)), "nested too deeply"),
    ("perf-ten-million-seconds", lambda f: _render(f, _performance(f, "long.json", '{"time": 0}, {"time": 10000000}')), "at most 3600 s"),
    ("perf-frames-beyond-cap", lambda f: _render(f, _performance(f, "frames.json", '{"time": 0}, {"time": 3000}', ', "fps": 240')), "100,000 frames"),
    ("perf-fps-huge", lambda f: _render(f, _performance(f, "fps.json", '{"time": 0}', ', "fps": 1e300')), "fps must be between"),
    ("perf-parameter-is-text", lambda f: _render(f, _performance(f, "text.json", '{"time": 0, "smile": "wide"}')), "smile must be a number"),
    ("perf-keyframes-not-a-list", lambda f: _render(f, _write(f, "obj.json", '{"keyframes": {"time": 0}}')), "non-empty list"),
    ("perf-name-not-text", lambda f: _render(f, _performance(f, "name.json", '{"time": 0}', ', "name": [1]')), "name must be a string"),
    ("perf-not-utf8", lambda f: _render(f, _binary(f)), "cannot read performance binary.json"),
    ("perf-is-a-folder", lambda f: _render(f, _folder(f, "dir.json")), "cannot read performance dir.json"),
    # checkpoints
    ("ckpt-zeroed-inside-the-zip", lambda f: _model(f, _zeroed(f)), "differ from the checksum"),
    ("ckpt-weights-nan", lambda f: _model(f, _checkpoint(f, "nan.pt", _nan_weights)), "NaN or infinite"),
    ("ckpt-no-generator", lambda f: _model(f, _checkpoint(f, "nogen.pt", lambda p: p.pop("generator"))), "holds no generator weights"),
    ("ckpt-generator-wrong-type", lambda f: _model(f, _checkpoint(f, "gen.pt", lambda p: p.update(generator=[1, 2]))), "not a mapping of names to tensors"),
    ("ckpt-config-is-text", lambda f: _model(f, _checkpoint(f, "cfg.pt", lambda p: p.update(model_config="resolution: 64"))), "model config is text"),
    ("ckpt-config-360-gigabytes", lambda f: _model(f, _checkpoint(f, "wide.pt", lambda p: p["model_config"].update(appearance_widths=[65536] * 4))), "must be between 1 and 512"),
    ("ckpt-format-version-text", lambda f: _model(f, _checkpoint(f, "ver.pt", lambda p: p.update(format_version="1"))), "format_version is text"),
    ("ckpt-folder", lambda f: _model(f, f.dataset), "is a folder, not a checkpoint file"),
    ("ckpt-text-file", lambda f: _model(f, f.note), "not a zip archive"),
    # files, folders, pipes and links where something else is expected
    ("path-analyze-a-folder", lambda f: ["analyze", str(f.dataset), "-o", str(f / "x.npz")], "is a folder, not a video"),
    ("path-analyze-a-device", lambda f: ["analyze", "/dev/zero", "-o", str(f / "x.npz")], "character device, not a file"),
    ("path-analyze-a-link-loop", lambda f: ["analyze", str(_loop(f)), "-o", str(f / "x.npz")], "does not exist"),
    ("path-source-is-a-device", lambda f: ["render", "/dev/zero", "builtin", "-o", str(f / "o.mp4"), "--checkpoint", str(f.checkpoint)], "character device"),
    ("path-empty-output", lambda f: ["analyze", str(f.photo), "-o", ""], "-o/--output is empty"),
    ("path-blank-output", lambda f: _render(f, "builtin", out="   "), "-o/--output is empty"),
    ("path-empty-input", lambda f: ["analyze", "", "-o", str(f / "x.npz")], "the input is empty"),
    ("path-dataset-output-is-a-file", lambda f: ["preprocess", str(f.dataset), "-o", str(f.note)], "is a file: the dataset is a folder"),
    ("path-raw-folder-is-a-file", lambda f: ["preprocess", str(f.note), "-o", str(f / "ds")], "is a file, not a folder"),
    ("path-run-folder-is-a-file", lambda f: ["train", "--data", str(f.dataset), "--out", str(f.note)], "is a file: a training run is a folder"),
    ("path-data-is-a-file-for-train", lambda f: ["train", "--data", str(f.note), "--out", str(f / "run")], "--data .* is a file, not a folder: expected a dataset"),
    ("path-data-is-a-file-for-evaluate", lambda f: ["evaluate", "--checkpoint", str(f.checkpoint), "--data", str(f.note)], "is a file, not a folder: expected a dataset"),
    ("path-evaluate-checkpoint-folder", lambda f: ["evaluate", "--checkpoint", str(f.dataset), "--data", str(f.dataset)], "is a folder, not a checkpoint file"),
    ("path-output-folder-missing", lambda f: ["analyze", str(f.photo), "-o", str(f / "no" / "such" / "x.npz")], "does not exist: create it"),
    ("path-output-name-too-long", lambda f: ["analyze", str(f.photo), "-o", str(f / ("x" * 300 + ".npz"))], "File name too long"),
    # config files
    ("config-yaml-nested-5000-deep", lambda f: ["train", "--data", str(f.dataset), "--out", str(f / "run"), "--config", str(_write(f, "deep.yaml", DEEP_YAML))], "nested too deeply"),
    ("config-yaml-flow-nested", lambda f: ["bench", "--config", str(_write(f, "flow.yaml", "model: " + "[" * 5000 + "]" * 5000))], "nested too deeply"),
    ("config-json-nested", lambda f: ["bench", "--config", str(_write(f, "deep_cfg.json", '{"model": ' + "[" * 50_000 + "]" * 50_000 + "}"))], "nested too deeply"),
    ("config-json-nan", lambda f: ["bench", "--config", str(_write(f, "nan_cfg.json", '{"model": {"heatmap_variance": NaN}}'))], "holds NaN"),
    ("config-model-is-text", lambda f: ["bench", "--config", str(_write(f, "text.yaml", "model: tiny\n"))], "model must be a mapping"),
    ("config-widths-huge", lambda f: ["bench", "--config", str(_write(f, "wide.yaml", "model:\n  flow_widths: [100000, 100000]\n"))], "must be between 1 and 512"),
    ("config-is-a-device", lambda f: ["bench", "--config", "/dev/zero"], "character device, not a file"),
    ("config-train-lr-infinite", lambda f: ["train", "--data", str(f.dataset), "--out", str(f / "run"), "--config", str(_write(f, "lr.yaml", "train:\n  lr_generator: .inf\n"))], "lr_generator must be at most"),
    ("config-train-batch-huge", lambda f: ["train", "--data", str(f.dataset), "--out", str(f / "run"), "--config", str(_write(f, "b.yaml", "train:\n  batch_size: 10000000\n"))], "batch_size must be at most"),
    # numbers out of range
    ("number-batch-zero", lambda f: _render(f, "builtin", "--batch", "0"), r"--batch .* must be between 1 and 256, got 0"),
    ("number-batch-negative", lambda f: _render(f, "builtin", "--batch", "-1"), r"--batch .* must be between 1 and 256, got -1"),
    ("number-quality", lambda f: _render(f, "builtin", "--quality", "1000"), "--quality must be between 0 and 100"),
    ("number-strength-nan", lambda f: _render(f, "builtin", "--strength", "nan"), "strength must be between 0 and 1"),
    ("number-crop-size", lambda f: _render(f, "builtin", "--size", "5000"), "the face crop is at most 2048 px"),
    ("number-bench-repeats", lambda f: ["bench", "--repeats", "1000000000"], "--repeats must be 3 to 10000"),
    ("number-bench-size", lambda f: ["bench", "--size", "65536"], "resolution 65536 must be 32 to 1024"),
    ("number-preprocess-size", lambda f: ["preprocess", str(f.dataset), "-o", str(f / "ds"), "--size", "100000"], "--size must be between 32 and 1024"),
    ("number-preprocess-min-face-nan", lambda f: ["preprocess", str(f.dataset), "-o", str(f / "ds"), "--min-face", "nan"], "--min-face must be between"),
    ("number-evaluate-pairs", lambda f: ["evaluate", "--checkpoint", str(f.checkpoint), "--data", str(f.dataset), "--pairs", "0"], "--pairs must be between 1"),
    ("number-train-resolution", lambda f: ["train", "--data", str(f.dataset), "--out", str(f / "run"), "--resolution", "1000000"], "--resolution must be between 32 and 1024"),
    # malformed arguments: still one JSON object last on stdout
    ("args-not-an-integer", lambda f: ["analyze", str(f.photo), "-o", str(f / "x.npz"), "--face-index", "abc"], "invalid int value: 'abc'"),
    ("args-unknown-option", lambda f: ["analyze", str(f.photo), "-o", str(f / "x.npz"), "--bogus"], "unrecognized arguments: --bogus"),
    ("args-missing-output", lambda f: ["analyze", str(f.photo)], "required: -o/--output"),
    ("args-bad-choice", lambda f: ["analyze", str(f.photo), "-o", str(f / "x.npz"), "--backend", "magic"], "invalid choice: 'magic'"),
    ("args-unknown-command", lambda f: ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("args-float-expected", lambda f: _render(f, "builtin", "--strength", "lots"), "invalid float value: 'lots'"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_json(
    files: Files, args: Callable[[Files], list[str]], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = [files.photo, files.gif, files.video, files.checkpoint]
    before = {path: _digest(path) for path in inputs}
    assert_refused(args(files), message, capsys)
    assert {path: _digest(path) for path in inputs} == before  # nothing the user gave was touched
    assert not list(files.root.glob(".*.part*"))


def test_a_source_photo_without_a_face_says_how_small_a_face_was_searched_for(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 2400 px photo is searched on copies of at most 1920 px: faces down to 100 px, not 40."""
    from PIL import Image
    from skimage.data import coffee

    photo = files / "big_coffee.jpg"
    Image.fromarray(coffee()).resize((2400, 1600)).save(photo)
    args = ["render", str(photo), "builtin", "-o", str(files / "o.mp4"), "--checkpoint", str(files.checkpoint)]
    assert_refused(args, r"no face found in big_coffee\.jpg \(searched for faces down to 100 px wide", capsys)


def test_the_cache_folder_variable_pointing_at_a_file(
    files: Files, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REENACT_CACHE_DIR", str(files.note))
    assert_refused(
        ["analyze", str(files.video), "-o", str(files / "x.npz"), "--backend", "dlib"],
        r"REENACT_CACHE_DIR points at .*note\.txt, but .*note\.txt is a file, not a folder",
        capsys,
    )


def test_threads_beyond_the_cores_are_capped_with_a_message(
    files: Files, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """1,000 threads had started 2,003 OS threads: the count is capped to the cores, with a warning."""
    import torch

    from core.device import available_cores

    before = torch.get_num_threads()
    try:
        code, data, err = run_cli([*_render(files, "builtin", "--end", "2", "--threads", "1000"), "--json"], capsys)
        in_use = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert code == 0, err
    assert data["frames"] == 2 and in_use == available_cores()
    assert f"--threads 1000 is more than the {available_cores()} CPU core(s) here" in caplog.text + err


# -- pipes and signals: real processes (a hang must fail the test, not stall it) -------------------------------


def run_main(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def test_pipes_given_as_inputs_are_refused_at_once(files: Files) -> None:
    pipe = files / "pipe.mp4"
    os.mkfifo(pipe)
    perf = files / "pipe.json"
    os.mkfifo(perf)
    for args, message in (
        (["analyze", str(pipe), "-o", str(files / "x.npz")], "named pipe (FIFO), not a file"),
        (_render(files, perf), "named pipe (FIFO), not a file"),
        (_model(files, pipe), "named pipe (FIFO), not a checkpoint file"),
        (["render", str(pipe), "builtin", "-o", str(files / "o.mp4"), "--checkpoint", str(files.checkpoint)], "named pipe"),
    ):
        proc = run_main(*args, "--json", timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert message in json.loads(proc.stdout.strip().splitlines()[-1])["error"]


def _start_export(files: Files, target: Path, frames_seconds: int = 120) -> subprocess.Popen:
    """An export long enough to be interrupted: a 120 s performance with the tiny model."""
    driving = _performance(files, f"long{frames_seconds}.json", f'{{"time": 0}}, {{"time": {frames_seconds}, "yaw": 20}}')
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *_render(files, driving, out=target), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=_default_hangup,
    )


def _default_hangup() -> None:
    """SIGHUP as a terminal delivers it (the test runner itself may run under nohup, ignoring it)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _wait_for_temporary(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.iterdir() if p.name.startswith(".") and ".part" in p.name]
        if found:
            time.sleep(0.5)  # let a few frames be written
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the export never started")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
@pytest.mark.parametrize("kind", ["mp4", "png folder"])
def test_termination_signals_leave_no_temporary_output_and_the_old_target_intact(
    files: Files, tmp_path: Path, sig: signal.Signals, code: int, kind: str
) -> None:
    target = tmp_path / ("out.mp4" if kind == "mp4" else "frames")
    if kind == "mp4":
        target.write_bytes(b"the user's earlier export")
    else:
        target.mkdir()
        (target / "frame_00001.png").write_bytes(b"an earlier export's frame")
    before = _digest(target)
    proc = _start_export(files, target)
    _wait_for_temporary(tmp_path, proc)
    os.killpg(proc.pid, sig)  # as a closed terminal or `kill` would: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"stopped by {sig.name}" in err and "Traceback" not in err
    assert json.loads(out.strip().splitlines()[-1]) == {"ok": False, "error": f"stopped by {sig.name}"}
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert _digest(target) == before


@pytest.mark.parametrize("kind", ["mp4", "png folder"])
def test_what_a_killed_export_left_is_removed_by_the_next_export_into_that_folder(
    files: Files, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / ("out.mp4" if kind == "mp4" else "frames")
    proc = _start_export(files, target)
    left = _wait_for_temporary(tmp_path, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert left.exists()  # SIGKILL: nothing could clean up
    done = run_main(*_render(files, "builtin", "--end", "3", out=tmp_path / "next.mp4"), "--json")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.mp4"]
