"""Reenact Studio entry point: no sub-command opens the app; sub-commands run the same work headless."""

from __future__ import annotations

import sys

# name -> module with HELP, add_arguments(parser), run(args) -> CommandResult. Imported lazily.
COMMANDS = {
    "render": "core.commands.render",
    "analyze": "core.commands.analyze",
    "train": "training.commands.train",
    "preprocess": "training.commands.preprocess",
    "evaluate": "training.commands.evaluate",
    "bench": "core.commands.bench",
    "self-test": "core.commands.self_test",
}


def available_commands() -> dict[str, str]:
    """The commands whose modules exist in this build (the list grows as features land)."""
    import importlib.util

    return {name: mod for name, mod in COMMANDS.items() if importlib.util.find_spec(mod) is not None}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("--") and argv[0] not in ("--help", "-h")):
        from gui.app import run_app

        return run_app(argv)
    from core.cli import build_parser, run_command

    parser = build_parser(available_commands())
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 0
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
