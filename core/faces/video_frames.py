"""Compatibility shim: the old sequential decoder's `iter_frames`, now on `core.video.VideoReader`.

Only `training/preprocess.py` still imports this; new code uses ``VideoReader(path).iter_frames()``
(good frames) or ``.iter_decoded()`` (every frame, None for damaged ones), which number frames the
way the GUI, exports and the face analysis do. Delete this module once preprocess.py has moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.video import VideoReader


@dataclass(frozen=True)
class DecodedFrame:
    """Frame `index` of `VideoReader`; `image` is None (and `corrupt` True) when it is damaged."""

    index: int
    image: np.ndarray | None
    corrupt: bool


def iter_frames(path: str | Path, gray: bool = False) -> Iterator[DecodedFrame]:
    """Every frame of `path` in `VideoReader` order, HxW (gray) or HxWx3 RGB, upright, read-only."""
    with VideoReader(path) as reader:
        for index, image in reader.iter_decoded(gray=gray):
            yield DecodedFrame(index, image, image is None)
