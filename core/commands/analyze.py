"""`main.py analyze`: the face and its 68 landmarks in a photo or in every frame of a driving video.

Writes a `VideoAnalysis` .npz (raw landmarks, face flags, boxes, head pose, plus the landmarks smoothed
at ``--smooth``). Videos are analysed once per content and settings; a second run reads the cache.
``frames_per_s`` is measured end to end over the analysis: decoding, detection and tracking, landmarks,
head pose, smoothing and writing the output. The one-time start-up (loading the models, about a second
for dlib) is reported apart as ``load_seconds``, and ``frames_per_s_with_load`` includes it.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import CommandResult, drive, fail
from core.progress import ProgressStream, T

if TYPE_CHECKING:
    from core.faces.analysis import VideoAnalysis

HELP = "find the face and its 68 landmarks in a photo or every frame of a video; save them as .npz"
log = logging.getLogger("reenact.analyze")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a photo, a driving video, or a folder of numbered frames (PNG/JPEG/TIFF)")
    parser.add_argument("-o", "--output", required=True, help="the analysis file to write (.npz)")
    parser.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "dlib", "face-alignment"],
        help="landmark backend: face-alignment (FAN) when its weights are installed, else dlib (default auto)",
    )
    parser.add_argument(
        "--face-index", type=int, default=0, help="which face to use or follow, 0 = the largest (default 0)"
    )
    parser.add_argument(
        "--smooth",
        type=float,
        default=None,
        help="temporal smoothing stored beside the raw landmarks, 0 (none) to 1 (default 0.5)",
    )
    parser.add_argument("--device", default=None, help="device for face-alignment: auto|cpu|cuda|mps")
    parser.add_argument(
        "--no-cache", action="store_true", help="analyse again even if a cached result exists"
    )
    parser.add_argument(
        "--fps", type=float, default=None, help="frame rate of a folder of frames (default 25; a video keeps its own)"
    )


def run(args: argparse.Namespace) -> CommandResult:
    start = time.perf_counter()
    from core.atomic import check_writable_dir
    from core.faces.analysis import analyze_image, analyze_video
    from core.faces.image_io import IMAGE_SUFFIXES
    from core.faces.landmarks import load_detector
    from core.faces.smoothing import DEFAULT_AMOUNT
    from core.safety import refuse_overwriting_inputs, refuse_special_file, require_path
    from core.video import VIDEO_SUFFIXES

    source = require_path(args.input, "the input")
    output = require_path(args.output, "-o/--output")
    smooth = DEFAULT_AMOUNT if args.smooth is None else args.smooth
    if not 0.0 <= smooth <= 1.0:
        fail(f"--smooth must be between 0 and 1, got {smooth:g}")
    if args.face_index < 0:
        fail(f"--face-index must be 0 or more, got {args.face_index}")
    if output.suffix.lower() != ".npz":
        fail(f"the output must be an .npz file, got {output.name}")
    if not source.exists():
        fail(f"{source} does not exist: check the file name")
    check_writable_dir(output.parent if str(output.parent) else Path("."))
    refuse_overwriting_inputs(output, [source], "-o/--output")
    refuse_special_file(source)  # a pipe would block forever

    kind = _kind(source, IMAGE_SUFFIXES, VIDEO_SUFFIXES)
    if kind == "video":
        _check_video(source)  # before hashing it for the cache: a folder or pipe is named at once
    detector = load_detector(args.backend, args.device)
    from_cache = False
    cached_hit = kind == "video" and not args.no_cache and _in_cache(source, detector, args.face_index, args.fps)
    load = getattr(detector, "load", None)
    if load is not None and not cached_hit:
        load()  # now rather than at the first frame, so that the figures below separate the two
    loaded = time.perf_counter()
    if kind == "image":
        analysis = analyze_image(source, detector, args.face_index)
    else:
        flags: dict[str, bool] = {}
        stream = analyze_video(source, detector, args.face_index, use_cache=not args.no_cache, fps=args.fps)
        analysis = drive(_watch_cache(stream, flags), f"analyze {source.name}")
        from_cache = flags.get("cached", False)
    analysis.save(output, smoothing_amount=smooth if kind == "video" else None)
    done = time.perf_counter()
    elapsed = done - loaded

    data: dict[str, object] = {
        "ok": True,
        "input": str(source),
        "output": str(output),
        "kind": kind,
        **analysis.summary(),
        "frames_per_s": round(analysis.frame_count / elapsed, 2),
        "seconds": round(elapsed, 3),
        "load_seconds": round(loaded - start, 3),
        "frames_per_s_with_load": round(analysis.frame_count / (done - start), 2),
        "cached": from_cache,
        "smoothing": smooth if kind == "video" else 0.0,
        "face_index": args.face_index,
    }
    share = 100.0 * analysis.frames_with_face / max(1, analysis.frame_count)
    text = (
        f"{source.name}: face in {analysis.frames_with_face}/{analysis.frame_count} frames ({share:.1f}%"
        f"{_filled(analysis)}), "
        f"{data['frames_per_s']} frames/s with {analysis.backend}{' (cached)' if from_cache else ''}; "
        f"wrote {output}"
    )
    return CommandResult(data=data, text=text)


def _kind(path: Path, image_suffixes: tuple[str, ...], video_suffixes: tuple[str, ...]) -> str:
    """'image' or 'video', from the extension or, failing that, from what the file opens as."""
    suffix = path.suffix.lower()
    if suffix in image_suffixes:
        return "image"
    if suffix in video_suffixes:
        return "video"
    from core.errors import InputError
    from core.faces.image_io import read_image

    try:
        read_image(path)
    except InputError:
        return "video"  # the video reader gives the clearer message if it is neither
    return "image"


def _filled(analysis: VideoAnalysis) -> str:
    filled = int(analysis.filled.sum())
    return f", {filled} filled in between detections" if filled else ""


def _check_video(source: Path) -> None:
    """A video file or a folder of numbered frames, else `InputError` saying what the path is."""
    from core.video import check_video_input

    check_video_input(source)


def _in_cache(source: Path, detector: object, face_index: int, fps: float | None) -> bool:
    """Whether the video's analysis with these settings is cached (then the models need not load)."""
    from core.faces.analysis import TrackingSettings, cache_file_for

    return cache_file_for(source, detector, face_index, TrackingSettings(), fps).exists()


def _watch_cache(stream: ProgressStream[T], flags: dict[str, bool]) -> ProgressStream[T]:
    """Pass a progress stream through, noting whether the result came from the cache."""
    while True:
        try:
            item = next(stream)
        except StopIteration as stop:
            return stop.value
        if item.message == "from cache":
            flags["cached"] = True
        yield item
