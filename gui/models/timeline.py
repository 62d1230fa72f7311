"""The timeline's state: the frames, the visible part of the time axis (zoom and scroll), how time is
shown, which frames the renderer has cached, and marked frames of several kinds.

Marks are open to other features through `TimelineMarks`: a feature registers a `MarkKind` (a key, a
label for the legend, a colour, the lane it sits in and how it is drawn) and sets its frames; the view
draws every registered kind in its lane and builds the legend from the kinds that have marks. The
driving check's flags go in the "flags" lane, keyframes in the "keys" lane, e.g.

    marks.register(MarkKind("key.strength", "Strength key", "#e8c547", lane=KEYS_LANE, shape="diamond"))
    marks.set_frames("key.strength", [0, 40, 90])

No widgets here (views paint it); ranges and searches are numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PySide6.QtCore import QObject, Signal

from gui.models.timecode import TimeMode

MarkShape = Literal["bar", "pin", "diamond"]

FLAGS_LANE = "flags"  # frames with something to know: no face, damaged, reference, driving-check flags
KEYS_LANE = "keys"  # keyframes
LANES: tuple[str, ...] = (FLAGS_LANE, KEYS_LANE)


@dataclass(frozen=True)
class MarkKind:
    """One kind of marked frame: `label` names it in the legend, `description` in tooltips; `shape`
    "bar" fills the frame's width (runs of frames read as spans), "pin" a thin line with a head (one
    frame that matters), "diamond" a keyframe."""

    key: str
    label: str
    colour: str
    lane: str = FLAGS_LANE
    shape: MarkShape = "bar"
    description: str = ""


NO_FACE = MarkKind("no_face", "No face", "#e0a03a", description="No face was found in these driving frames: "
                   "the portrait holds its last pose there")
DAMAGED = MarkKind("damaged", "Damaged", "#d9534f", description="Frames the video decoder could not read")
REFERENCE_AUTO = MarkKind("reference_auto", "Reference (automatic)", "#5cb87a", shape="pin",
                          description="The driving frame closest to the portrait's pose: motion is measured "
                          "from it (Controls ▸ Reference)")
REFERENCE_CHOSEN = MarkKind("reference_chosen", "Reference (chosen)", "#5cb87a", shape="pin",
                            description="The reference frame you chose: motion is measured from it (R sets it "
                            "to the playhead)")
STANDARD_KINDS = (NO_FACE, DAMAGED, REFERENCE_AUTO, REFERENCE_CHOSEN)


def run_starts(frames: np.ndarray) -> np.ndarray:
    """The first frame of each run of consecutive frames (sorted input)."""
    if frames.size == 0:
        return frames
    keep = np.ones(frames.size, bool)
    keep[1:] = np.diff(frames) > 1
    return frames[keep]


class TimelineMarks(QObject):
    """Marked frames by kind. `changed` fires after any registration or change."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kinds: dict[str, MarkKind] = {}
        self._frames: dict[str, np.ndarray] = {}

    def register(self, kind: MarkKind) -> MarkKind:
        """Add (or restyle) a kind; its frames are kept when it was registered before."""
        if kind.lane not in LANES:
            raise ValueError(f"unknown lane {kind.lane!r}; lanes: {', '.join(LANES)}")
        self._kinds[kind.key] = kind
        self._frames.setdefault(kind.key, np.zeros(0, np.int64))
        self.changed.emit()
        return kind

    def set_frames(self, key: str, frames: Iterable[int]) -> None:
        if key not in self._kinds:
            raise KeyError(f"mark kind {key!r} is not registered")
        array = np.unique(np.fromiter((int(f) for f in frames), np.int64))
        if not np.array_equal(array, self._frames[key]):
            self._frames[key] = array
            self.changed.emit()

    def clear(self, key: str | None = None) -> None:
        """Remove the frames of one kind (or of every kind); the kinds stay registered."""
        for k in [key] if key is not None else list(self._frames):
            self.set_frames(k, ())

    def kind(self, key: str) -> MarkKind:
        return self._kinds[key]

    def kinds(self, lane: str | None = None) -> list[MarkKind]:
        """Registered kinds in registration order (of one lane when given)."""
        return [k for k in self._kinds.values() if lane is None or k.lane == lane]

    def frames(self, key: str) -> np.ndarray:
        """The sorted frames of a kind (int64)."""
        return self._frames.get(key, np.zeros(0, np.int64))

    def lanes_in_use(self) -> list[str]:
        """Lanes to draw: the flags lane always, any other lane once one of its kinds has marks."""
        return [lane for lane in LANES if lane == FLAGS_LANE
                or any(self._frames[k.key].size for k in self.kinds(lane))]

    def legend(self) -> list[tuple[MarkKind, int]]:
        """(kind, number of marked frames) for the kinds that have marks, in registration order."""
        return [(k, int(self._frames[k.key].size)) for k in self._kinds.values() if self._frames[k.key].size]

    def at(self, frame: int) -> list[MarkKind]:
        """The kinds marking `frame`."""
        found = []
        for kind in self._kinds.values():
            frames = self._frames[kind.key]
            i = int(np.searchsorted(frames, frame))
            if i < frames.size and frames[i] == frame:
                found.append(kind)
        return found

    def stops(self) -> np.ndarray:
        """Where "next / previous mark" stops: the first frame of every run of marks, all kinds."""
        if not self._frames:
            return np.zeros(0, np.int64)
        return np.unique(np.concatenate([run_starts(f) for f in self._frames.values()]))


def next_stop(stops: np.ndarray, frame: int, direction: int) -> int | None:
    """The nearest of `stops` after (direction > 0) or before (< 0) `frame`; None when there is none."""
    stops = np.unique(np.asarray(stops, np.int64))
    if direction > 0:
        i = int(np.searchsorted(stops, frame, side="right"))
        return int(stops[i]) if i < stops.size else None
    i = int(np.searchsorted(stops, frame, side="left")) - 1
    return int(stops[i]) if i >= 0 else None


#: The narrowest part of the time axis a user can zoom to, in frames.
MIN_VISIBLE_FRAMES = 12


class TimelineModel(QObject):
    """Frames, the visible span of the time axis, the time display, the render cache and the marks."""

    rangeChanged = Signal()  # frame count or rate changed
    viewChanged = Signal()  # zoom or scroll
    timeModeChanged = Signal(str)
    cacheChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        self.fps = 25.0
        self.view_start = 0.0  # first visible frame (fractional while scrolling)
        self.view_span = 1.0  # frames across the visible width
        self.time_mode: TimeMode = "frames"
        self.cached = np.zeros(0, bool)  # per frame: rendered for the current settings
        self.marks = TimelineMarks(self)
        for kind in STANDARD_KINDS:
            self.marks.register(kind)

    # -- frames ----------------------------------------------------------------------------------------
    def set_range(self, count: int, fps: float) -> None:
        """A new driving: the whole of it in view, nothing cached."""
        count, fps = max(0, int(count)), fps if fps > 0 else 25.0
        if (count, fps) == (self.count, self.fps):
            return
        self.count, self.fps = count, fps
        self.cached = np.zeros(count, bool)
        self.rangeChanged.emit()
        self.cacheChanged.emit()
        self.zoom_all()

    def set_time_mode(self, mode: TimeMode) -> None:
        if mode != self.time_mode:
            self.time_mode = mode
            self.timeModeChanged.emit(mode)

    # -- the visible span ------------------------------------------------------------------------------
    @property
    def zoomed(self) -> bool:
        """Less than the whole driving is in view."""
        return self.view_span < max(1, self.count) - 1e-6

    def zoom_all(self) -> None:
        self._set_view(0.0, float(max(1, self.count)))

    def zoom_by(self, factor: float, anchor: float | None = None) -> None:
        """Show `factor` times fewer frames (factor > 1 zooms in), keeping frame `anchor` where it is."""
        anchor = self.view_start + self.view_span / 2 if anchor is None else anchor
        span = self.view_span / max(factor, 1e-6)
        fraction = (anchor - self.view_start) / self.view_span if self.view_span else 0.5
        self._set_view(anchor - fraction * self._clamp_span(span), span)

    def scroll_to(self, start: float) -> None:
        self._set_view(start, self.view_span)

    def scroll_by(self, frames: float) -> None:
        self._set_view(self.view_start + frames, self.view_span)

    def ensure_visible(self, frame: int) -> None:
        """Page the view so that `frame` is in it (the playhead leaving the view while playing)."""
        if not self.zoomed:
            return
        if frame < self.view_start or frame + 1 > self.view_start + self.view_span:
            self.scroll_to(frame - self.view_span * 0.1)

    def _clamp_span(self, span: float) -> float:
        total = float(max(1, self.count))
        return min(max(span, min(MIN_VISIBLE_FRAMES, total)), total)

    def _set_view(self, start: float, span: float) -> None:
        span = self._clamp_span(span)
        start = min(max(0.0, start), max(1, self.count) - span)
        if (start, span) != (self.view_start, self.view_span):
            self.view_start, self.view_span = start, span
            self.viewChanged.emit()

    # -- the render cache ------------------------------------------------------------------------------
    def set_cached(self, cached: np.ndarray) -> None:
        """Which frames are rendered for the current settings (bool per frame)."""
        cached = np.asarray(cached, bool)
        if cached.shape != (self.count,):
            return  # computed for another driving
        if not np.array_equal(cached, self.cached):
            self.cached = cached
            self.cacheChanged.emit()

    @property
    def cached_count(self) -> int:
        return int(self.cached.sum())
