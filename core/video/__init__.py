"""Video I/O: frame-exact random access, a scrubbing proxy, and atomic exports with the driving audio.

    from core.video import VideoReader, VideoWriter, build_proxy, ProxyReader, probe

PyAV (FFmpeg) does the decoding and encoding; `core.video._common` says why.
"""

from core.video._common import CorruptFrameError, check_input_file
from core.video.info import VIDEO_SUFFIXES, VideoInfo, probe
from core.video.proxy import DEFAULT_MAX_SIDE, ProxyReader, build_proxy, content_hash, find_proxy, proxy_path
from core.video.reader import VideoReader
from core.video.writer import (
    DEFAULT_METADATA,
    MP4_PRESET,
    OUTPUT_KINDS,
    SYNTHETIC_COMMENT,
    VideoWriter,
    mp4_crf,
    output_kind,
    synthetic_metadata,
)

__all__ = [
    "DEFAULT_MAX_SIDE",
    "DEFAULT_METADATA",
    "MP4_PRESET",
    "OUTPUT_KINDS",
    "SYNTHETIC_COMMENT",
    "VIDEO_SUFFIXES",
    "CorruptFrameError",
    "ProxyReader",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "build_proxy",
    "check_input_file",
    "content_hash",
    "find_proxy",
    "mp4_crf",
    "output_kind",
    "probe",
    "proxy_path",
    "synthetic_metadata",
]
