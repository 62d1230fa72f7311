"""Nothing a user gave as input is overwritten; leftovers of killed runs are cleaned up; hostile JSON
and odd paths are refused with a message instead of a traceback or a hang."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.atomic import HOST_TOKEN, atomic_path, remove_stale_temporaries, temporary_folder, temporary_name
from core.errors import ConfigError, InputError, OutputError
from core.safety import (
    UnsafeJson,
    check_range,
    file_kind,
    parse_json,
    refuse_overwriting_inputs,
    refuse_special_file,
    require_input_folder,
    require_output_folder,
    require_path,
)

ROOT = Path(__file__).resolve().parents[2]


# -- an output that is an input --------------------------------------------------------------------------


def test_an_output_that_is_an_input_is_refused_however_it_is_spelled(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"the user's video")
    (tmp_path / "link.mp4").symlink_to(clip)
    os.link(clip, tmp_path / "hard.mp4")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    for output in (clip, tmp_path / "link.mp4", tmp_path / "hard.mp4", tmp_path / "sub" / "up" / "clip.mp4",
                   tmp_path / "sub" / ".." / "clip.mp4"):
        with pytest.raises(OutputError, match="would destroy the input"):
            refuse_overwriting_inputs(output, [tmp_path / "face.jpg", clip], "-o")
    # the input given through a link, the output by its real name
    with pytest.raises(OutputError, match="would destroy the input"):
        refuse_overwriting_inputs(clip, [tmp_path / "link.mp4"])
    assert clip.read_bytes() == b"the user's video"


def test_a_folder_output_may_not_hold_or_sit_inside_an_input(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    photo = frames / "000001.png"
    photo.write_bytes(b"png")
    with pytest.raises(OutputError, match="holds the input"):
        refuse_overwriting_inputs(frames, [photo])
    with pytest.raises(OutputError, match="inside the input folder"):
        refuse_overwriting_inputs(frames / "out", [frames])
    refuse_overwriting_inputs(tmp_path / "result.mp4", [photo, "builtin", None, tmp_path / "missing.mp4"])


def test_folders_that_must_exist_or_be_made_say_what_the_path_is(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("x")
    with pytest.raises(OutputError, match=r"notes\.txt is a file: the dataset is a folder"):
        require_output_folder(file, "-o", "the dataset")
    with pytest.raises(OutputError, match="inside the input folder"):
        require_output_folder(tmp_path / "raw" / "out", "-o", "the dataset", inputs=[tmp_path])
    run = require_output_folder(tmp_path / "run", "--out", "a training run", inputs=[tmp_path], inside_ok=True)
    assert run == tmp_path / "run"
    with pytest.raises(OutputError, match="would destroy the input"):
        require_output_folder(tmp_path, "--out", "a training run", inputs=[tmp_path], inside_ok=True)
    assert require_output_folder(tmp_path / "new", "-o", "the dataset") == tmp_path / "new"
    with pytest.raises(InputError, match=r"is a file, not a folder: expected a dataset"):
        require_input_folder(file, "--data", "a dataset")
    with pytest.raises(InputError, match="does not exist: expected a dataset"):
        require_input_folder(tmp_path / "nope", "--data", "a dataset")


@pytest.mark.parametrize("value", ["", "   ", None, "a\0b"])
def test_empty_or_nul_paths_are_refused(value: str | None) -> None:
    with pytest.raises(ConfigError, match="-o"):
        require_path(value, "-o")


def test_pipes_and_devices_are_not_read_as_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert file_kind(fifo) == "named pipe (FIFO)"
    assert file_kind("/dev/null") == "character device"
    assert file_kind(tmp_path) == "folder" and file_kind(tmp_path / "none") == "missing"
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(InputError, match="not a file"):
            refuse_special_file(path)
    refuse_special_file(tmp_path / "none")


@pytest.mark.parametrize(("value", "low", "high"), [(0, 1, 8), (-1, 1, 8), (9, 1, 8), (float("nan"), 0, 1)])
def test_numbers_out_of_range_are_refused(value: float, low: float, high: float) -> None:
    with pytest.raises(ConfigError, match="--n must be between"):
        check_range(value, low, high, "--n")


# -- hostile JSON ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"t": NaN}', "NaN"),
        ('{"t": -Infinity}', "Infinity"),
        ('{"t": 1e999}', "too large"),
        ('{"t": 1' + "0" * 400 + "}", "too large"),
        ('{"t": 1' + "0" * 5000 + "}", "too large"),  # beyond Python's 4,300-digit conversion limit
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_hostile_json_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(UnsafeJson, match=reason):
        parse_json(text)


def test_ordinary_json_reads_as_usual() -> None:
    assert parse_json('{"a": [1, 2.5, -3, 123456789012345678], "b": null}') == {
        "a": [1, 2.5, -3, 123456789012345678],
        "b": None,
    }
    with pytest.raises(json.JSONDecodeError):
        parse_json("{not json")


# -- temporary files ---------------------------------------------------------------------------------------


def test_temporary_names_say_which_process_writes_them(tmp_path: Path) -> None:
    name = temporary_name(tmp_path / "clip.mp4").name
    assert name.startswith(".clip.") and name.endswith(".part.mp4")
    assert f".{HOST_TOKEN}-{os.getpid()}-" in name
    with atomic_path(tmp_path / "out.npz") as tmp:
        tmp.write_bytes(b"data")
        assert remove_stale_temporaries(tmp_path) == []  # this process is alive: kept
    assert (tmp_path / "out.npz").read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_processes_are_removed_and_nothing_else(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale_file = tmp_path / f".clip.{HOST_TOKEN}-{dead}-0123abcd.part.mp4"
    stale_file.write_bytes(b"half a video")
    stale_folder = tmp_path / f".frames.{HOST_TOKEN}-{dead}-0123abcd.part"
    stale_folder.mkdir()
    (stale_folder / "000001.png").write_bytes(b"png")
    live = tmp_path / f".clip.{HOST_TOKEN}-{os.getppid()}-0123abcd.part.mp4"  # our parent runs
    other_host = tmp_path / f".clip.{'0' * 6 if HOST_TOKEN != '0' * 6 else '1' * 6}-{dead}-0123abcd.part.mp4"
    users = [tmp_path / "clip.mp4", tmp_path / ".hidden.part.mp4", tmp_path / "notes.part.txt"]
    for path in (live, other_host, *users):
        path.write_bytes(b"keep")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_folder])
    assert all(p.exists() for p in (live, other_host, *users))


def test_a_leftover_from_before_the_machine_started_is_stale_even_if_its_pid_runs(tmp_path: Path) -> None:
    """After a power loss, the process id in a leftover's name may belong to another program by now."""
    old = tmp_path / f".clip.{HOST_TOKEN}-{os.getpid()}-0123abcd.part.mp4"
    old.write_bytes(b"from before the reboot")
    os.utime(old, (1_000_000, 1_000_000))  # 1970: before any boot
    assert remove_stale_temporaries(tmp_path) == [old]


def test_the_next_write_into_a_folder_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the writer's temporary file stays until the next write into that folder."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from core.atomic import atomic_path
        with atomic_path({str(tmp_path / "clip.mp4")!r}) as tmp:
            tmp.write_bytes(b"half")
            print(tmp, flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    left = Path(proc.stdout.readline().strip())
    assert left.exists()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert left.exists()  # killed: nothing could clean up
    (tmp_path / "clip.mp4").write_bytes(b"the user's previous export")
    folder = temporary_folder(tmp_path / "frames")  # any later write into the folder
    assert not left.exists()
    assert (tmp_path / "clip.mp4").read_bytes() == b"the user's previous export"
    assert folder.is_dir() and folder.name.startswith(".frames.") and folder.name.endswith(".part")


def test_a_previous_export_a_killed_run_left_aside_goes_back_or_away(tmp_path: Path) -> None:
    """A run killed between moving the previous export aside and renaming the new one onto its place: the
    next write into the folder puts the previous one back; once the new one took its place, it is removed."""
    dead = _dead_pid()
    aside = tmp_path / f".frames.v2.{HOST_TOKEN}-{dead}-0123abcd.aside"
    aside.mkdir()
    (aside / "frame_00000.png").write_bytes(b"the previous export")
    unfinished = tmp_path / f".frames.v2.{HOST_TOKEN}-{dead}-4567abcd.part"
    unfinished.mkdir()
    assert remove_stale_temporaries(tmp_path) == [unfinished]
    assert (tmp_path / "frames.v2" / "frame_00000.png").read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["frames.v2"]

    aside.mkdir()  # left once the new export was in place: only the old one, stale
    assert remove_stale_temporaries(tmp_path) == [aside]
    assert [p.name for p in tmp_path.iterdir()] == ["frames.v2"]
    live = tmp_path / f".frames.v2.{HOST_TOKEN}-{os.getpid()}-0123abcd.aside"
    live.mkdir()  # a writer at work: untouched
    assert remove_stale_temporaries(tmp_path) == [] and live.is_dir()


def test_sigterm_and_sighup_stop_like_ctrl_c_and_remove_the_temporary_file(tmp_path: Path) -> None:
    """`core.signals`: the termination signals unwind through atomic_path like KeyboardInterrupt."""
    target = tmp_path / "result.mp4"
    target.write_bytes(b"an earlier export")
    script = textwrap.dedent(
        f"""
        import signal, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from core.atomic import atomic_path
        from core.signals import Terminated, stop_on_termination
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # in case the test runs under nohup
        try:
            with stop_on_termination(), atomic_path({str(target)!r}) as tmp:
                tmp.write_bytes(b"half")
                print("writing", flush=True)
                time.sleep(60)
        except Terminated as stop:
            print(stop, flush=True)
            sys.exit(stop.exit_code)
        """
    )
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGHUP, 129)):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == code, out
        assert f"stopped by {sig.name}" in out
        assert [p.name for p in tmp_path.iterdir()] == ["result.mp4"]
        assert target.read_bytes() == b"an earlier export"


def test_sighup_stays_ignored_under_nohup(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from core.signals import stop_on_termination
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does
        with stop_on_termination():
            os.kill(os.getpid(), signal.SIGHUP)
            print("still running", flush=True)
        """
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "still running" in out.stdout, out.stderr
    assert time.perf_counter() - started < 30
