"""Which face of a video to follow, given as a place: the face at a box on one frame (the user clicked it).

A `FaceAnchor` is an option of the driving analysis (`core.faces.analysis.analyze_video`): tracking starts
on frame `frame` from the face nearest `box` and runs forwards to the end and backwards to the start from
there, instead of taking the `face_index`-th largest face of the first frame that shows one. It is plain
data (part of the analysis cache key and of a project's driving), cheap to import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError

#: Box coordinates are kept to this many decimals (stable cache keys and project files).
BOX_DECIMALS = 2


@dataclass(frozen=True)
class FaceAnchor:
    """Follow the face nearest `box` (x0, y0, x1, y1 in the video's pixels) on frame `frame`."""

    frame: int
    box: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        if isinstance(self.frame, bool) or not isinstance(self.frame, int) or not 0 <= self.frame <= 100_000_000:
            raise ConfigError(f"a face anchor's frame must be a frame number (0 or more), got {self.frame!r}")
        box = self.box
        if not isinstance(box, list | tuple) or len(box) != 4 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in box
        ):
            raise ConfigError(f"a face anchor's box must be four finite numbers x0, y0, x1, y1, got {box!r}")
        x0, y0, x1, y1 = (round(float(v), BOX_DECIMALS) for v in box)
        if not (x1 > x0 and y1 > y0) or max(abs(v) for v in (x0, y0, x1, y1)) > 1e6:
            raise ConfigError(f"a face anchor's box must have x1 > x0 and y1 > y0 in image pixels, got {list(box)}")
        object.__setattr__(self, "box", (x0, y0, x1, y1))

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "box": list(self.box)}

    @classmethod
    def from_dict(cls, data: Any) -> FaceAnchor:
        """From ``{"frame": F, "box": [x0, y0, x1, y1]}``; `ConfigError` saying what is wrong otherwise."""
        if not isinstance(data, dict) or set(data) != {"frame", "box"}:
            raise ConfigError(f"a face anchor is {{'frame': F, 'box': [x0, y0, x1, y1]}}, got {data!r}"[:200])
        box = data["box"]
        return cls(data["frame"], tuple(box) if isinstance(box, list) else box)
