"""The one CLI rule, in one place.

Every sub-command writes progress and logs to stderr; with ``--json`` its last stdout line is one JSON
object; bad input (a `UserError` or a malformed argument) exits 2 with a one-line message. A command
module exposes ``HELP``, ``add_arguments(parser)`` and ``run(args) -> CommandResult`` and imports its
heavy dependencies inside ``run`` so that ``main.py --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TextIO

from core.errors import Cancelled, UserError
from core.progress import Progress, ProgressStream, T, run_to_end
from core.signals import Terminated, stop_on_termination

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130

log = logging.getLogger("reenact")


@dataclass
class CommandResult:
    """What a command produced: `data` becomes the JSON line, `text` the human-readable report."""

    data: dict[str, Any]
    text: str = ""
    ok: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None  # overrides the one `ok` gives (a batch with failed pairs exits 2)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit code 2 (no usage dump), and with
    ``--json`` among the arguments also one JSON object on stdout, like every other bad input."""

    json_errors = False  # whether the arguments being parsed ask for --json (set by parse_known_args)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        args = sys.argv[1:] if args is None else list(args)
        # Set before parsing, so that an error about any other argument still answers in JSON.
        OneLineParser.json_errors = "--json" in args
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())
        if OneLineParser.json_errors:
            sys.stderr.write(f"{self.prog}: error: {message}\n")
            _print_json({"ok": False, "error": f"{self.prog}: {message}"})
            self.exit(EXIT_BAD_INPUT)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


class ProgressBar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.

    A `Progress` whose payload is a float carries the overall fraction, finer than its done/total units
    (a batch: the units are pairs, the fraction moves within each): the bar, its percentage, the eta and
    the lines written off a terminal follow that fraction, and done/total still counts finished units.
    Any other payload (a rendered frame, a training step) leaves the bar on done/total.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self._last_decile = -1
        self._last_draw = 0.0
        self._completed = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, item: Progress) -> None:
        elapsed = time.perf_counter() - self.start
        rate = item.done / elapsed if elapsed > 0 else 0.0
        fine = _fine_fraction(item)
        if fine is not None:
            eta = elapsed * (1 - fine) / fine if fine > 0 else math.inf
            line = f"{self.label} [{self._bar(fine)}] {fine:4.0%} {item.done}/{item.total} done {_eta(eta)} {item.message}"
            decile = int(fine * 10)
        elif item.total > 0:
            frac = min(1.0, item.done / item.total)
            eta = (item.total - item.done) / rate if rate > 0 else math.inf
            line = f"{self.label} [{self._bar(frac)}] {item.done}/{item.total} {rate:6.1f}/s {_eta(eta)} {item.message}"
            decile = int(frac * 10)
        else:
            line = f"{self.label} {item.done} {rate:6.1f}/s {item.message}"
            decile = item.done // 100
        complete = 0 < item.total <= item.done
        if self._tty:
            now = time.perf_counter()
            if now - self._last_draw > 0.1 or complete:
                self.stream.write("\r" + line[:160].ljust(100))
                self.stream.flush()
                self._last_draw = now
        elif decile != self._last_decile or (complete and not self._completed):  # the last unit's line too
            self.stream.write(line + "\n")
            self.stream.flush()
        self._last_decile = decile
        self._completed = self._completed or complete

    def _bar(self, fraction: float) -> str:
        filled = int(fraction * self.width)
        return "#" * filled + "-" * (self.width - filled)

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _fine_fraction(item: Progress) -> float | None:
    """The overall fraction a `Progress` carries as its payload (0..1), or None when its payload is not one."""
    payload = item.payload
    if not isinstance(payload, float) or not math.isfinite(payload):
        return None
    return min(1.0, max(0.0, payload))


def _eta(seconds: float) -> str:
    return f"eta {seconds:5.1f}s" if math.isfinite(seconds) else "eta   ?"


def drive(stream: ProgressStream[T], label: str) -> T:
    """Run a progress stream to its end with a progress bar on stderr; return its result."""
    bar = ProgressBar(label)
    try:
        return run_to_end(stream, bar)
    finally:
        bar.close()


def fail(message: str) -> NoReturn:
    """Stop a command with a one-line user-facing message (exit code 2)."""
    raise UserError(message)


def build_parser(commands: Mapping[str, str], prog: str = "main.py") -> OneLineParser:
    """One sub-parser per command module; every sub-command gets ``--json`` and ``--verbose``."""
    parser = OneLineParser(
        prog=prog,
        description="Reenact Studio: animate a portrait from one photo. With no sub-command, opens the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in commands.items():
        module = importlib.import_module(module_name)
        sp = sub.add_parser(name, help=module.HELP, description=module.HELP)  # a OneLineParser too
        sp.add_argument("--json", action="store_true", help="print one JSON object as the last stdout line")
        sp.add_argument("-v", "--verbose", action="store_true", help="more detail in the log on stderr")
        module.add_arguments(sp)
        sp.set_defaults(_module=module_name)
    return parser


def _print_json(data: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, default=_json_default) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed sub-command under the CLI rule; return the process exit code."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    module = importlib.import_module(args._module)
    try:
        with stop_on_termination():  # SIGTERM and SIGHUP clean up like Ctrl-C
            result: CommandResult = module.run(args)
    except UserError as err:
        message = " ".join(str(err).split())
        sys.stderr.write(f"error: {message}\n")
        if args.json:
            _print_json({"ok": False, "error": message})
        return EXIT_BAD_INPUT
    except Terminated as stop:
        sys.stderr.write(f"{stop}: temporary output removed\n")
        if args.json:
            _print_json({"ok": False, "error": str(stop)})
        return stop.exit_code
    except (Cancelled, KeyboardInterrupt):
        sys.stderr.write("cancelled\n")
        if args.json:
            _print_json({"ok": False, "error": "cancelled"})
        return EXIT_CANCELLED
    except Exception as err:
        # A bug, not bad input: the traceback stays (on stderr), and --json still gets its last line.
        if not args.json:
            raise
        import traceback

        traceback.print_exc(file=sys.stderr)
        detail = " ".join(str(err).split())[:300]
        _print_json({"ok": False, "error": f"internal error ({type(err).__name__}): {detail}", "bug": True})
        return EXIT_FAILED
    if result.text:
        (sys.stderr if args.json else sys.stdout).write(result.text.rstrip("\n") + "\n")
    if args.json:
        _print_json(result.data)
    if result.exit_code is not None:
        return result.exit_code
    return EXIT_OK if result.ok else EXIT_FAILED


def format_table(rows: list[Mapping[str, Any]], columns: list[str] | None = None) -> str:
    """A plain aligned text table (numbers to 3 decimals) for command reports."""
    if not rows:
        return ""
    columns = columns or list(rows[0].keys())

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3f}"
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    head = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([head, rule, *body])
