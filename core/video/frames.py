"""`FrameReader`: what every reader of driving frames offers, derived from the few facts each one knows.

A subclass (`VideoReader` for a video file, `ImageSequenceReader` for a folder of numbered frames)
gives ``frame_count``, ``timestamps``, ``duration``, ``rate``, ``rotation``, ``audio_codec``,
``codec_name``, ``container_name``, ``read``, ``iter_decoded`` and ``close``; the rest (facts for a
dialog, time <-> frame, the bad-frame list, streaming only the good frames) is here, once, so the
callers (analysis, proxy, GUI, exports) cannot tell the two apart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Self

import numpy as np

from core.video.info import VideoInfo


class FrameReader:
    """Random access and streaming over numbered frames (see the subclasses); thread-safe."""

    size: tuple[int, int]  # (w, h) as displayed

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._bad: set[int] = set()
        self._bad_lock = threading.Lock()

    # -- given by the subclass --------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        raise NotImplementedError

    @property
    def timestamps(self) -> np.ndarray:
        """Presentation time of each frame in seconds (handles variable rate)."""
        raise NotImplementedError

    @property
    def duration(self) -> float:
        """Seconds from the first frame's start to the last frame's end."""
        raise NotImplementedError

    @property
    def rate(self) -> Fraction:
        """Nominal frame rate as an exact fraction."""
        raise NotImplementedError

    @property
    def rotation(self) -> int:
        return 0

    @property
    def audio_codec(self) -> str | None:
        return None

    @property
    def codec_name(self) -> str:
        raise NotImplementedError

    @property
    def container_name(self) -> str:
        raise NotImplementedError

    def read(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def iter_decoded(
        self, start: int = 0, stop: int | None = None, gray: bool = False
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- derived ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.frame_count

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def is_variable_rate(self) -> bool:
        """True when frame intervals differ by more than 10 %: use ``timestamps``, not ``fps``."""
        steps = np.diff(self.timestamps)
        return bool(steps.size and (steps.max() - steps.min()) > 0.1 * np.median(steps))

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def bad_frames(self) -> tuple[int, ...]:
        """Frames found damaged or missing so far (complete after one full ``iter_frames`` pass)."""
        with self._bad_lock:
            return tuple(sorted(self._bad))

    @property
    def info(self) -> VideoInfo:
        w, h = self.size
        return VideoInfo(
            path=self.path,
            width=w,
            height=h,
            fps=self.fps,
            frame_count=self.frame_count,
            frame_count_exact=True,
            duration=self.duration,
            rotation=self.rotation,
            video_codec=self.codec_name,
            container=self.container_name,
            audio_codec=self.audio_codec,
        )

    def time_range(self, start: int, stop: int) -> tuple[float, float]:
        """Seconds covered by frames ``start .. stop-1``: the audio span of an export of that range."""
        start, stop = self._check_range(start, stop)
        ts = self.timestamps
        end = ts[stop] if stop < self.frame_count else ts[0] + self.duration
        return float(ts[start]), float(end)

    def index_at(self, seconds: float) -> int:
        """The frame shown at ``seconds`` on the timeline."""
        i = int(np.searchsorted(self.timestamps, seconds, side="right")) - 1
        return min(max(i, 0), self.frame_count - 1)

    def iter_frames(
        self, start: int = 0, stop: int | None = None, gray: bool = False
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Stream ``(index, frame)`` for ``start <= index < stop`` in order, skipping damaged frames.

        Frames are RGB, or with ``gray`` HxW full-range luma (what `read` shows, as grayscale, for a
        fraction of the cost); memory stays flat whatever the length.
        """
        for index, frame in self.iter_decoded(start, stop, gray):
            if frame is not None:
                yield index, frame

    def _mark_bad(self, i: int) -> None:
        with self._bad_lock:
            self._bad.add(i)

    def _check_index(self, index: int) -> int:
        i = int(index)
        if not 0 <= i < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1} of {self.path.name}")
        return i

    def _check_range(self, start: int, stop: int | None) -> tuple[int, int]:
        n = self.frame_count
        stop = n if stop is None else min(int(stop), n)
        start = max(int(start), 0)
        return start, max(stop, start)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        w, h = self.size
        return f"{type(self).__name__}({str(self.path)!r}, {self.frame_count} frames, {w}x{h}, {self.fps:.3f} fps)"
