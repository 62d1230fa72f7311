"""Sequential video decoding for analysis: frames streamed one at a time, upright, damaged ones flagged.

PyAV (FFmpeg) rather than cv2.VideoCapture because it reports what analysis needs to know: frames the
decoder had to conceal (``is_corrupt``), packets it could not decode at all (an exception we can
survive), and the display-matrix rotation of phone videos. Frames come out in display order,
numbered from 0; a packet that fails to decode yields one placeholder frame (no image) so that the
numbering keeps following the video. Frames the decoder drops silently cannot be numbered; callers
compare with `VideoInfo.declared_frames`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InputError

if TYPE_CHECKING:
    import av.container

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


@dataclass(frozen=True)
class VideoInfo:
    """What analysis needs to know about a video before decoding it."""

    width: int  # after rotation
    height: int
    fps: float
    declared_frames: int  # from the container; 0 when unknown
    rotation: int  # degrees counter-clockwise applied to the stored frames (0, 90, 180, 270)
    codec: str


@dataclass(frozen=True)
class DecodedFrame:
    """One frame in display order: `image` is None when it could not be decoded at all."""

    index: int
    image: np.ndarray | None
    corrupt: bool


def _open(path: Path) -> av.container.InputContainer:
    import av

    if not path.exists():
        raise InputError(f"{path} does not exist: check the file name")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video: pick a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes): the file was not copied or saved completely")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path.name} is not a video this app can read ({_reason(err)})") from err
    if not container.streams.video:
        container.close()
        raise InputError(f"{path.name} has no video stream: pick a video file")
    return container


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def probe_video(path: str | Path) -> VideoInfo:
    """Size (after rotation), frame rate, declared frame count and rotation; `InputError` if unreadable."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        rotation = _stream_rotation(container, stream)
        w, h = stream.codec_context.width, stream.codec_context.height
        if rotation in (90, 270):
            w, h = h, w
        return VideoInfo(
            width=int(w),
            height=int(h),
            fps=float(rate),
            declared_frames=int(stream.frames or 0),
            rotation=rotation,
            codec=stream.codec_context.name,
        )
    finally:
        container.close()


def _stream_rotation(container: object, stream: object) -> int:
    """Rotation from the first decodable frame's display matrix (0 when there is none)."""
    import av

    try:
        for frame in container.decode(stream):  # type: ignore[attr-defined]
            return _normalise_rotation(getattr(frame, "rotation", 0) or 0)
    except av.error.FFmpegError:
        return 0
    return 0


def _normalise_rotation(degrees: float) -> int:
    return round(degrees / 90.0) % 4 * 90


def iter_frames(path: str | Path, gray: bool = False) -> Iterator[DecodedFrame]:
    """Every frame of `path` as HxW (gray) or HxWx3 RGB uint8, upright, in display order.

    Damaged data does not stop the stream: concealed frames come with ``corrupt=True``, packets that
    fail to decode give a placeholder with ``image=None``. Only an unreadable file raises `InputError`.
    """
    import av

    path = Path(path)
    container = _open(path)
    fmt = "gray" if gray else "rgb24"
    index = 0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as err:
                log.warning("%s: the file is damaged after frame %d (%s)", path.name, index, _reason(err))
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError as err:
                log.debug("%s: undecodable packet after frame %d (%s)", path.name, index, _reason(err))
                if packet.size:
                    yield DecodedFrame(index, None, True)
                    index += 1
                continue
            for frame in frames:
                yield DecodedFrame(index, _to_array(frame, fmt), bool(frame.is_corrupt))
                index += 1
    finally:
        container.close()


#: 8-bit planar YUV formats whose first plane is the luma image (read directly: swscale's "gray"
#: conversion costs 2 ms a frame, the plane 0.1 ms).
_LUMA_FIRST = {
    "yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
    "yuv440p", "yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray",
}  # fmt: skip
_FULL_RANGE_FORMATS = {"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "gray"}
_LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * (255.0 / 219.0) + 0.5, 0, 255).astype(np.uint8)
_AVCOL_RANGE_JPEG = 2


def _luma(frame: object) -> np.ndarray | None:
    """The Y plane as full-range HxW uint8, or None for formats without a plain 8-bit luma plane."""
    name = frame.format.name  # type: ignore[attr-defined]
    if name not in _LUMA_FIRST:
        return None
    import cv2

    plane = frame.planes[0]  # type: ignore[attr-defined]
    h, w = frame.height, frame.width  # type: ignore[attr-defined]
    luma = np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w]
    if name in _FULL_RANGE_FORMATS or frame.color_range == _AVCOL_RANGE_JPEG:  # type: ignore[attr-defined]
        return np.ascontiguousarray(luma)
    return cv2.LUT(luma, _LIMITED_TO_FULL)


def _to_array(frame: object, fmt: str) -> np.ndarray:
    image = _luma(frame) if fmt == "gray" else None
    if image is None:
        image = frame.to_ndarray(format=fmt)  # type: ignore[attr-defined]
    turns = _normalise_rotation(getattr(frame, "rotation", 0) or 0) // 90
    if turns:
        image = np.ascontiguousarray(np.rot90(image, k=turns))
    return image
