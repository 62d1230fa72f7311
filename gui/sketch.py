"""A drawing of 68 landmarks (the driving view of a performance, which has no video)."""

from __future__ import annotations

import numpy as np

#: iBUG 68-point groups: (first, last, closed).
GROUPS = (
    (0, 16, False),  # jaw
    (17, 21, False),  # brow
    (22, 26, False),  # brow
    (27, 30, False),  # nose bridge
    (31, 35, False),  # nostrils
    (36, 41, True),  # eye
    (42, 47, True),  # eye
    (48, 59, True),  # outer lips
    (60, 67, True),  # inner lips
)


def landmark_sketch(landmarks: np.ndarray | None, size: int, scale: int = 2) -> np.ndarray:
    """(size*scale)² RGB: a dark square with the face's landmark lines; None draws an empty frame."""
    import cv2

    side = size * scale
    image = np.full((side, side, 3), (28, 30, 34), np.uint8)
    step = max(1, side // 8)
    for k in range(step, side, step):  # a faint grid, so motion reads against it
        image[k, :, :] = (38, 41, 46)
        image[:, k, :] = (38, 41, 46)
    if landmarks is None:
        return image
    points = np.round((np.asarray(landmarks, np.float32) + 0.5) * scale - 0.5).astype(np.int32)
    for first, last, closed in GROUPS:
        cv2.polylines(image, [points[first : last + 1]], closed, (120, 190, 255), max(1, scale), cv2.LINE_AA)
    for x, y in points:
        cv2.circle(image, (int(x), int(y)), max(1, scale), (235, 240, 250), -1, cv2.LINE_AA)
    return image
