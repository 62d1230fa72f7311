"""Frame numbers and timecode as editors show them, and the ticks of a time ruler.

Timecode is HH:MM:SS:FF (frames, not milliseconds), non-drop-frame on a whole-number timebase
(23.976 fps counts 24 frames per timecode second, as Resolve and Premiere do). No Qt here: the
ruler's ticks are plain numbers, tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TimeMode = Literal["frames", "timecode"]
TIME_MODES: tuple[TimeMode, ...] = ("frames", "timecode")


def timebase(fps: float) -> int:
    """Frames per timecode second: the rate rounded to a whole number (at least 1)."""
    return max(1, round(fps)) if fps > 0 else 25


def format_timecode(frame: int, fps: float) -> str:
    """"00:00:03:08": hours, minutes, seconds and the frame within the second."""
    base = timebase(fps)
    frame = max(0, int(frame))
    seconds, frames = divmod(frame, base)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def format_time(frame: int, fps: float, mode: TimeMode) -> str:
    """A frame as the chosen display shows it: its number, or its timecode."""
    return str(max(0, int(frame))) if mode == "frames" else format_timecode(frame, fps)


def format_position(frame: int, count: int, fps: float, mode: TimeMode) -> str:
    """The playhead read-out: "80 / 270" (frame number of the true count) or "00:00:03:08 / 00:00:11:06"."""
    if count <= 0:
        return "— / —"
    if mode == "frames":
        return f"{frame} / {count}"
    return f"{format_timecode(frame, fps)} / {format_timecode(count, fps)}"


@dataclass(frozen=True)
class RulerTicks:
    """Major ticks carry a label; minor ticks subdivide them. Frames are integers."""

    major_step: int
    minor_step: int
    major: tuple[int, ...]
    minor: tuple[int, ...]
    labels: tuple[str, ...]  # one per major tick


def _steps(fps: float, mode: TimeMode) -> list[int]:
    """Candidate spacings between labelled ticks, in frames, smallest first."""
    if mode == "frames":
        return [m * 10**e for e in range(0, 8) for m in (1, 2, 5)]
    base = timebase(fps)
    below_second = [s for s in range(1, base) if base % s == 0]  # labels land on whole seconds
    seconds = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000, 36000)
    return below_second + [base * s for s in seconds]


def ruler_ticks(first: float, last: float, pixels_per_frame: float, fps: float, mode: TimeMode,
                label_px: float = 60.0, minor_px: float = 6.0) -> RulerTicks:
    """Ticks for frames `first`..`last` drawn `pixels_per_frame` apart: labels at least `label_px`
    apart (room for the text), minor ticks at least `minor_px` apart."""
    pixels_per_frame = max(pixels_per_frame, 1e-9)
    candidates = _steps(fps, mode)
    major = next((s for s in candidates if s * pixels_per_frame >= label_px), candidates[-1])
    minor = major
    for parts in (10, 5, 4, 2):
        if major % parts == 0 and major // parts * pixels_per_frame >= minor_px:
            minor = major // parts
            break
    if minor == major and major > 1 and pixels_per_frame >= minor_px:
        minor = 1
    lo, hi = max(0, int(first)), int(last)
    start_major = -(-lo // major) * major
    majors = tuple(range(start_major, hi + 1, major))
    start_minor = -(-lo // minor) * minor
    minors = tuple(f for f in range(start_minor, hi + 1, minor) if f % major)
    return RulerTicks(major, minor, majors, minors, tuple(format_time(f, fps, mode) for f in majors))
