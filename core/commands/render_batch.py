"""`main.py render`'s output options (alpha, layers, loops) and its batch mode (`core.batch`).

Kept apart from `core.commands.render` so that the single render stays short: `add_arguments` adds the
flags, `gather_inputs` folds the positionals and the repeatable ``--source``/``--driving`` into lists,
`output_options` reads the output flags, and `run` renders every pair when the inputs name several
(exit 0 when every pair rendered or was already there, 2 when any failed).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.cli import EXIT_BAD_INPUT, EXIT_OK, CommandResult

if TYPE_CHECKING:
    from core.config import RenderOptions
    from core.export import OutputOptions
    from core.pipeline import Reenactor

FORMATS = ("mp4", "mov", "webm", "gif", "webp", "png")  # core.video.formats.OUTPUT_KINDS, without importing it
LOOP_MODES = ("crossfade", "pingpong")  # core.faces.loop.LOOP_MODES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", dest="source_list", action="append", default=None, metavar="PHOTO",
        help="a portrait of a batch; repeat it for several (a photo, a folder or a .txt list each); with "
        "--source alone the one positional is DRIVING",
    )
    parser.add_argument(
        "--driving", dest="driving_list", action="append", default=None, metavar="DRIVER",
        help="a driver of a batch; repeat it for several; with --driving alone the one positional is SOURCE",
    )
    parser.add_argument(
        "--alpha", action="store_true",
        help="the animated head over transparency, its matte the renderer's own (.mov ProRes 4444, .webm VP9, "
        ".webp, .gif 1-bit, PNG folder; not .mp4)",
    )
    parser.add_argument(
        "--layers", action="store_true",
        help="also write OUT_face (the head over transparency) and OUT_matte beside the composite, frame-aligned",
    )
    parser.add_argument("--loop", choices=LOOP_MODES, default=None, help="make a seamless loop of the range's motion")
    parser.add_argument("--loop-length", type=int, default=None, help="frames in the loop (default: what the range allows)")
    parser.add_argument(
        "--format", choices=FORMATS, default=None,
        help="a batch's output format (default mp4; mov with --alpha); one output's name picks its own",
    )
    parser.add_argument("--overwrite", action="store_true", help="a batch renders again the pairs whose outputs exist")


def output_options(args: argparse.Namespace) -> OutputOptions:
    from core.export import OutputOptions

    return OutputOptions(alpha=args.alpha, layers=args.layers, loop=args.loop, loop_length=args.loop_length)


def gather_inputs(args: argparse.Namespace) -> None:
    """Set ``args.sources`` and ``args.drivings`` (lists) from SOURCE/DRIVING and the repeated --source and
    --driving; with one of each, ``args.source`` and ``args.driving`` name them. `ConfigError` when a role
    is missing or the positionals cannot be told apart."""
    from core.errors import ConfigError

    positional = [v for v in (args.source, args.driving) if v is not None]
    sources, drivings = list(args.source_list or ()), list(args.driving_list or ())
    if sources and drivings:
        if positional:
            raise ConfigError(f"with both --source and --driving there is no positional input: remove {positional[0]!r} "
                              "or give it as --source or --driving")
    elif sources or drivings:
        if len(positional) > 1:
            given, other = ("--source", "DRIVING") if sources else ("--driving", "SOURCE")
            raise ConfigError(f"with {given} the one positional is {other}; got {len(positional)}: give the others "
                              f"as {given} too")
        sources, drivings = (sources, positional) if sources else (positional, drivings)
    else:
        sources, drivings = positional[:1], positional[1:]
    if not sources or not drivings:
        raise ConfigError("give SOURCE and DRIVING (several with --source and --driving), or --project FILE.reenact")
    args.sources, args.drivings = sources, drivings
    args.source, args.driving = sources[0], drivings[0]


def is_batch(args: argparse.Namespace) -> bool:
    """Whether the inputs (`gather_inputs`) name several pairs; `ConfigError` for batch-only flags without."""
    from core.batch import is_batch as names_several
    from core.errors import ConfigError

    several = len(args.sources) > 1 or len(args.drivings) > 1 or names_several(args.sources[0], args.drivings[0])
    if not several and (args.format is not None or args.overwrite):
        raise ConfigError(
            "--format and --overwrite are for a batch (a folder or a .txt list as SOURCE or DRIVING); "
            "for one output its name picks the format"
        )
    return several


def run(
    args: argparse.Namespace,
    options: RenderOptions,
    output: OutputOptions,
    build_reenactor: Callable[[argparse.Namespace], Reenactor],
) -> CommandResult:
    """Render every pair into the folder -o; the report lists what was written and what failed, and why."""
    from core.batch import (
        BatchSettings,
        driving_inputs,
        plan_batch,
        prepare_out_folder,
        run_batch,
        source_inputs,
    )
    from core.cli import drive

    kind = args.format or ("mov" if output.alpha else "mp4")
    sources = [photo for value in args.sources for photo in source_inputs(value)]
    drivings = [driver for value in args.drivings for driver in driving_inputs(value)]
    pairs = plan_batch(sources, drivings, args.output, kind, output)
    prepare_out_folder(args.output, pairs)
    settings = BatchSettings(
        options=options, output=output, quality=args.quality, batch=args.batch, start=args.start, stop=args.end,
        face_index=args.face_index, driving_face_index=args.driving_face_index, fps=args.fps,
        overwrite=args.overwrite,
    )
    built: list[Reenactor] = []

    def reenactor() -> Reenactor:  # the model is loaded only when a pair is left to render
        built.append(build_reenactor(args))
        return built[-1]

    result = drive(run_batch(pairs, reenactor, settings), f"batch of {len(pairs)}")
    data = {**result.to_dict(), "random_weights": bool(built and built[0].random_weights)}
    return CommandResult(data=data, text=result.summary(), ok=result.ok, exit_code=EXIT_OK if result.ok else EXIT_BAD_INPUT)
