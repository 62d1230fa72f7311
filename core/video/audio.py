"""The driving video's sound, cut to an exported range and encoded into the video being written:
AAC into MP4, PCM into MOV, Opus into WebM (`core.video.formats` says which container takes which).

Always re-encoded, never stream-copied: the cut must be sample-exact at both ends (a copy can only
cut at packet boundaries, and its first packet decodes with a glitch without the one before), most
driving clips carry codecs MP4 players do not take (Megamind.avi's AC-3, PCM in MOV/AVI, Vorbis in
WebM), and AAC at 160 kb/s after AAC is transparent for speech. Gaps in the source (a damaged
packet, audio starting late) become silence, so sound stays in sync with the frames' timestamps.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.video._common import open_media

if TYPE_CHECKING:
    import av.container

log = logging.getLogger(__name__)

_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
_AAC_FRAME = 1024  # samples per AAC frame (the chunk size samples are handed to every encoder in)
#: Per encoder: sample rates it takes (None: any), its sample format, bit rate (stereo, mono; None: fixed).
_CODECS: dict[str, tuple[tuple[int, ...] | None, str, tuple[int, int] | None]] = {
    "aac": (_AAC_RATES, "fltp", (160_000, 96_000)),
    "libopus": ((48000,), "flt", (128_000, 64_000)),  # Opus works at 48 kHz inside; WebM's sound
    "pcm_s16le": (None, "s16", None),  # lossless, sample-exact: what editors expect beside ProRes
}
_JITTER_S = 0.002  # timestamps closer than this to the running position count as contiguous


class AudioTrack:
    """Seconds ``start_s .. end_s`` of ``source``'s first audio stream, encoded into ``output`` with
    ``codec`` (``aac``, ``libopus`` or ``pcm_s16le``).

    Positions are seconds of the source file's timeline (as `VideoReader.timestamps`); the output
    track starts at 0 with the output's first video frame. Call ``pump(t)`` as video is written (t:
    seconds of video written so far) to keep the file interleaved, then ``finish(duration)`` once.
    """

    def __init__(
        self,
        output: av.container.OutputContainer,
        source: str | Path,
        start_s: float,
        end_s: float | None,
        codec: str = "aac",
    ) -> None:
        rates, sample_format, bit_rates = _CODECS[codec]
        self._path = Path(source)
        self._source = open_media(source)
        self._astream = self._source.streams.audio[0]
        decoder = self._astream.codec_context
        channels = decoder.channels if decoder.channels else 2
        self._layout = "mono" if channels == 1 else "stereo"  # 5.1 and more are mixed down
        rate = decoder.sample_rate or 48000
        self._rate = rate if rates is None or rate in rates else 48000
        self._channels = 1 if self._layout == "mono" else 2
        self._resampler = self._new_resampler()
        self._out = output
        self._stream = output.add_stream(codec, rate=self._rate)
        self._stream.codec_context.layout = self._layout
        self._stream.codec_context.format = sample_format
        if bit_rates is not None:
            self._stream.codec_context.bit_rate = bit_rates[0] if self._channels == 2 else bit_rates[1]
        self._stream.codec_context.time_base = Fraction(1, self._rate)
        self._start_s = float(start_s)
        self._end = None if end_s is None else max(0, round((float(end_s) - self._start_s) * self._rate))
        self._buffer = np.zeros((self._channels, 0), dtype=np.float32)
        self._pos = 0  # output samples placed so far (buffered or encoded)
        self._encoded = 0
        self._exhausted = False
        self._frames = self._decoded()

    @classmethod
    def open(
        cls,
        output: av.container.OutputContainer,
        source: str | Path,
        start_s: float,
        end_s: float | None,
        codec: str = "aac",
    ) -> AudioTrack | None:
        """An `AudioTrack`, or None when ``source`` has no audio (the export is then silent)."""
        container = open_media(source)
        try:
            has_audio = bool(container.streams.audio)
        finally:
            container.close()
        if not has_audio:
            log.info("%s has no audio track: the export will be silent", source)
            return None
        return cls(output, source, start_s, end_s, codec)

    # -- source side ------------------------------------------------------------------------------
    def _decoded(self):
        """Yield ``(seconds on the source timeline or None, planar float32 samples)`` from just
        before ``start_s`` on (a seek that lands after it falls back to decoding from the top)."""
        import av

        if self._start_s > 0.5:
            try:
                ts = int((self._start_s - 0.25) / float(self._astream.time_base))
                self._source.seek(ts, stream=self._astream, backward=True)
            except av.error.FFmpegError as err:
                log.debug("audio seek failed (%s): decoding from the start", err)
            else:
                pieces = self._decode_from_here()
                first = next(pieces, None)
                if first is not None and first[0] is not None and first[0] > self._start_s:
                    pieces.close()
                    log.debug(
                        "audio seek landed at %.3f s, after %.3f s: from the top", first[0], self._start_s
                    )
                    self._source.close()
                    self._source = open_media(self._path)
                    self._astream = self._source.streams.audio[0]
                    self._resampler = self._new_resampler()
                else:
                    if first is not None:
                        yield first
                    yield from pieces
                    return
        yield from self._decode_from_here()

    def _decode_from_here(self):
        import av

        for packet in self._source.demux(self._astream):
            try:
                frames = self._astream.codec_context.decode(packet if packet.size else None)
            except av.error.FFmpegError as err:  # a damaged packet becomes a gap (silence)
                log.debug("skipping an audio packet that does not decode: %s", err)
                continue
            for frame in frames:
                start = float(frame.pts * frame.time_base) if frame.pts is not None else None
                for out in self._resampler.resample(frame):
                    yield start, self._planar(out)
                    start = None  # later pieces of one input frame follow on directly
        for out in self._resampler.resample(None):
            yield None, self._planar(out)

    def _planar(self, frame) -> np.ndarray:
        return frame.to_ndarray().astype(np.float32, copy=False).reshape(self._channels, -1)

    def _new_resampler(self):
        import av

        return av.AudioResampler(format="fltp", layout=self._layout, rate=self._rate)

    def _pull(self) -> bool:
        """Place the next decoded piece on the output timeline; False when the source is exhausted."""
        if self._exhausted:
            return False
        try:
            start, samples = next(self._frames)
        except StopIteration:
            self._exhausted = True
            return False
        if start is not None:
            at = round((start - self._start_s) * self._rate)
            jitter = round(_JITTER_S * self._rate)
            if at > self._pos + jitter:  # audio starts late or a packet was lost: silence
                self._append(np.zeros((self._channels, at - self._pos), dtype=np.float32))
            elif at < self._pos - jitter:  # before the range, or overlapping what is placed
                samples = samples[:, self._pos - at :]
        self._append(samples)
        return True

    def _append(self, samples: np.ndarray) -> None:
        if self._end is not None:
            samples = samples[:, : max(0, self._end - self._pos)]
        if samples.shape[1]:
            self._buffer = np.concatenate([self._buffer, samples], axis=1)
            self._pos += samples.shape[1]

    # -- output side ------------------------------------------------------------------------------
    def _encode(self, count: int) -> None:
        import av

        while count > 0 and self._buffer.shape[1]:
            n = min(count, _AAC_FRAME, self._buffer.shape[1])  # only the last frame may be short
            chunk = np.ascontiguousarray(self._buffer[:, :n])
            self._buffer = self._buffer[:, n:]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=self._layout)
            frame.sample_rate = self._rate
            frame.pts = self._encoded
            frame.time_base = Fraction(1, self._rate)
            self._encoded += n
            count -= n
            for packet in self._stream.encode(frame):
                self._out.mux(packet)

    def pump(self, until_s: float) -> None:
        """Encode the sound that goes with the first ``until_s`` seconds of the output."""
        target = round(until_s * self._rate)
        if self._end is not None:
            target = min(target, self._end)
        while self._pos < target and self._pull():
            pass
        whole = (min(target, self._pos) - self._encoded) // _AAC_FRAME * _AAC_FRAME
        self._encode(whole)

    def finish(self, duration_s: float) -> None:
        """Encode the rest up to ``duration_s`` (or the ``end_s`` given), silence-padded, and flush."""
        if self._end is None:
            self._end = max(0, round(duration_s * self._rate))
        while self._pos < self._end and self._pull():
            pass
        if self._pos < self._end:
            self._append(np.zeros((self._channels, self._end - self._pos), dtype=np.float32))
        self._encode(self._buffer.shape[1])
        for packet in self._stream.encode(None):
            self._out.mux(packet)
        self.close()

    def close(self) -> None:
        if self._source is not None:
            self._frames.close()
            self._source.close()
            self._source = None
