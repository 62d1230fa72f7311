"""The one CLI rule: progress on stderr, --json puts one JSON object last on stdout, bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_main(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def last_json(stdout: str) -> dict:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    return json.loads(lines[-1])


def test_bench_json_has_the_documented_keys() -> None:
    proc = run_main("bench", "--size", "64", "--repeats", "3", "--batch", "2", "--threads", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    data = last_json(proc.stdout)
    for key in (
        "resolution", "device", "threads", "ms_prepare_source", "ms_per_frame", "frames_per_s_batch",
        "gflops_per_frame", "dense_gflops_per_s", "efficiency", "parameters",
    ):
        assert key in data, key
    assert data["resolution"] == 64 and data["threads"] == 1
    assert data["gflops_per_frame"] > 0 and data["efficiency"] > 0
    assert "timing render" in proc.stderr  # progress goes to stderr


def test_bad_input_exits_2_with_one_line() -> None:
    for args in (["bench", "--size", "100"], ["bench", "--device", "tpu"], ["bench", "--no-such-flag"]):
        proc = run_main(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr


def test_bad_input_with_json_still_ends_with_a_json_line() -> None:
    proc = run_main("bench", "--size", "100", "--json")
    assert proc.returncode == 2
    assert last_json(proc.stdout) == {"ok": False, "error": proc.stderr.strip().removeprefix("error: ")}


def test_help_lists_the_commands_without_heavy_imports() -> None:
    proc = run_main("--help", timeout=60)
    assert proc.returncode == 0
    assert "bench" in proc.stdout
