"""Video I/O: frame-exact random access, a scrubbing proxy, and atomic exports with the driving audio.

    from core.video import VideoReader, VideoWriter, build_proxy, ProxyReader, probe

A driving "video" may also be a folder of numbered frames (`open_reader`, `is_image_sequence`);
exports may carry alpha (`VideoWriter(alpha=True)`) and layers (`core.video.layers`).

PyAV (FFmpeg) does the decoding and encoding; `core.video._common` says why.
"""

from core.video._common import CorruptFrameError, check_input_file
from core.video.formats import ALPHA_KINDS, OUTPUT_FORMATS, OUTPUT_KINDS, check_output_format, output_kind
from core.video.frames import FrameReader
from core.video.hashing import content_hash, sequence_content_hash
from core.video.image_sequence import (
    DEFAULT_SEQUENCE_FPS,
    SEQUENCE_SUFFIXES,
    ImageSequenceReader,
    is_image_sequence,
    sequence_rate,
)
from core.video.info import VIDEO_SUFFIXES, VideoInfo, probe
from core.video.proxy import DEFAULT_MAX_SIDE, ProxyReader, build_proxy, find_proxy, proxy_path
from core.video.reader import VideoReader
from core.video.sinks import MP4_PRESET, mp4_crf
from core.video.source import check_video_input, open_reader
from core.video.tags import DEFAULT_METADATA, SYNTHETIC_COMMENT, synthetic_metadata
from core.video.writer import VideoWriter

__all__ = [
    "ALPHA_KINDS",
    "DEFAULT_MAX_SIDE",
    "DEFAULT_METADATA",
    "DEFAULT_SEQUENCE_FPS",
    "MP4_PRESET",
    "OUTPUT_FORMATS",
    "OUTPUT_KINDS",
    "SEQUENCE_SUFFIXES",
    "SYNTHETIC_COMMENT",
    "VIDEO_SUFFIXES",
    "CorruptFrameError",
    "FrameReader",
    "ImageSequenceReader",
    "ProxyReader",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "build_proxy",
    "check_input_file",
    "check_output_format",
    "check_video_input",
    "content_hash",
    "find_proxy",
    "is_image_sequence",
    "mp4_crf",
    "open_reader",
    "output_kind",
    "probe",
    "proxy_path",
    "sequence_content_hash",
    "sequence_rate",
    "synthetic_metadata",
]
