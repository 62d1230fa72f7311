"""The encoders behind `VideoWriter`, one per kind of output; each takes RGB or, with alpha, RGBA frames.

A sink writes into a temporary file (or folder) it is given; `VideoWriter` owns the naming, the
checks and the final rename. Every sink has ``write(frame)``, ``finish()`` (complete the file) and
``abort()`` (close without caring for the file, which is about to be removed).

What each kind stores (see `codec_for`): MP4 H.264 yuv420p; MOV ProRes 422 HQ (10-bit 4:2:2), or
ProRes 4444 (10-bit 4:4:4 + 16-bit alpha plane) with alpha; WebM VP9 yuv420p, or yuva420p (alpha
coded as a second VP9 picture) with alpha; GIF paletted with one transparent index; WebP lossy
yuv420p with a losslessly coded alpha plane; PNG RGB or RGBA.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import OutputError
from core.video.formats import OUTPUT_FORMATS
from core.video.tags import describe, gif_add_comment, png_text_chunk, webp_add_xmp

if TYPE_CHECKING:
    from core.video.audio import AudioTrack

#: x264 preset: on a 2-core CPU "veryfast" encodes 910x1138 at ~70 frames/s and 256x256 at ~750, a
#: small share of a 5-8 frames/s export, at about half the size of "ultrafast" for the same CRF.
MP4_PRESET = "veryfast"
#: libvpx-vp9 speed: "good" at cpu-used 5 with row threading encodes 720x528 with alpha at ~45 frames/s
#: on 2 cores ("realtime" is 2.5x faster and files twice the size; cpu-used 4 is no smaller).
_VP9_SPEED = {"deadline": "good", "cpu-used": "5", "row-mt": "1"}


def mp4_crf(quality: int) -> int:
    """Quality 0-100 -> x264 CRF (100 -> 15, 80 -> 20, 60 -> 25, 0 -> 40)."""
    return round(40 - 0.25 * min(max(quality, 0), 100))


def vp9_crf(quality: int) -> int:
    """Quality 0-100 -> VP9 CRF, constant quality (100 -> 15, 80 -> 23, 60 -> 31, 0 -> 55)."""
    return round(55 - 0.4 * min(max(quality, 0), 100))


@dataclass(frozen=True)
class VideoCodec:
    """How one container kind encodes its picture: the encoder, its pixel format and options."""

    codec: str
    pix_fmt: str
    options: dict[str, str] = field(default_factory=dict)
    even_size: bool = False  # pad odd sizes by one edge row/column (H.264 4:2:0 needs even sizes)
    container_options: dict[str, str] = field(default_factory=dict)


def codec_for(kind: str, alpha: bool, quality: int) -> VideoCodec:
    """The encoder settings of ``mp4``, ``mov`` or ``webm`` output, with or without an alpha plane."""
    if kind == "mp4":
        return VideoCodec(
            "libx264",
            "yuv420p",
            {"preset": MP4_PRESET, "crf": str(mp4_crf(quality))},
            even_size=True,
            container_options={"movflags": "+faststart"},
        )
    if kind == "mov":  # ProRes has its own fixed rates per profile: quality does not apply
        if alpha:
            return VideoCodec("prores_ks", "yuva444p10le", {"profile": "4444", "alpha_bits": "16"})
        return VideoCodec("prores_ks", "yuv422p10le", {"profile": "hq"})
    if kind == "webm":
        return VideoCodec(
            "libvpx-vp9", "yuva420p" if alpha else "yuv420p", {"crf": str(vp9_crf(quality)), "b": "0", **_VP9_SPEED}
        )
    raise ValueError(f"{kind} is not a container kind")


def _av_frame(image: np.ndarray, index: int, rate: Fraction, pix_fmt: str | None = None):
    """An RGB or RGBA array as a PyAV frame at ``index / rate`` s, converted to ``pix_fmt`` (BT.709,
    limited range) when given; otherwise the encoder converts it."""
    import av

    frame = av.VideoFrame.from_ndarray(image, format="rgba" if image.shape[2] == 4 else "rgb24")
    if pix_fmt is not None:
        frame = frame.reformat(format=pix_fmt, dst_colorspace="ITU709", dst_color_range="MPEG")
    frame.pts = index
    frame.time_base = 1 / rate
    return frame


class EncodedSink:
    """MP4, MOV or WebM through PyAV, with the driving sound in the codec the container takes."""

    def __init__(self, tmp, kind, rate, size, quality, alpha, metadata, audio_source, audio_start_s, audio_end_s):
        import av

        self._rate = rate
        self._spec = codec_for(kind, alpha, quality)
        w, h = size
        self._pad = (w % 2, h % 2) if self._spec.even_size else (0, 0)
        self._container = av.open(str(tmp), mode="w", format=kind, container_options=self._spec.container_options)
        try:
            for key, value in metadata.items():
                self._container.metadata[key] = str(value)
            stream = self._container.add_stream(self._spec.codec, rate=rate, options=self._spec.options)
            stream.width, stream.height = w + self._pad[0], h + self._pad[1]
            stream.pix_fmt = self._spec.pix_fmt
            ctx = stream.codec_context
            ctx.time_base = 1 / rate
            ctx.thread_type = "AUTO"
            # BT.709 matrix, limited range, tagged: players show the colours that were rendered.
            ctx.colorspace = ctx.color_primaries = ctx.color_trc = 1
            ctx.color_range = 1
            self._stream = stream
            self.audio: AudioTrack | None = None
            if audio_source is not None:
                from core.video.audio import AudioTrack

                self.audio = AudioTrack.open(
                    self._container, audio_source, audio_start_s, audio_end_s, OUTPUT_FORMATS[kind].audio_codec
                )
        except BaseException:
            self._container.close()
            raise
        self._count = 0

    def write(self, image: np.ndarray) -> None:
        import cv2

        if self._pad != (0, 0):
            image = cv2.copyMakeBorder(image, 0, self._pad[1], 0, self._pad[0], cv2.BORDER_REPLICATE)
        frame = _av_frame(image, self._count, self._rate, self._spec.pix_fmt)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._count += 1
        if self.audio is not None:
            self.audio.pump(float(self._count / self._rate))

    def finish(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        if self.audio is not None:
            self.audio.finish(float(self._count / self._rate))
        self._container.close()

    def abort(self) -> None:
        if self.audio is not None:
            self.audio.close()
        close_quietly(self._container)


class GifSink:
    """Per-frame palettes (palettegen/paletteuse in one streaming filter graph): no frame is kept.

    With alpha, one palette entry is kept for "transparent" and pixels under alpha 128 take it (GIF
    transparency is all or nothing); the encoder clears each frame before the next (disposal 2)."""

    def __init__(self, tmp, rate, size, quality, alpha, metadata):
        import av

        self._tmp = Path(tmp)
        self._metadata = metadata
        w, h = size
        colours = int(min(256, max(16, round(16 + 2.4 * quality))))
        self._container = av.open(str(tmp), mode="w", format="gif", container_options={"loop": "0"})
        self._stream = self._container.add_stream("gif", rate=rate)
        self._stream.width, self._stream.height = w, h
        self._stream.pix_fmt = "pal8"
        self._rate = rate
        graph = av.filter.Graph()
        source = graph.add_buffer(width=w, height=h, format="rgba" if alpha else "rgb24", time_base=1 / rate)
        split = graph.add("split")
        reserve = ":reserve_transparent=1" if alpha else ""
        palette = graph.add("palettegen", f"stats_mode=single:max_colors={colours}{reserve}")
        use = graph.add("paletteuse", "new=1:dither=sierra2_4a" + (":alpha_threshold=128" if alpha else ""))
        sink = graph.add("buffersink")
        source.link_to(split)
        split.link_to(palette, 0, 0)
        split.link_to(use, 1, 0)
        palette.link_to(use, 0, 1)
        use.link_to(sink)
        graph.configure()
        self._graph = graph
        self._pushed = 0
        self._encoded = 0

    def _drain(self) -> None:
        import av

        while True:
            try:
                frame = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            frame.pts = self._encoded
            frame.time_base = 1 / self._rate
            self._encoded += 1
            for packet in self._stream.encode(frame):
                self._container.mux(packet)

    def write(self, image: np.ndarray) -> None:
        self._graph.push(_av_frame(image, self._pushed, self._rate))
        self._pushed += 1
        self._drain()

    def finish(self) -> None:
        self._graph.push(None)
        self._drain()
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        gif_add_comment(self._tmp, describe(self._metadata))

    def abort(self) -> None:
        close_quietly(self._container)


class WebpSink:
    """libwebp at compression level 2: about 1.7x faster than its default 4, files ~6 % larger.
    With alpha the picture is yuva420p: lossy colour, losslessly coded alpha."""

    def __init__(self, tmp, rate, size, quality, alpha, metadata):
        import av

        self._tmp = Path(tmp)
        self._metadata = metadata
        self._rate = rate
        self._container = av.open(str(tmp), mode="w", format="webp", container_options={"loop": "0"})
        self._stream = self._container.add_stream(
            "libwebp_anim",
            rate=rate,
            options={"quality": str(min(max(quality, 0), 100)), "lossless": "0", "compression_level": "2"},
        )
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = "yuva420p" if alpha else "yuv420p"
        self._count = 0

    def write(self, image: np.ndarray) -> None:
        frame = _av_frame(image, self._count, self._rate)
        self._count += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def finish(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        webp_add_xmp(self._tmp, self._metadata)

    def abort(self) -> None:
        close_quietly(self._container)


class PngSink:
    """zlib level 1: PNG is the lossless hand-over format, so speed wins (level 3 is ~1.5x slower)."""

    def __init__(self, folder: Path, metadata: dict[str, str]) -> None:
        self._folder = folder
        self._text = b"".join(png_text_chunk(k, v) for k, v in metadata.items())
        self._count = 0

    def write(self, image: np.ndarray) -> None:
        import cv2

        to_bgr = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, to_bgr), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise OutputError(f"could not encode frame {self._count} as PNG")
        data = encoded.tobytes()
        ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
        with open(self._folder / f"frame_{self._count:05d}.png", "wb") as fh:
            fh.write(data[:ihdr_end] + self._text + data[ihdr_end:])
        self._count += 1

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


def close_quietly(container) -> None:
    """Close a half-written output; its errors do not matter, the file is about to be removed."""
    import av

    with contextlib.suppress(av.error.FFmpegError, OSError):
        container.close()
