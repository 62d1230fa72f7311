"""Frame-exact random access and streaming over a video file.

Frame ``i`` is the i-th picture in presentation order, the one sequential decoding shows i-th.
Opening a file demuxes its video packets once without decoding them (cheap: no pixels) to learn the
exact frame count, every frame's timestamp and where the keyframes are. ``read(i)`` then seeks to the
keyframe at or before ``i`` and decodes forward, keeping what it decoded on the way in a small
memory-bounded cache, so scrubbing back and forth inside a GOP is mostly cache hits, and a request
just after the last decoded frame only decodes the gap.

Two ways to tell which decoded picture is which, chosen per file when it is opened:

* ``pts``: the decoder's output timestamps equal the container's packet timestamps (MP4, MOV, MKV,
  WebM, ...). Frame ``i`` is the picture whose pts ranks ``i``; a picture that never comes out is a
  missing frame, exactly located.
* ``count``: the output timestamps cannot be trusted (AVI with packed B-frames, such as
  Megamind.avi, where FFmpeg hands out shuffled pts). Frame ``i`` is counted from the keyframe picture
  before it, whose position comes from the packet timestamps; decoding from the start and decoding
  from a keyframe count the same way, so random access still equals sequential decoding.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InputError
from core.video._common import (
    CorruptFrameError,
    frame_to_gray,
    frame_to_rgb,
    open_video,
    rotation_quarter_turns,
)
from core.video.frames import FrameReader

if TYPE_CHECKING:
    import av.video.frame

log = logging.getLogger(__name__)

# Decoding this many frames forward costs about as much as a seek (flush, demux skip, keyframe decode).
_SEEK_COST_FRAMES = 8
# Outputs compared against the packet timestamps when a file is opened, to choose pts or count mode.
_MODE_PROBE_FRAMES = 24


@dataclass(frozen=True)
class _Index:
    """What one demux pass (no decoding) learns about the video packets."""

    pts: np.ndarray  # int64, presentation timestamp of frame i (stream time base), display order
    rank: dict[int, int]  # pts -> frame index
    timestamps: np.ndarray  # float64 seconds of frame i on the file's timeline
    last_duration_s: float
    identity: dict[tuple[int, int | None, int | None], int]  # (pos, dts, pts) -> decode order
    seg_packet: list[int]  # decode order of each segment's first packet (segment 0: start of file)
    seg_display: list[int]  # frame index of each segment's first picture
    seg_key: list[int]  # ordinal (among all keyframes) of the first keyframe a segment decodes
    key_packet: list[int]  # decode order of every keyframe packet
    key_display: list[int]  # frame index of every keyframe's picture
    seg_dts: list[int | None]
    seg_pts: list[int | None]
    trusted_pts: bool  # every frame had its own, distinct pts


def _scan(path: Path) -> tuple[_Index, dict]:
    """Demux every video packet once: frame count, timestamps, keyframes."""
    container, stream = open_video(path)
    try:
        time_base = stream.time_base or Fraction(1, 90000)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        facts = {
            "time_base": time_base,
            "rate": Fraction(rate) if rate else None,
            "codec": stream.codec_context.name,
            "container": container.format.name,
            "audio_codec": container.streams.audio[0].codec_context.name if container.streams.audio else None,
            "declared_frames": stream.frames,
        }
        identity: dict[tuple[int, int | None, int | None], int] = {}
        frame_pts: list[int | None] = []
        frame_dts: list[int | None] = []
        durations: list[int] = []
        keys: list[tuple[int, int]] = []  # (decode order, position among frames in decode order)
        decode_no = 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the end-of-stream flush packet, or an AVI "dropped frame" chunk
                    continue
                identity.setdefault((packet.pos, packet.dts, packet.pts), decode_no)
                if not packet.is_discard:  # pre-roll before an edit list's start is decoded, not shown
                    if packet.is_keyframe:
                        keys.append((decode_no, len(frame_pts)))
                    frame_pts.append(packet.pts)
                    frame_dts.append(packet.dts)
                    durations.append(packet.duration or 0)
                decode_no += 1
        except av_errors() as err:
            log.warning(
                "%s: demuxing stopped early (%s); using the %d frames found", path, err, len(frame_pts)
            )
    finally:
        container.close()
    if not frame_pts:
        raise InputError(f"{path.name} has a video track without any frame: the file is damaged or empty")

    n = len(frame_pts)
    trusted = None not in frame_pts and len(set(frame_pts)) == n
    if trusted:
        stamps = np.asarray(frame_pts, dtype=np.int64)
    elif None not in frame_dts and len(set(frame_dts)) == n:
        stamps = np.asarray(frame_dts, dtype=np.int64)  # no pts (raw AVI): decode order is display order
    else:
        stamps = None
    if stamps is not None:
        order = np.argsort(stamps, kind="stable")
        pts_sorted = stamps[order]
        display_of = np.empty(n, dtype=np.int64)
        display_of[order] = np.arange(n)
        timestamps = pts_sorted.astype(np.float64) * float(time_base)
    else:  # no usable timestamps at all: frames in decode order at the nominal rate
        pts_sorted = np.arange(n, dtype=np.int64)
        display_of = np.arange(n, dtype=np.int64)
        timestamps = np.arange(n, dtype=np.float64) / float(facts["rate"] or 25)
    last_duration = durations[int(np.argmax(stamps))] * float(time_base) if stamps is not None else 0.0
    if last_duration <= 0:
        last_duration = (
            float(1 / facts["rate"])
            if facts["rate"]
            else (float(np.median(np.diff(timestamps))) if n > 1 else 0.04)
        )

    # Segment 0 decodes from the very first packet; each later keyframe starts one more segment.
    seg_packet, seg_display = [0], [0]
    seg_dts: list[int | None] = [None]
    seg_pts: list[int | None] = [None]
    seg_key = [0]
    for ordinal, (decode_order, frame_no) in enumerate(keys):
        display = int(display_of[frame_no])
        if display <= seg_display[-1] or decode_order <= seg_packet[-1]:
            continue  # keyframes must advance in both orders; anything else is not a safe seek point
        seg_key.append(ordinal)
        seg_packet.append(decode_order)
        seg_display.append(display)
        seg_dts.append(frame_dts[frame_no])
        seg_pts.append(frame_pts[frame_no])
    index = _Index(
        pts=pts_sorted,
        rank={int(p): i for i, p in enumerate(pts_sorted)},
        timestamps=timestamps,
        last_duration_s=last_duration,
        identity=identity,
        seg_packet=seg_packet,
        seg_display=seg_display,
        seg_dts=seg_dts,
        seg_pts=seg_pts,
        seg_key=seg_key,
        key_packet=[decode_order for decode_order, _ in keys],
        key_display=[int(display_of[frame_no]) for _, frame_no in keys],
        trusted_pts=trusted,
    )
    return index, facts


def av_errors() -> tuple[type[Exception], ...]:
    import av

    return (av.error.FFmpegError,)


class _UnreliableSegment(Exception):
    """After a seek, the keyframe's picture did not come out as it does in sequential decoding."""


class _Cursor:
    """One demuxer + decoder somewhere in the file; hands out ``(index, frame or None)`` in order.

    ``None`` in place of a frame means that frame is missing or flagged corrupt by the decoder.
    """

    def __init__(self, reader: VideoReader) -> None:
        self._reader = reader
        self._index = reader._index
        self._container = None
        self._stream = None
        self._packets: Iterator | None = None
        self._first_packet = None
        self._pending: deque[tuple[int, av.video.frame.VideoFrame | None]] = deque()
        self._decode_no = 0
        self._eof = True  # not positioned yet
        self._idx = 0
        # pts mode
        self._min_pts: int | None = None
        # count mode: keyframe pictures are matched, in order, with keyframe packets sent so far
        self._next_key = 0  # ordinal of the first keyframe whose picture has not come out yet
        self._keys_sent = 0
        self._waiting_key = False
        self._flowing = False  # pictures have started coming out since the last seek
        self._since_seek = 0  # packets sent since the last seek

    # -- positioning ------------------------------------------------------------------------------
    def _reopen(self) -> None:
        self.close()
        self._container, self._stream = open_video(self._reader.path)
        # Frame threading releases pictures in bursts; count mode needs one picture per packet.
        self._stream.codec_context.thread_type = "AUTO" if self._reader._mode == "pts" else "SLICE"
        self._packets = self._container.demux(self._stream)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = self._stream = self._packets = None
        self._eof = True

    def _next_packet(self):
        for packet in self._packets:
            if packet.size:
                return packet
        return None

    def _locate(self, target: int) -> bool:
        """Leave the demuxer so that the next packet is the one of decode order ``target``."""
        ident = self._index.identity
        while True:
            packet = self._next_packet()
            if packet is None:
                return False
            order = ident.get((packet.pos, packet.dts, packet.pts))
            if order == target:
                self._first_packet = packet
                self._decode_no = target
                return True
            if order is not None and order > target:
                return False

    def seek(self, seg: int) -> None:
        """Position at segment ``seg`` (0: the start of the file, else its keyframe)."""
        index = self._index
        target = index.seg_packet[seg]
        located = False
        if self._container is None:
            self._reopen()
        if seg > 0:
            stamp = index.seg_dts[seg] if index.seg_dts[seg] is not None else index.seg_pts[seg]
            try:
                self._container.seek(stamp, stream=self._stream, backward=True, any_frame=False)
                self._stream.codec_context.flush_buffers()
                self._packets = self._container.demux(self._stream)
                located = self._locate(target)
            except av_errors() as err:
                log.debug("seek to packet %d failed (%s); decoding from the start", target, err)
        if not located:  # from the top, skipping packets without decoding them
            self._reopen()
            if not self._locate(target):
                raise InputError(
                    f"cannot find frame data in {self._reader.path.name}: the file changed or is damaged"
                )
        self._pending.clear()
        self.segment = seg
        self._eof = False
        self._idx = index.seg_display[seg]
        self._min_pts = int(index.pts[self._idx]) if seg > 0 else None
        self._next_key = self._keys_sent = index.seg_key[seg]
        self._waiting_key = seg > 0
        self._flowing = False
        self._since_seek = 0

    @property
    def position(self) -> int | None:
        """Index of the next frame this cursor hands out, or None when it needs a seek first."""
        if self._pending:
            return self._pending[0][0]
        if self._eof:
            return None
        return self._idx

    # -- decoding ---------------------------------------------------------------------------------
    def next(self) -> tuple[int, av.video.frame.VideoFrame | None] | None:
        """The next frame in presentation order, ``(index, None)`` for a bad one, None at the end."""
        while not self._pending:
            if self._eof:
                return None
            self._feed()
        return self._pending.popleft()

    def _feed(self) -> None:
        packet, self._first_packet = self._first_packet, None
        if packet is None:
            packet = self._next_packet()
        codec = self._stream.codec_context
        if packet is None:
            frames = self._decode(codec, None)
        else:
            order = self._decode_no
            self._decode_no += 1
            key_packet = self._index.key_packet
            while self._keys_sent < len(key_packet) and key_packet[self._keys_sent] <= order:
                self._keys_sent += 1
            frames = self._decode(codec, packet)
        if self._reader._mode == "pts":
            for frame in frames:
                self._assign_by_pts(frame)
        else:
            self._since_seek += 1
            if self._waiting_key:
                self._check_keyframe_start(frames)
            if packet is not None and not frames and self._flowing and not self._waiting_key:
                # Single-threaded decoding gives one picture per packet once the pipeline is full: a
                # packet without one means the decoder dropped a picture here.
                self._emit_missing_until(self._idx + 1)
            self._flowing = self._flowing or bool(frames)
            for frame in frames:
                self._assign_by_count(frame)
        if packet is None:
            self._emit_missing_until(self._reader.frame_count)
            self._eof = True

    def _check_keyframe_start(self, frames: list) -> None:
        """Count mode after a seek: the keyframe's picture must come out intact, key-flagged and with
        the decoder's usual delay, or counting from here could disagree with sequential decoding."""
        due = self._reader._first_output_after
        if self._since_seek < due and not frames:
            return
        first = frames[0] if frames else None
        if self._since_seek != due or first is None or not first.key_frame or first.is_corrupt:
            raise _UnreliableSegment

    def _decode(self, codec, packet) -> list:
        try:
            return codec.decode(packet)
        except av_errors() as err:  # a damaged packet: its picture is missing, decoding goes on
            log.debug("%s: cannot decode packet %d: %s", self._reader.path.name, self._decode_no - 1, err)
            return []

    def _emit_missing_until(self, stop: int) -> None:
        for missing in range(self._idx, min(stop, self._reader.frame_count)):
            self._pending.append((missing, None))
        self._idx = max(self._idx, stop)

    def _emit(self, k: int, frame) -> None:
        if k >= self._reader.frame_count:
            return
        self._emit_missing_until(k)
        self._pending.append((k, None if frame.is_corrupt else frame))
        self._idx = k + 1

    def _assign_by_pts(self, frame) -> None:
        if self._min_pts is not None and frame.pts is not None and frame.pts < self._min_pts:
            return  # a leading picture of an open GOP: shown before the keyframe we started from
        k = self._index.rank.get(frame.pts) if frame.pts is not None else None
        if k is None:
            k = self._idx
        if k < self._idx:
            return  # already handed out (or skipped as missing): sequential decoding shows it once
        self._emit(k, frame)

    def _assign_by_count(self, frame) -> None:
        key_display = self._index.key_display
        if self._waiting_key and not frame.key_frame:
            return  # a leading picture shown before the keyframe we sought to
        self._waiting_key = False
        # Keyframe slots already passed were consumed by pictures that lost their key flag.
        while self._next_key < self._keys_sent and key_display[self._next_key] < self._idx:
            self._next_key += 1
        if frame.key_frame and self._next_key < self._keys_sent:
            k = key_display[self._next_key]
            self._next_key += 1
            self._emit(k, frame)
            return
        k = self._idx
        if self._next_key < len(key_display) and k >= key_display[self._next_key]:
            if self._next_key >= self._keys_sent:
                return  # more pictures than frames before the next keyframe: not a frame of the file
            self._next_key += 1  # that keyframe's picture came out without its key flag: count on
        self._emit(k, frame)


class VideoReader(FrameReader):
    """Random access (``read``) and streaming (``iter_frames``, ``iter_decoded``) over one video file.

    This is the project's one frame numbering: the GUI, exports and the face analysis all index
    frames the way this class does. Frames are HxWx3 uint8 RGB (or HxW grayscale when streamed with
    ``gray=True``), upright (the display-matrix rotation is applied), identical whether read at random
    or in sequence. Arrays handed out are read-only (they may be cached): copy before changing them.
    Damaged frames are skipped by ``iter_frames``, come out as None from ``iter_decoded``, raise
    `CorruptFrameError` from ``read`` and are listed in ``bad_frames`` once decoding has met them.
    Thread-safe; streaming uses its own decoder, so a worker can stream while the UI scrubs.

    ``cache_mb`` bounds the decoded-frame cache (frames asked for, as RGB, and the frames decoded on
    the way to them, as compact YUV). Opening demuxes the whole file once (no decoding) for the exact
    frame count and keyframe map. An uncached frame costs a decode from the keyframe before it: tens
    of ms in Megamind.avi, up to about a second deep into a 250-frame GOP of 1080p H.264 on a 2-core
    CPU, which is what the scrubbing proxy (`build_proxy`) is for.
    """

    def __init__(self, path: str | Path, cache_mb: int = 128) -> None:
        super().__init__(path)
        self._index, facts = _scan(self.path)
        self._facts = facts
        self._cache: OrderedDict[int, tuple[object, int]] = OrderedDict()
        self._cache_bytes = 0
        self._cache_budget = cache_mb * 1024 * 1024
        self._lock = threading.RLock()
        self._mode, self._turns, stored_size, self._first_output_after = self._probe_decoding()
        self._unreliable: set[int] = set()  # segments whose keyframe cannot be decoded from
        w, h = stored_size
        self.size: tuple[int, int] = (h, w) if self._turns % 2 else (w, h)
        self._cursor: _Cursor | None = None

    def _probe_decoding(self) -> tuple[str, int, tuple[int, int], int]:
        """Decode the first frames: rotation, stored size, whether output pts can be trusted, and how
        many packets go in before the first picture comes out."""
        container, stream = open_video(self.path)
        outputs: list[int | None] = []
        first = None
        sent = 0
        codec = stream.codec_context
        codec.thread_type = "SLICE"

        def decode(packet) -> None:
            nonlocal first
            try:
                frames = codec.decode(packet)
            except av_errors():
                return
            for frame in frames:
                if first is None:
                    first = (rotation_quarter_turns(frame), (frame.width, frame.height), sent)
                outputs.append(frame.pts)

        try:
            for packet in container.demux(stream):
                if packet.size:
                    sent += 1
                    decode(packet)
                if len(outputs) >= _MODE_PROBE_FRAMES:
                    break
            else:
                decode(None)
        finally:
            container.close()
        if first is None:
            raise InputError(f"no frame of {self.path.name} could be decoded: the video is damaged")
        expected = self._index.pts[: len(outputs)].tolist()
        mode = "pts" if self._index.trusted_pts and outputs == expected else "count"
        return mode, first[0], first[1], max(first[2], 1)

    # -- facts ------------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Exact number of frames (counted from the packets, whatever the header claims)."""
        return len(self._index.pts)

    @property
    def declared_frame_count(self) -> int:
        """The frame count the container's header claims (0 when it says none); `frame_count` is what
        the file holds, so a larger claim means frames were lost (a truncated or damaged file)."""
        return int(self._facts["declared_frames"] or 0)

    @property
    def timestamps(self) -> np.ndarray:
        """Presentation time of each frame in seconds on the file's timeline (handles variable rate)."""
        return self._index.timestamps

    @property
    def rate(self) -> Fraction:
        """Nominal frame rate as an exact fraction (e.g. 2997/125 for Megamind.avi)."""
        rate = self._facts["rate"]
        if rate and rate > 0:
            return rate
        span = self.duration
        return Fraction(self.frame_count / span).limit_denominator(1001) if span > 0 else Fraction(25)

    @property
    def duration(self) -> float:
        """Seconds from the first frame's start to the last frame's end."""
        ts = self._index.timestamps
        return float(ts[-1] - ts[0] + self._index.last_duration_s)

    @property
    def rotation(self) -> int:
        """Degrees counter-clockwise applied to the stored pictures to show them upright."""
        return self._turns * 90

    @property
    def audio_codec(self) -> str | None:
        return self._facts["audio_codec"]

    @property
    def keyframes(self) -> tuple[int, ...]:
        """Frame indices where decoding can start (the first frame always can)."""
        return tuple(self._index.seg_display)

    @property
    def codec_name(self) -> str:
        return self._facts["codec"]

    @property
    def container_name(self) -> str:
        return self._facts["container"]

    # -- random access ----------------------------------------------------------------------------
    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as read-only HxWx3 uint8 RGB; `CorruptFrameError` if it is damaged."""
        i = self._check_index(index)
        with self._lock:
            cached = self._cache_get(i)
            if cached is not None:
                return cached
            if i in self._bad:
                raise self._corrupt(i)
            cursor = self._cursor
            if cursor is None:
                cursor = self._cursor = _Cursor(self)
            seg = self._segment_of(i)
            pos = cursor.position
            seek_cost = i - self._index.seg_display[seg] + _SEEK_COST_FRAMES
            if pos is None or pos > i or (self._segment_of(pos) != seg and i - pos > seek_cost):
                cursor.seek(seg)
            while True:
                item = self._next_from(cursor)
                if item is None:
                    self._mark_bad(i)
                    raise self._corrupt(i)
                k, frame = item
                if frame is None:
                    self._mark_bad(k)
                    if k == i:
                        raise self._corrupt(i)
                    continue
                if k == i:
                    rgb = self._to_rgb(frame)
                    self._cache_put(i, rgb, rgb.nbytes)
                    return rgb
                if k < i and k not in self._cache:
                    self._cache_put(k, frame, sum(p.buffer_size for p in frame.planes))

    def iter_decoded(
        self, start: int = 0, stop: int | None = None, gray: bool = False
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        """Like `iter_frames`, but every index in the range comes out, ``(index, None)`` for a damaged
        or missing frame (also added to ``bad_frames``): for work that keeps one row per frame."""
        start, stop = self._check_range(start, stop)
        if start >= stop:
            return
        convert = self._to_gray if gray else self._to_rgb
        expected = start  # the next index to hand out: each index exactly once, in order
        cursor = _Cursor(self)
        try:
            cursor.seek(self._segment_of(start))
            while expected < stop:
                item = self._next_from(cursor)
                if item is None:
                    break
                k, frame = item
                if k < expected:  # before the range, or already handed out
                    continue
                for missing in range(expected, min(k, stop)):  # the cursor fills gaps; this guarantees it
                    self._mark_bad(missing)
                    yield missing, None
                if k >= stop:
                    return
                expected = k + 1
                if frame is None:
                    self._mark_bad(k)
                    yield k, None
                else:
                    yield k, convert(frame)
            for missing in range(expected, stop):
                self._mark_bad(missing)
                yield missing, None
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None
            self._cache.clear()
            self._cache_bytes = 0

    # -- helpers ----------------------------------------------------------------------------------
    def _segment_of(self, i: int) -> int:
        """The last usable segment starting at or before frame ``i``."""
        seg = bisect.bisect_right(self._index.seg_display, i) - 1
        while seg > 0 and seg in self._unreliable:
            seg -= 1
        return seg

    def _next_from(self, cursor: _Cursor):
        """``cursor.next()``, restarting from an earlier keyframe when the one sought to is damaged."""
        while True:
            try:
                return cursor.next()
            except _UnreliableSegment:
                seg = cursor.segment
                log.info(
                    "%s: cannot start decoding at frame %d", self.path.name, self._index.seg_display[seg]
                )
                self._unreliable.add(seg)
                cursor.seek(self._segment_of(self._index.seg_display[seg]))

    def _to_rgb(self, frame) -> np.ndarray:
        rgb = frame_to_rgb(frame, self._turns)
        rgb.flags.writeable = False
        return rgb

    def _to_gray(self, frame) -> np.ndarray:
        gray = frame_to_gray(frame, self._turns)
        gray.flags.writeable = False
        return gray

    def _corrupt(self, i: int) -> CorruptFrameError:
        return CorruptFrameError(f"frame {i} of {self.path.name} is damaged and cannot be decoded")

    def _cache_get(self, i: int) -> np.ndarray | None:
        entry = self._cache.get(i)
        if entry is None:
            return None
        item, nbytes = entry
        if not isinstance(item, np.ndarray):  # a decoded picture kept on the way: convert it now
            item = self._to_rgb(item)
            self._cache_bytes -= nbytes
            nbytes = item.nbytes
            self._cache_bytes += nbytes
            self._cache[i] = (item, nbytes)
        self._cache.move_to_end(i)
        self._evict()
        return item

    def _cache_put(self, i: int, item: object, nbytes: int) -> None:
        old = self._cache.pop(i, None)
        if old is not None:
            self._cache_bytes -= old[1]
        self._cache[i] = (item, nbytes)
        self._cache_bytes += nbytes
        self._evict()

    def _evict(self) -> None:
        while self._cache_bytes > self._cache_budget and len(self._cache) > 1:
            _, (_, nbytes) = self._cache.popitem(last=False)
            self._cache_bytes -= nbytes
