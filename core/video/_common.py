"""What the reader, writer, proxy and probe share: opening a file with PyAV, readable errors, rotation.

PyAV (FFmpeg in-process) is the one video library here: it exposes what exact random access needs
(per-packet keyframe flags, pts/dts and byte positions, so a demux-only index is cheap; keyframe
seeking; the decoder's corrupt-frame flag; the display-matrix rotation), it releases the GIL while it
decodes and encodes, and the same wheel carries x264, AAC, GIF and WebP encoders.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InputError

if TYPE_CHECKING:
    import av.container
    import av.video.frame
    import av.video.stream

# FFmpeg demuxers that read a single still image: a photo renamed .mp4 is not a driving video.
_IMAGE_FORMATS = ("image2", "_pipe")


class CorruptFrameError(InputError):
    """The frame asked for could not be decoded (damaged or missing in the file)."""


def check_input_file(path: str | Path) -> Path:
    """A readable, non-empty regular file, or `InputError` saying what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist: check the file name")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video: pick a video file")
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from err
    if size == 0:
        raise InputError(f"{path} is empty (0 bytes): the copy or download did not finish")
    return path


def open_media(path: str | Path) -> av.container.InputContainer:
    """Open `path` for decoding; every failure is an `InputError` with a reason and a way out."""
    import av

    path = check_input_file(path)
    try:
        return av.open(str(path), mode="r", metadata_errors="replace")
    except PermissionError as err:
        raise InputError(f"no permission to read {path}: check the file's permissions") from err
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise InputError(
            f"{path.name} is not a video FFmpeg can read ({reason}): pick an MP4, MOV, MKV, WebM or AVI file"
        ) from err


def open_video(path: str | Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open `path` for decoding its first video stream; every failure is an `InputError`."""
    path = Path(path)
    container = open_media(path)
    fmt = container.format.name or ""
    if any(name in fmt for name in _IMAGE_FORMATS):
        container.close()
        raise InputError(f"{path.name} is a still image ({fmt}), not a video: pick a video file")
    if not container.streams.video:
        container.close()
        raise InputError(f"{path.name} has no video track: pick a file with moving pictures")
    return container, container.streams.video[0]


def rotation_quarter_turns(frame: av.video.frame.VideoFrame) -> int:
    """Counter-clockwise quarter turns that display `frame` upright (display matrix; 0 when absent)."""
    degrees = frame.rotation
    return round(degrees / 90.0) % 4


def frame_to_rgb(frame: av.video.frame.VideoFrame, quarter_turns: int) -> np.ndarray:
    """Decoded frame -> upright HxWx3 uint8 RGB (the frame's own colour matrix and range honoured)."""
    kwargs = {}
    if frame.color_range == 2:  # full ("JPEG") range tagged on a plain yuv format
        kwargs["src_color_range"] = 2
    rgb = frame.to_ndarray(format="rgb24", **kwargs)
    if quarter_turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    return rgb
