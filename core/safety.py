"""Checks at the command boundary that keep a user's files safe and hostile arguments harmless.

Each raises a `UserError` subclass with a message a person can act on, before any work starts:
an output that is (or resolves to, through links) one of the inputs, an empty path, a path that is a
file where a folder is expected (or the other way round), a pipe or device given as an input file,
and numbers outside the range a command can use.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.errors import ConfigError, InputError, OutputError

PathLike = str | Path

#: Longest integer literal read from a JSON file as an exact int; longer ones are read as floats (and
#: refused beyond float range), never converted digit by digit (Python refuses over 4,300 digits).
_MAX_INT_DIGITS = 18


class UnsafeJson(ValueError):
    """A JSON text this app refuses to read: the message says why (shown after the file's name)."""


def parse_json(text: str) -> Any:
    """``json.loads`` for files a user may have edited or been sent: NaN and Infinity, numbers beyond
    float range (``1e999``, a 400-digit integer) and nesting too deep for the parser are refused with
    `UnsafeJson` (a ValueError), as is malformed JSON (`json.JSONDecodeError`, also a ValueError)."""

    def constant(name: str) -> Any:
        raise UnsafeJson(f"it holds {name}, which is not a number: use a finite number")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            shown = literal if len(literal) <= 24 else f"{literal[:12]}... ({len(literal)} characters)"
            raise UnsafeJson(f"the number {shown} is too large")
        return value

    def integer(literal: str) -> int | float:
        return int(literal) if len(literal) <= _MAX_INT_DIGITS else number(literal)

    try:
        return json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except RecursionError as err:
        raise UnsafeJson("it is nested too deeply to be a file of this app") from err


def read_json_file(path: PathLike, what: str, max_bytes: int) -> Any:
    """The JSON content of a small file a user gives (a project, a performance), read with `parse_json`:
    a pipe or device, a file over `max_bytes`, an unreadable or malformed one is an `InputError` naming
    the file and `what` it should be."""
    path = Path(path)
    refuse_special_file(path, what)
    try:
        if path.is_file() and path.stat().st_size > max_bytes:
            raise InputError(f"{path.name} is {path.stat().st_size / 1e6:.0f} MB: a {what} file is a few KB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {what} {path.name}: {getattr(err, 'strerror', None) or err}") from err
    try:
        return parse_json(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path.name} is not a valid {what} file: not valid JSON at line {err.lineno} ({err.msg})") from err
    except UnsafeJson as err:
        raise InputError(f"{path.name} is not a valid {what} file: {err}") from err


def require_path(value: PathLike | None, option: str) -> Path:
    """`value` as a Path; an empty or blank string (``-o ""``) or one with a NUL byte is refused
    (an empty path would mean the current folder)."""
    text = os.fspath(value) if value is not None else ""
    if not text.strip():
        raise ConfigError(f"{option} is empty: give a file or folder name")
    if "\0" in text:
        raise ConfigError(f"{option} contains a NUL character: give a plain file or folder name")
    return Path(text)


def file_kind(path: PathLike) -> str:
    """What `path` is, in words: 'file', 'folder', 'named pipe (FIFO)', 'socket', 'character device',
    'block device', 'missing' (links are followed; a dangling link is 'missing')."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return "missing"
    return next((name for test, name in _KINDS if test(mode)), "special file")


_KINDS = (
    (stat.S_ISREG, "file"),
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def refuse_special_file(path: PathLike, what: str = "input") -> None:
    """Refuse pipes, sockets and devices as input files: reading one may block forever (a FIFO with no
    writer) or never end (/dev/zero). Missing paths, files and folders pass (callers judge those)."""
    kind = file_kind(path)
    if kind not in ("file", "folder", "missing"):
        raise InputError(f"{what} {path} is a {kind}, not a file: give a regular file")


def require_output_folder(
    path: PathLike, option: str, what: str, inputs: Iterable[PathLike] = (), inside_ok: bool = False
) -> Path:
    """An output that is a folder (created if missing): an existing file there is refused, and so is a
    folder that is or holds one of `inputs` (or lies inside one, unless `inside_ok`)."""
    path = require_path(path, option)
    refuse_overwriting_inputs(path, inputs, option, inside_ok)
    kind = file_kind(path)
    if kind not in ("folder", "missing"):
        raise OutputError(f"{option} {path} is a {kind}: {what} is a folder; give a new or existing folder")
    if kind == "missing" and path.is_symlink():
        raise OutputError(f"{option} {path} is a link to nothing: give a new or existing folder")
    return path


def require_input_folder(path: PathLike, option: str, expected: str) -> Path:
    """An input that must be an existing folder; a file or a missing path is named as such."""
    path = require_path(path, option)
    kind = file_kind(path)
    if kind == "missing":
        raise InputError(f"{option} {path} does not exist: expected {expected}")
    if kind != "folder":
        raise InputError(f"{option} {path} is a {kind}, not a folder: expected {expected}")
    return path


def refuse_overwriting_inputs(
    output: PathLike, inputs: Iterable[PathLike | None], option: str = "output", inside_ok: bool = False
) -> None:
    """Refuse an output that is one of the inputs, or would replace or hold one.

    Compared after resolving links (a link to the input, a hard link to it, a path through a linked
    folder, ``./clip.mp4`` against ``clip.mp4``). An output that is a folder (PNG frames, a dataset, a
    run) must not be an input folder, nor hold an input, nor (unless `inside_ok`) lie inside an input
    folder, where a later scan of that folder would take the output for input.
    """
    out = _resolved(output)
    for given in inputs:
        if given is None or not os.fspath(given) or os.fspath(given) == "builtin":
            continue
        source = Path(given)
        if not source.exists():
            continue
        src = _resolved(source)
        same = out == src or _same_file(output, source)
        if same:
            raise OutputError(
                f"{option} {output} is the input {given}: writing it would destroy the input; "
                "pick another output name"
            )
        if _inside(src, out):
            raise OutputError(
                f"{option} {output} holds the input {given}: writing there could replace it; "
                "pick another output"
            )
        if not inside_ok and source.is_dir() and _inside(out, src):
            raise OutputError(
                f"{option} {output} is inside the input folder {given}: pick an output outside it"
            )


def check_range(value: float | None, low: float, high: float, option: str) -> None:
    """`value` (when given) must lie in [low, high] (NaN never does)."""
    if value is None:
        return
    if not low <= value <= high:
        raise ConfigError(f"{option} must be between {low:g} and {high:g}, got {value:g}")


def _resolved(path: PathLike) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a link loop: compare it as written
        return Path(os.path.abspath(path))


def _same_file(a: PathLike, b: PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _inside(child: Path, folder: Path) -> bool:
    """Whether `child` lies strictly inside `folder` (both resolved)."""
    return child != folder and folder in child.parents
