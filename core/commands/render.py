"""`main.py render`: reenact a source photo with a driving video or performance and export the result."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from core.cli import CommandResult
from core.commands import render_batch

if TYPE_CHECKING:
    from core.config import RenderOptions
    from core.export import OutputOptions
    from core.faces.driving import DrivingSequence
    from core.pipeline import Reenactor

HELP = (
    "reenact SOURCE with DRIVING (a video or a .performance.json) and export to OUT "
    "(.mp4/.mov/.webm/.gif/.webp/folder); several (repeated --source/--driving, a folder or a .txt list) render "
    "every pair into the folder OUT"
)
log = logging.getLogger("reenact.render")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", help="the portrait photo to animate (a folder of photos or a .txt list: a batch)")
    parser.add_argument("driving", nargs="?", help="a driving video, a folder of numbered frames, a performance file (.json), or 'builtin' for the demo performance (a folder of those or a .txt list: a batch)")
    parser.add_argument("-o", "--output", required=True, help="output: .mp4, .mov, .webm, .gif, .webp, or a folder for PNG frames (a batch: the folder for every pair)")
    parser.add_argument(
        "--project", default=None, metavar="FILE.reenact",
        help="render a project saved by the app (its portrait, driving, controls, keys, model and in/out points) "
        "instead of SOURCE and DRIVING; --checkpoint and --start/--end override its model and range",
    )
    parser.add_argument("--checkpoint", default=None, help="trained model (default: the bundled demo model)")
    parser.add_argument("--random-weights", action="store_true", help="render with an untrained network (testing only)")
    parser.add_argument("--strength", type=float, default=1.0, help="landmark transformer strength 0..1 (default 1)")
    parser.add_argument("--identity-adaptation", type=float, default=0.0, help="blend toward the driver's own shape 0..1")
    parser.add_argument("--absolute", action="store_true", help="absolute motion instead of relative to a reference frame")
    parser.add_argument("--reference-frame", type=int, default=None, help="reference driving frame (default: closest to the source)")
    parser.add_argument("--smoothing", type=float, default=0.5, help="temporal landmark smoothing 0..1 (default 0.5)")
    parser.add_argument("--paste-back", action="store_true", help="paste the face back into the full source photo")
    parser.add_argument("--face-index", type=int, default=0, help="which face of the source photo (0 = largest)")
    parser.add_argument("--driving-face-index", type=int, default=0, help="which face of the driving video to follow")
    parser.add_argument("--start", type=int, default=0, help="first driving frame (default 0)")
    parser.add_argument("--end", type=int, default=None, help="frame after the last (exclusive; default: the end)")
    parser.add_argument(
        "--size", type=int, default=None,
        help="longest side of the output in pixels (default: the photo's own size with --paste-back, else the "
        "face's own size in the photo, at most 2048)",
    )
    parser.add_argument("--mask-size", type=float, default=1.0, help="size of the region moving with the head, 0.5..2 (default 1)")
    parser.add_argument("--mask-feather", type=float, default=0.5, help="softness of its edge, 0..1 (default 0.5)")
    parser.add_argument(
        "--synthesis", type=float, default=1.0,
        help="how much of what the network paints beyond its warp of the photo is shown, 0..1 (default 1)",
    )
    parser.add_argument(
        "--model-resolution", action="store_true",
        help="show the network's own picture magnified from its resolution (to compare with the full-resolution render)",
    )
    parser.add_argument("--quality", type=int, default=80, help="encoding quality 0..100 (default 80)")
    parser.add_argument("--batch", type=int, default=8, help="frames per network call (default 8)")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda|mps")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads")
    parser.add_argument("--backend", default="dlib", help="landmark backend: auto|dlib|face-alignment (default dlib)")
    parser.add_argument("--fps", type=float, default=None, help="frame rate of a folder of driving frames (default 25)")
    render_batch.add_arguments(parser)


def load_driving(path: str, reenactor: Reenactor, face_index: int = 0, fps: float | None = None) -> DrivingSequence:
    """A DrivingSequence from a video (analysed, cached) or a performance file ('builtin': the demo)."""
    from core.cli import drive
    from core.faces.driving import read_driving

    source = reenactor.source
    stream = read_driving(path, source.landmarks, reenactor.resolution, reenactor.detector, face_index, fps)
    return drive(stream, "analysing driving video")


def build_reenactor(args: argparse.Namespace) -> Reenactor:
    from core.device import pick_device, set_threads
    from core.errors import CheckpointError
    from core.faces.landmarks import load_detector
    from core.pipeline import Reenactor
    from resources import default_checkpoint

    device = pick_device(args.device)
    set_threads(args.threads)
    checkpoint = args.checkpoint or (None if args.random_weights else default_checkpoint())
    if checkpoint is None and not args.random_weights:
        raise CheckpointError("no trained checkpoint found: pass --checkpoint FILE (this build has no demo model)")
    return Reenactor(checkpoint, device, allow_random_weights=args.random_weights, detector=load_detector(args.backend))


def _check_arguments(args: argparse.Namespace) -> None:
    """Empty paths, an output that is (or resolves to) an input, and numbers out of range."""
    from core.config import MAX_OUTPUT_SIZE
    from core.errors import ConfigError
    from core.render.geometry import MAX_CROP_SIZE
    from core.safety import check_range, refuse_overwriting_inputs, require_path

    output = require_path(args.output, "-o/--output")
    for source in args.sources:
        require_path(source, "the source photo")
    for driving in args.drivings:
        require_path(driving, "the driving input")
    refuse_overwriting_inputs(output, [*args.sources, *args.drivings, args.checkpoint], "-o/--output")
    check_range(args.batch, 1, 256, "--batch (frames per network call)")
    if args.size is not None and not args.paste_back and args.size > MAX_CROP_SIZE:
        raise ConfigError(f"--size {args.size}: the face crop is at most {MAX_CROP_SIZE} px; use --paste-back for a "
                          f"larger picture (the whole photo, up to {MAX_OUTPUT_SIZE} px)")
    check_range(args.quality, 0, 100, "--quality")


def run(args: argparse.Namespace) -> CommandResult:
    from core.config import RenderOptions
    from core.export import check_target

    if args.project is not None:
        return _render_project(args)
    render_batch.gather_inputs(args)
    _check_arguments(args)  # before any work: the inputs are never overwritten
    output = render_batch.output_options(args)
    batch = render_batch.is_batch(args)
    if not batch:
        check_target(args.output, output)
    options = RenderOptions(
        strength=args.strength,
        identity_adaptation=args.identity_adaptation,
        relative=not args.absolute,
        reference_frame=args.reference_frame,
        smoothing=args.smoothing,
        paste_back=args.paste_back,
        output_size=args.size,
        mask_scale=args.mask_size,
        mask_feather=args.mask_feather,
        synthesis=args.synthesis,
        full_resolution=not args.model_resolution,
    )
    if batch:
        return render_batch.run(args, options, output, build_reenactor)
    reenactor = build_reenactor(args)
    log.info("source: %s", args.source)
    reenactor.set_source(args.source, face_index=args.face_index)
    reenactor.set_driving(load_driving(args.driving, reenactor, args.driving_face_index, args.fps))
    stop = args.end if args.end is not None else reenactor.driving.frame_count
    return _export(args, reenactor, options, args.start, stop, output)


def _render_project(args: argparse.Namespace) -> CommandResult:
    """`render --project FILE`: the project's own portrait, driving, options and range (core.project_render)."""
    from core.export import check_target
    from core.project_render import open_project
    from core.safety import refuse_overwriting_inputs, require_path

    output = render_batch.output_options(args)
    refuse_overwriting_inputs(require_path(args.output, "-o/--output"), [args.project, args.checkpoint], "-o/--output")
    check_target(args.output, output)
    project = open_project(args, build_reenactor)
    refuse_overwriting_inputs(args.output, list(project.inputs), "-o/--output")
    return _export(args, project.reenactor, project.options, project.start, project.stop, output)


def _export(
    args: argparse.Namespace, reenactor: Reenactor, options: RenderOptions, start: int, stop: int, output: OutputOptions
) -> CommandResult:
    from core.cli import drive
    from core.export import export

    result = drive(
        export(reenactor, args.output, options, start, stop, quality=args.quality, batch=args.batch, output=output),
        "rendering",
    )
    data = {
        "frames": result.frames,
        "seconds": round(result.seconds, 3),
        "frames_per_s": round(result.frames_per_s, 2),
        "output": str(result.output),
        "size": list(result.size),
        "audio": result.audio,
        "skipped_frames": list(result.skipped_frames),
        "random_weights": reenactor.random_weights,
        "files": {kind: str(path) for kind, path in (result.files or {}).items()},
    }
    if result.loop is not None:
        data["loop"] = {"mode": args.loop, "frames": result.frames, "seam_px": round(result.loop.seam_px, 3), "ok": result.loop.ok}
    text = (
        f"wrote {result.output}: {result.frames} frames at {result.size[0]}x{result.size[1]} in {result.seconds:.1f}s "
        f"({result.frames_per_s:.1f} frames/s){', with audio' if result.audio else ''}"
    )
    if result.skipped_frames:
        text += f"\nskipped unreadable driving frames: {', '.join(map(str, result.skipped_frames))}"
    return CommandResult(data=data, text=text)
