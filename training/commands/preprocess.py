"""`main.py preprocess RAW_DIR -o DATASET_DIR`: aligned face crops + landmarks for training."""

from __future__ import annotations

import argparse

from core.cli import CommandResult, drive

HELP = "turn a folder of talking-head videos and photos into a training dataset (aligned crops + landmarks)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw_dir", metavar="RAW_DIR",
                        help="identity/clip.mp4, identity/clip/0001.png (frame folders) or identity/photo.jpg")
    parser.add_argument("-o", "--output", required=True, metavar="DATASET_DIR", help="dataset folder (created)")
    parser.add_argument("--size", type=int, default=256, help="side of the stored crops in pixels (default 256)")
    parser.add_argument("--every", type=int, default=1, help="keep every n-th video frame (default 1: all)")
    parser.add_argument("--max-frames", type=int, default=0, help="at most this many frames per video (0: all)")
    parser.add_argument("--format", dest="image_format", choices=["jpg", "png"], default="jpg",
                        help="frame file format (default jpg, quality 95)")
    parser.add_argument("--min-face", type=float, default=0.0,
                        help="skip faces narrower than this many source pixels (default 0: keep all)")
    parser.add_argument("--landmarks", default="auto", help="landmark backend: auto|dlib|face-alignment")


def _check_arguments(args: argparse.Namespace) -> None:
    """Paths and numbers, before any work: the raw folder is never written into."""
    from core.safety import check_range, require_input_folder, require_output_folder

    raw = require_input_folder(args.raw_dir, "RAW_DIR", "a folder of talking-head videos and photos")
    require_output_folder(args.output, "-o/--output", "the dataset", inputs=[raw])
    check_range(args.size, 32, 1024, "--size")
    check_range(args.every, 1, 10_000, "--every")
    check_range(args.max_frames, 0, 10_000_000, "--max-frames")
    check_range(args.min_face, 0, 100_000, "--min-face")


def run(args: argparse.Namespace) -> CommandResult:
    _check_arguments(args)
    from core.faces.landmarks import load_detector
    from training.preprocess import PreprocessOptions, preprocess

    options = PreprocessOptions(
        size=args.size,
        every=args.every,
        max_frames=args.max_frames,
        image_format=args.image_format,
        min_face=args.min_face,
    )
    detector = load_detector(args.landmarks)
    report = drive(preprocess(args.raw_dir, args.output, options, detector), "preprocess")
    lines = [f"{report.clips} clips, {report.frames} frames in {args.output} "
             f"({report.new_clips} new, {report.reused_clips} done earlier)"]
    if report.skipped:
        lines.append(f"skipped {len(report.skipped)}:")
        lines += [f"  {s['source']}: {s['reason']}" for s in report.skipped]
    if report.clips == 0:
        lines.append("no usable clip: training needs videos or photos in which a face is found")
    return CommandResult(
        data={"clips": report.clips, "frames": report.frames, "skipped": report.skipped,
              "manifest": str(report.manifest) if report.manifest else None},
        text="\n".join(lines),
        ok=report.clips > 0,
    )
