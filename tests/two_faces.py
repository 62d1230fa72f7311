"""A real driving clip with two faces: Megamind's man and woman side by side (two crops of the same video).

The man (frames 200-259, about 258 px wide) is on the left half and is the larger face; the woman (frames
10-69, about 150 px wide) is on the right half. Tests of choosing the face that drives use it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Width of each half of the clip (the crops' width), in pixels.
HALF_WIDTH = 300
FRAMES = 60


def write_two_face_clip(path: Path, frames: int = FRAMES) -> Path:
    """Encode the clip (MJPEG in AVI, 25 fps, 600 x 528) at `path` from ../shared/data/Megamind.avi."""
    import cv2

    from core.video import open_reader
    from tests.conftest import shared_file

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (2 * HALF_WIDTH, 528))
    try:
        with open_reader(shared_file("Megamind.avi")) as reader:
            for k in range(frames):
                man = reader.read(200 + k)[:, 225 : 225 + HALF_WIDTH]
                woman = reader.read(10 + k)[:, 140 : 140 + HALF_WIDTH]
                writer.write(cv2.cvtColor(np.concatenate([man, woman], axis=1), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
