"""The portrait at a result's framing: what "before" means in the viewer's before/after and wipe.

A result is either the whole photo (paste-back, full resolution) or the face's aligned crop at some
size; the portrait is shown the same way, sharp, from the photo itself (never the model's small crop
magnified). Worker-safe (numpy and OpenCV only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from core.faces.align import Alignment

#: Aspect ratios closer than this count as the same framing (whole-pixel rounding of a resized photo).
ASPECT_TOLERANCE = 0.01


def portrait_at_framing(photo: np.ndarray, alignment: Alignment, size: tuple[int, int]) -> np.ndarray:
    """`photo` framed as a result of `size` (w, h): the whole photo resized when the result has the
    photo's shape, else the aligned face crop rendered directly at that size."""
    import cv2

    from core.faces.align import Alignment

    w, h = size
    ph, pw = photo.shape[:2]
    if abs(w / h - pw / ph) <= ASPECT_TOLERANCE * (pw / ph):
        if (w, h) == (pw, ph):
            return photo
        return cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA if w < pw else cv2.INTER_CUBIC)
    k = w / alignment.size  # crop pixel centres sit at f * size - 0.5: scale about that convention
    matrix = alignment.matrix * k
    matrix[:, 2] += 0.5 * k - 0.5
    return Alignment(matrix, w).crop(photo)
