"""Smoke test of a built app folder (Linux): `packaging/build.sh --smoke` runs it on the unpacked archive.

    python packaging/smoke.py APP_DIR [--checkpoint FILE] [--json]

Checks, each with the frozen executable: `--help`; `self-test --json` (ok true, and the face detector
with dlib's CNN fallback for turned faces; with --checkpoint when the build has no demo model); `evaluate` and the face-alignment backend stop with a one-line
message, not a traceback; `render` exports tagged MP4 and GIF; `preprocess` and 2 steps of `train` on
the bundled portrait; the window comes up offscreen (`--report-visible`: seconds from start to the
first paint); the app runs its startup for a while (demo scene, model, face detector) and its helper
processes (the spawned face detector, multiprocessing's resource tracker) never load Qt's widgets,
i.e. never open a second window. Prints one line per check; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

EXECUTABLE = "reenact-studio"


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str = ""
    figures: dict[str, float] = field(default_factory=dict)


def parse_last_json(stdout: str) -> dict | None:
    """The JSON object on the last non-empty stdout line (the CLI rule), or None."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text


def synthetic_tag(path: Path) -> str | None:
    """The synthetic-media tag of an export: the MP4 `comment` (read with PyAV) or the GIF comment block."""
    if path.suffix == ".mp4":
        import av

        with av.open(str(path)) as container:
            return container.metadata.get("comment")
    data = path.read_bytes()
    start = data.find(b"\x21\xfe")  # GIF comment extension: sub-blocks of up to 255 bytes
    if start < 0:
        return None
    text, index = b"", start + 2
    while index < len(data) and data[index]:
        text += data[index + 1 : index + 1 + data[index]]
        index += 1 + data[index]
    return text.decode("ascii", "replace")


def children(pid: int) -> list[int]:
    """All descendants of `pid` (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def has_qt_platform(pid: int) -> bool:
    """Whether process `pid` has loaded a Qt platform plugin (libqxcb, libqoffscreen...): Qt does that
    only when a QGuiApplication is created, i.e. when a process is about to open windows."""
    try:
        return "/platforms/libq" in Path(f"/proc/{pid}/maps").read_text(errors="replace")
    except OSError:
        return False


def is_helper(argv: list[str]) -> bool:
    """A multiprocessing helper started from the executable: spawned worker or resource tracker."""
    return "--multiprocessing-fork" in argv or any("multiprocessing.resource_tracker" in a for a in argv)


class Smoke:
    def __init__(self, app_dir: Path, checkpoint: Path | None, scratch: Path) -> None:
        self.exe = app_dir / EXECUTABLE
        self.checkpoint = checkpoint
        self.env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        for kind in ("cache", "data", "config"):  # never touch the user's settings, caches, autosaves
            self.env[f"REENACT_{kind.upper()}_DIR"] = str(scratch / kind)
        self.outcomes: list[Outcome] = []

    def run(self, *args: str, timeout: float = 600) -> tuple[subprocess.CompletedProcess, float]:
        started = time.perf_counter()
        done = subprocess.run([str(self.exe), *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout, check=False)
        return done, time.perf_counter() - started

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        figures = " ".join(f"{k}={v:.2f}" for k, v in outcome.figures.items())
        print(f"{'ok  ' if outcome.ok else 'FAIL'} {outcome.name} {figures} {outcome.detail}".rstrip(), flush=True)

    def check_help(self) -> None:
        done, seconds = self.run("--help", timeout=120)
        ok = done.returncode == 0 and "self-test" in done.stdout and not has_traceback(done.stderr)
        self.record(Outcome("--help lists the sub-commands", ok, "" if ok else done.stderr[-2000:],
                            {"seconds": seconds}))

    def check_self_test(self) -> None:
        args = ["self-test", "--json"] + (["--checkpoint", str(self.checkpoint)] if self.checkpoint else [])
        done, seconds = self.run(*args)
        data = parse_last_json(done.stdout) or {}
        # the bundled dlib models include the CNN detector that finds turned faces (core.faces.backend_dlib)
        ok = done.returncode == 0 and data.get("ok") is True and str(data.get("detector", "")).endswith("-turned")
        detail = f"({'stand-in checkpoint' if self.checkpoint else 'demo checkpoint'}; detector {data.get('detector')})"
        if not ok:
            detail += " " + (done.stdout + done.stderr)[-3000:]
        self.record(Outcome("self-test --json prints ok true, with the turned-face detector", ok, detail,
                            {"wall_s": seconds, "self_test_s": float(data.get("seconds", -1))}))

    def check_left_out(self) -> None:
        for name, args in (
            ("evaluate says it is not in this build", ["evaluate", "--checkpoint", "x.pt", "--data", "d"]),
            ("the face-alignment backend says it is not in this build",
             ["render", "photo.jpg", "builtin", "-o", "out.mp4", "--backend", "face-alignment"]),
        ):
            done, _ = self.run(*args, timeout=120)
            ok = done.returncode == 2 and "in this build" in done.stderr and not has_traceback(done.stderr)
            self.record(Outcome(name, ok, "" if ok else done.stderr[-2000:]))

    def check_export(self, scratch: Path) -> None:
        """Render 8 frames of the demo performance to MP4 (PyAV, FFmpeg, x264) and GIF; both must carry
        the synthetic-media tag."""
        portrait = self.exe.parent / "_internal" / "resources" / "demo" / "astronaut.png"
        checkpoint = ["--checkpoint", str(self.checkpoint)] if self.checkpoint else []
        for suffix in ("mp4", "gif"):
            out = scratch / f"export.{suffix}"
            done, seconds = self.run("render", str(portrait), "builtin", "-o", str(out), "--end", "8", "--json",
                                     *checkpoint)
            data = parse_last_json(done.stdout) or {}
            tag = synthetic_tag(out) if out.is_file() else None
            ok = done.returncode == 0 and data.get("frames") == 8 and tag is not None and "synthetic" in tag
            detail = f"(tag: {tag!r})" if ok else (done.stdout + done.stderr)[-3000:]
            self.record(Outcome(f"render exports a tagged {suffix.upper()}", ok, detail, {"wall_s": seconds}))

    def check_training(self, scratch: Path) -> None:
        """Prepare a dataset from the bundled portrait and train 2 steps of the bundled tiny config: the
        trainer (torch.optim, the losses, checkpoints) works frozen. The training panel's helper process
        runs the same trainer, spawned from the executable like the face detector's helper."""
        internal = self.exe.parent / "_internal"
        raw, data, run = scratch / "train-raw", scratch / "train-data", scratch / "train-run"
        raw.mkdir()
        shutil.copy(internal / "resources" / "demo" / "astronaut.png", raw)
        config = next(internal.rglob("training/configs/tiny.yaml"), None)
        prepared, prepare_s = self.run("preprocess", str(raw), "-o", str(data), "--size", "64", "--json")
        trained, train_s = self.run("train", "--data", str(data), "--out", str(run), "--config", str(config),
                                    "--steps", "2", "--batch-size", "2", "--num-workers", "0", "--json")
        result = parse_last_json(trained.stdout) or {}
        checkpoint = Path(result.get("checkpoint") or run / "missing")
        ok = (config is not None and prepared.returncode == 0 and trained.returncode == 0
              and result.get("steps") == 2 and checkpoint.is_file()
              and not has_traceback(prepared.stderr + trained.stderr))
        detail = "" if ok else (f"config: {config}\n" + prepared.stderr[-1500:] + trained.stdout[-1000:]
                                + trained.stderr[-3000:])
        self.record(Outcome("preprocess + train 2 tiny steps", ok, detail,
                            {"preprocess_s": prepare_s, "train_s": train_s}))

    def gui_args(self) -> list[str]:
        return ["--no-restore"] + (["--checkpoint", str(self.checkpoint)] if self.checkpoint else [])

    def check_window_visible(self) -> None:
        """Start the app with `--report-visible`: it prints "visible S" at its first paint and quits. The
        figure is the wall time from starting the executable to that line (S counts from gui.app's import)."""
        started = time.perf_counter()
        process = subprocess.Popen([str(self.exe), "--report-visible", *self.gui_args()], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=self.env)
        figures: dict[str, float] = {}
        for line in process.stdout:
            if line.startswith("visible "):
                figures["launch_to_window_s"] = time.perf_counter() - started
                figures["first_paint_s"] = float(line.split()[1])
        try:
            process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors = process.stderr.read()
        ok = process.returncode == 0 and bool(figures) and not has_traceback(errors)
        self.record(Outcome("the window comes up (offscreen)", ok, "" if ok else errors[-3000:], figures))

    def check_running_app(self, seconds: float) -> None:
        """Run the app with its demo scene; its helper processes must never open a window."""
        helpers: dict[int, list[str]] = {}
        windows: set[int] = set()
        app_has_platform = False
        with tempfile.TemporaryFile(mode="w+") as log:
            process = subprocess.Popen([str(self.exe), *self.gui_args()], stdout=log, stderr=subprocess.STDOUT,
                                       env=self.env, start_new_session=True)
            deadline = time.monotonic() + seconds
            try:
                while time.monotonic() < deadline and process.poll() is None:
                    for pid in children(process.pid):
                        argv = command_line(pid)
                        if is_helper(argv):
                            helpers[pid] = argv
                        if has_qt_platform(pid):
                            windows.add(pid)
                    app_has_platform = app_has_platform or has_qt_platform(process.pid)
                    time.sleep(0.5)
                alive = process.poll() is None
            finally:
                _stop_group(process)
            log.seek(0)
            output = log.read()
        spawned = [pid for pid, argv in helpers.items() if "--multiprocessing-fork" in argv]
        ok = alive and app_has_platform and not windows and bool(spawned) and not has_traceback(output)
        detail = (f"({len(spawned)} spawned helper(s), {len(helpers) - len(spawned)} resource tracker(s), "
                  f"{len(windows)} of them with a Qt platform; the app's own: {app_has_platform})")
        if not ok:
            detail += ("" if alive else " the app exited early;") + " " + output[-3000:]
        self.record(Outcome(f"the app runs {seconds:.0f} s; helpers open no window", ok, detail))


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", type=Path)
    parser.add_argument("--checkpoint", type=Path, help="a stand-in checkpoint when the build has no demo model")
    parser.add_argument("--run-seconds", type=float, default=40.0, help="how long the app runs (default 40)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    args = parser.parse_args(argv)
    if not (args.app_dir / EXECUTABLE).is_file():
        print(f"error: no {EXECUTABLE} in {args.app_dir}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="reenact-smoke-") as scratch:
        smoke = Smoke(args.app_dir, args.checkpoint, Path(scratch))
        smoke.check_help()
        smoke.check_self_test()
        smoke.check_left_out()
        smoke.check_export(Path(scratch))
        smoke.check_training(Path(scratch))
        smoke.check_window_visible()
        smoke.check_running_app(args.run_seconds)
    failed = [o.name for o in smoke.outcomes if not o.ok]
    print(f"smoke test: {len(smoke.outcomes) - len(failed)}/{len(smoke.outcomes)} checks passed", flush=True)
    if args.json:
        figures = {f"{o.name}: {k}": round(v, 3) for o in smoke.outcomes for k, v in o.figures.items()}
        print(json.dumps({"ok": not failed, "failed": failed, "figures": figures}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
