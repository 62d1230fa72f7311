"""One way in for a driving "video": a video file, or a folder of numbered frames played at a given rate.

`open_reader` picks `VideoReader` or `ImageSequenceReader`; both have the same interface (frame
numbering, ``read``, ``iter_decoded``, timestamps, bad frames), so analysis, the scrubbing proxy and
exports do not care which one they got.
"""

from __future__ import annotations

from pathlib import Path

from core.video._common import check_input_file
from core.video.frames import FrameReader
from core.video.image_sequence import ImageSequence, ImageSequenceReader, is_image_sequence
from core.video.reader import VideoReader


def open_reader(path: str | Path, fps: float | None = None, cache_mb: int = 128) -> FrameReader:
    """A reader over ``path``: a folder of numbered frames plays at ``fps`` (default 25); a video file
    at its own rate (``fps`` is ignored there)."""
    if is_image_sequence(path):
        return ImageSequenceReader(path, fps=fps, cache_mb=cache_mb)
    return VideoReader(path, cache_mb=cache_mb)


def check_video_input(path: str | Path) -> Path:
    """``path`` when it is a readable file or a valid folder of numbered frames, else `InputError`
    saying what is wrong (a sequence folder is checked whole: one series, one frame size)."""
    if is_image_sequence(path):
        ImageSequence.scan(path)
        return Path(path)
    return check_input_file(path)
