"""Faces in canonical crops (``core.faces.align``): where they are, and their landmarks.

The canonical crop puts every face at the same place, so metrics on generated crops locate the face
by that geometry instead of trusting a detector to find it: `CANONICAL_FACE_BOX` is where dlib's HOG
detector puts its box on canonical crops (measured on 11 aligned real faces, the Obama portraits,
the astronaut and Megamind frames: mean box x 0.21-0.79, y 0.23-0.80 of the side, spread about
0.04). Identity embeddings use that box directly (`core.metrics.identity`).

Landmarks of a generated face must come from looking at the image (that is what the pose and
expression metrics measure), so `CropLandmarker` runs the landmark backend on the crop (enlarged to
`DETECT_SIDE` first: the HOG detector misses faces under 80 px) and keeps the detection that overlaps
the expected box; when there is none, it says so (None) and the caller counts the miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: x0, y0, x1, y1 of the face box in a canonical crop, as fractions of its side.
CANONICAL_FACE_BOX: tuple[float, float, float, float] = (0.21, 0.22, 0.79, 0.80)

#: Crops are enlarged to this side before detection.
DETECT_SIDE = 256

#: A detection counts as the crop's face when its box overlaps the expected box at least this much.
MIN_OVERLAP = 0.3

#: dlib's HOG decision threshold on crops (its default is 0). A face is expected at a known place, so
#: a lower threshold is safe: at -0.5 every one of 90 Megamind frames cropped at 64 px is found (12
#: are missed at 0), while none of 20 outputs of an untrained generator, random noise or a flat grey
#: crop give a face.
DLIB_CROP_THRESHOLD = -0.5


def canonical_face_box(size: int) -> np.ndarray:
    """The expected face box of a `size` crop in its pixels, (4,) float64."""
    return np.asarray(CANONICAL_FACE_BOX, np.float64) * size


class CropLandmarker:
    """The 68 landmarks of the face in a canonical crop, from a landmark backend, or None."""

    def __init__(self, detector: Any, detect_side: int = DETECT_SIDE, min_overlap: float = MIN_OVERLAP):
        self.detector = detector
        self.detect_side = int(detect_side)
        self.min_overlap = float(min_overlap)

    def __call__(self, crop: np.ndarray) -> np.ndarray | None:
        """(68, 2) float32 landmarks in `crop`'s pixels, or None when no face is at the expected place."""
        import cv2

        from core.faces.landmarks import box_iou

        size = crop.shape[0]
        if crop.shape[1] != size:
            raise ValueError(f"a canonical crop is square, got {crop.shape[:2]}")
        factor = max(1.0, self.detect_side / size)
        image = crop
        if factor > 1.0:
            side = round(size * factor)
            image = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)
            factor = side / size
        expected = canonical_face_box(image.shape[0])
        best, best_overlap = None, self.min_overlap
        for face in self.detector.detect(np.ascontiguousarray(image)):
            overlap = box_iou(face.box, expected)
            if overlap >= best_overlap:
                best, best_overlap = face, overlap
        if best is None:
            return None
        return ((best.landmarks + 0.5) / factor - 0.5).astype(np.float32)

    def many(self, crops: Sequence[np.ndarray]) -> list[np.ndarray | None]:
        return [self(crop) for crop in crops]


def load_crop_landmarker(backend: str = "dlib", device: str | None = None) -> CropLandmarker:
    """A `CropLandmarker` on a landmark backend (`core.faces.landmarks.load_detector`); the dlib
    detector gets `DLIB_CROP_THRESHOLD`."""
    from core.faces.landmarks import load_detector

    return CropLandmarker(load_detector(backend, device=device, threshold=DLIB_CROP_THRESHOLD))
