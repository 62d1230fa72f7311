"""Start the desktop app."""

from __future__ import annotations

import sys


def run_app(argv: list[str]) -> int:
    sys.stderr.write(
        "Reenact Studio: the desktop window is being built (see the issues). Meanwhile the headless "
        "commands work: python main.py --help\n"
    )
    return 0
