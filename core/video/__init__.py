"""Video I/O: frame-exact random access, a scrubbing proxy, and atomic exports with the driving audio.

    from core.video import VideoReader, VideoWriter, build_proxy, ProxyReader, probe

Exports may carry alpha (`VideoWriter(alpha=True)`) and layers (`core.video.layers`).

PyAV (FFmpeg) does the decoding and encoding; `core.video._common` says why.
"""

from core.video._common import CorruptFrameError, check_input_file
from core.video.formats import ALPHA_KINDS, OUTPUT_FORMATS, OUTPUT_KINDS, check_output_format, output_kind
from core.video.info import VIDEO_SUFFIXES, VideoInfo, probe
from core.video.proxy import DEFAULT_MAX_SIDE, ProxyReader, build_proxy, content_hash, find_proxy, proxy_path
from core.video.reader import VideoReader
from core.video.sinks import MP4_PRESET, mp4_crf
from core.video.tags import DEFAULT_METADATA, SYNTHETIC_COMMENT, synthetic_metadata
from core.video.writer import VideoWriter

__all__ = [
    "ALPHA_KINDS",
    "DEFAULT_MAX_SIDE",
    "DEFAULT_METADATA",
    "MP4_PRESET",
    "OUTPUT_FORMATS",
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
    "check_output_format",
    "content_hash",
    "find_proxy",
    "mp4_crf",
    "output_kind",
    "probe",
    "proxy_path",
    "synthetic_metadata",
]
