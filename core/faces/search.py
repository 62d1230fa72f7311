"""The slow searches, run only when the fast detection finds nothing: small faces and turned faces.

dlib's HOG detector finds frontal faces from about 80 px wide (`DETECTOR_FACE_PX`) in the image it is
given. Two searches go further, each at a cost paid only when the first pass came back empty:

- `detect_upsampled`: the image enlarged (an octave at a time, as dlib's own pyramid would) until a
  face `MIN_SEARCHED_FACE` px wide in the original is detector-sized, within a pixel budget. Each
  level is searched in overlapping tiles no larger than the fast pass's image, so one detector call
  never holds Python's GIL longer than the fast pass does.
- `detect_turned`: the detector's slower search for faces the fast one misses (dlib: its CNN face
  detector, which finds faces at larger yaw), on an image scaled down to `TURNED_MAX_SIDE`.

`SearchSchedule` spaces these searches out while a video shows no face (a faceless stretch would
otherwise pay for them every frame).
"""

from __future__ import annotations

import math

import numpy as np

from core.faces.landmarks import (
    DETECTOR_FACE_PX,
    MIN_SEARCHED_FACE,
    Face,
    LandmarkDetector,
    box_iou,
    resize,
    sort_faces,
)

#: Largest image (pixels) the upsampled search builds: a face of `MIN_SEARCHED_FACE` px is searched
#: for in frames up to about 1 MP (720p); larger frames are searched down to a proportionally larger face.
UPSAMPLE_BUDGET_PX = 4_000_000

#: Longest side of the image handed to the turned-face search for a whole frame (dlib's CNN costs
#: about 2 ms per thousand pixels on one core; it finds faces from about 80 px at this scale).
TURNED_MAX_SIDE = 360

#: Frames with less contrast than this (grey-level standard deviation) hold nothing to search.
BLANK_STD = 4.0


def detector_face_px(detector: LandmarkDetector) -> float:
    """The smallest face (px) `detector.detect` finds in the image it is given: a backend's
    ``smallest_face_px`` (face-alignment's S3FD: 16), else dlib HOG's `DETECTOR_FACE_PX`."""
    return float(getattr(detector, "smallest_face_px", DETECTOR_FACE_PX))


def upsample_limit(
    shape: tuple[int, ...], min_face_px: float = MIN_SEARCHED_FACE, detector_face: float = DETECTOR_FACE_PX
) -> float:
    """The scale at which a face `min_face_px` wide becomes detector-sized, within the pixel budget."""
    h, w = shape[:2]
    wanted = detector_face / max(1.0, float(min_face_px))
    return max(1e-6, min(wanted, math.sqrt(UPSAMPLE_BUDGET_PX / max(1, h * w))))


def smallest_face_searched(
    shape: tuple[int, ...], min_face_px: float = MIN_SEARCHED_FACE, detector_face: float = DETECTOR_FACE_PX
) -> int:
    """The width (px) of the smallest face `detect_upsampled` looks for in an image of `shape`."""
    return math.ceil(detector_face / upsample_limit(shape, min_face_px, detector_face))


def detect_upsampled(
    image: np.ndarray,
    detector: LandmarkDetector,
    start_factor: float,
    min_face_px: float = MIN_SEARCHED_FACE,
    tile: int = 480,
) -> list[Face]:
    """Faces smaller than a detection at `start_factor` finds, in the image's pixels (largest first).

    Levels go up an octave at a time from ``2 * start_factor`` to `upsample_limit` (none for a detector
    that finds such faces already, see `detector_face_px`); each level is searched in ``tile``-sized
    tiles overlapping by twice the detector's face size (a face the previous level missed fits whole in
    some tile). Duplicates from overlapping tiles are merged.
    """
    face = detector_face_px(detector)
    limit = upsample_limit(image.shape, min_face_px, face)
    factors = []
    factor = start_factor
    while factor < limit * 0.99:
        factor = min(2.0 * factor, limit)
        factors.append(factor)
    for factor in factors:
        faces = _detect_tiles(resize(image, factor), detector, tile, overlap=min(tile // 2, round(2 * face)))
        if faces:
            return sort_faces([f.scaled(1.0 / factor) for f in faces])
    return []


def _detect_tiles(image: np.ndarray, detector: LandmarkDetector, tile: int, overlap: int) -> list[Face]:
    h, w = image.shape[:2]
    found: list[Face] = []
    for y0 in _starts(h, tile, tile - overlap):
        for x0 in _starts(w, tile, tile - overlap):
            part = image[y0 : y0 + tile, x0 : x0 + tile]
            found += [f.scaled(1.0, (x0, y0)) for f in detector.detect(np.ascontiguousarray(part))]
    return _merge(found)


def _starts(length: int, tile: int, stride: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    return [*starts, length - tile]


def _merge(faces: list[Face], iou: float = 0.4) -> list[Face]:
    """One face per overlapping group (the best scored), e.g. the same face seen by two tiles."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if all(box_iou(face.box, other.box) < iou for other in kept):
            kept.append(face)
    return kept


def can_detect_turned(detector: LandmarkDetector) -> bool:
    """Whether `detector` has a slower search for turned faces (`detect_turned`)."""
    return callable(getattr(detector, "detect_turned", None))


def detect_turned(image: np.ndarray, detector: LandmarkDetector, max_side: int = TURNED_MAX_SIDE) -> list[Face]:
    """Faces (turned ones included) from the detector's slower search on a copy of `image` whose longest
    side is at most `max_side`, in `image`'s pixels; [] when the detector has no such search."""
    search = getattr(detector, "detect_turned", None)
    if search is None:
        return []
    factor = min(1.0, max_side / max(image.shape[:2]))
    faces = search(np.ascontiguousarray(resize(image, factor)))
    return sort_faces([f.scaled(1.0 / factor) if factor != 1.0 else f for f in faces])


def is_blank(image: np.ndarray) -> bool:
    """A frame with almost no contrast (black, a fade, a flat title card): no face to search for."""
    sample = image[::8, ::8]
    return bool(sample.size == 0 or float(sample.std()) < BLANK_STD)


class SearchSchedule:
    """When the slow searches may run while a video shows no face: at once, then after 8, 16, 32 and
    at most 64 frames between failed searches; any face found starts the spacing over."""

    def __init__(self, first_gap: int = 8, longest_gap: int = 64) -> None:
        self.first_gap = max(1, first_gap)
        self.longest_gap = max(self.first_gap, longest_gap)
        self._gap = self.first_gap
        self._next = 0

    def due(self, frame: int) -> bool:
        return frame >= self._next

    def failed(self, frame: int) -> None:
        self._next = frame + self._gap
        self._gap = min(2 * self._gap, self.longest_gap)

    def reset(self) -> None:
        self._gap = self.first_gap
        self._next = 0
