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

#: 8-bit formats whose first plane is the luma image, read as is by `frame_to_gray` (0.1 ms a frame
#: where swscale's conversion costs about 2 ms).
_LUMA_FIRST = {
    "yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
    "yuv440p", "yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray",
}  # fmt: skip
_FULL_RANGE_FORMATS = {"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "gray"}
_AVCOL_RANGE_JPEG = 2  # FFmpeg's code for full ("JPEG") range
# Limited-range luma (16..235) stretched to full range (0..255), as swscale does on the way to RGB.
_LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * (255.0 / 219.0) + 0.5, 0, 255).astype(np.uint8)


class CorruptFrameError(InputError):
    """The frame asked for could not be decoded (damaged or missing in the file)."""


def check_input_file(path: str | Path) -> Path:
    """A readable, non-empty regular file, or `InputError` saying what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist: check the file name")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video: pick a video file")
    from core.safety import refuse_special_file

    refuse_special_file(path)  # a pipe or device: reading it could block forever
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
    if frame.color_range == _AVCOL_RANGE_JPEG:  # full range tagged on a plain yuv format
        kwargs["src_color_range"] = 2
    rgb = frame.to_ndarray(format="rgb24", **kwargs)
    if quarter_turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    return rgb


def frame_to_gray(frame: av.video.frame.VideoFrame, quarter_turns: int) -> np.ndarray:
    """Decoded frame -> upright HxW uint8 full-range grayscale, for analysis (detectors that want gray).

    The luma plane is copied as is (stretched to full range when the video is limited range), about
    twenty times cheaper than a conversion; other formats (10-bit, RGB, paletted) go through RGB.
    """
    import cv2

    name = frame.format.name
    if name in _LUMA_FIRST:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)[:, : frame.width]
        if name in _FULL_RANGE_FORMATS or frame.color_range == _AVCOL_RANGE_JPEG:
            gray = np.ascontiguousarray(luma)
        else:
            gray = cv2.LUT(luma, _LIMITED_TO_FULL)
    else:
        gray = cv2.cvtColor(frame_to_rgb(frame, 0), cv2.COLOR_RGB2GRAY)
    if quarter_turns:
        gray = np.ascontiguousarray(np.rot90(gray, quarter_turns))
    return gray
