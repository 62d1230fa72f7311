"""Faces and their 68 iBUG landmarks: the detector interface, backend choice, and still-image detection.

Coordinates are image pixels with pixel centres at integers (OpenCV's convention), x to the right and
y down. A backend lives in its own module (``backend_dlib``, ``backend_fan``) and is imported only when
asked for, so that importing this module stays cheap for the GUI.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from core.errors import NoFaceError, UserError

log = logging.getLogger(__name__)

BACKENDS = ("auto", "dlib", "face-alignment")

#: Longest image side handed to a detector for a still photo. Larger photos are detected on a
#: downscaled copy (dlib holds the GIL while it runs: a 24 MP photo would freeze the UI for seconds).
DETECT_MAX_SIDE = 960

#: Longest side of a photo's copy handed to the slower search for turned faces (dlib's CNN: about
#: half a second at this size on one core), run only when nothing else found a face.
TURNED_PHOTO_SIDE = 480

#: The smallest face width (pixels, in the image given to the detector) the HOG detector finds.
DETECTOR_FACE_PX = 80

#: The smallest face (pixels, in the user's image) searched for when the first pass finds nothing: the
#: image is enlarged for detection until such a face is detector-sized (within a size budget).
MIN_SEARCHED_FACE = 40


class BackendUnavailableError(UserError):
    """A landmark backend cannot load here; the message says why and how to fix it."""


@dataclass(frozen=True)
class Face:
    """One detected face: box x0, y0, x1, y1, detector score, and 68 iBUG landmarks (x, y)."""

    box: np.ndarray  # (4,) float32
    score: float
    landmarks: np.ndarray  # (68, 2) float32

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    def scaled(self, factor: float, offset: tuple[float, float] = (0.0, 0.0)) -> Face:
        """This face in another image: ``p' = (p + 0.5) * factor - 0.5 + offset`` (resize, then shift)."""
        shift = np.asarray(offset, np.float32)
        box = (self.box + 0.5) * factor - 0.5 + np.tile(shift, 2)
        pts = (self.landmarks + 0.5) * factor - 0.5 + shift
        return Face(box.astype(np.float32), self.score, pts.astype(np.float32))


@runtime_checkable
class LandmarkDetector(Protocol):
    """A landmark backend.

    `detect` finds every face (largest box first); `refine` predicts the landmarks of the face inside
    a given box (tracking in videos). Both take an RGB HxWx3 uint8 image; a backend with
    ``wants_gray = True`` also takes HxW grayscale and is faster with it. `key` names the backend and
    every model setting that changes its results (part of analysis cache keys). A backend may also
    offer ``detect_turned(image)``, a slower search for faces `detect` misses (turned, partly hidden),
    which `core.faces.search` runs only when `detect` finds nothing.
    """

    name: str
    key: str
    wants_gray: bool

    def detect(self, image: np.ndarray) -> list[Face]: ...

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray: ...


def load_detector(backend: str = "auto", device: str | None = None, **options: object) -> LandmarkDetector:
    """Load a landmark backend: ``face-alignment`` (FAN), ``dlib`` or ``auto`` (FAN if it can load).

    `device` matters for face-alignment only (None: the best available). `options` go to the backend
    (dlib: ``detector="hog"|"cnn"``, ``upsample``). Raises `BackendUnavailableError` with the fix when
    the requested backend cannot load.
    """
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise UserError(f"unknown landmark backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "dlib":
        from core.faces.backend_dlib import DlibDetector

        return DlibDetector(**options)  # type: ignore[arg-type]
    if backend == "face-alignment":
        from core.faces.backend_fan import FanDetector

        return FanDetector(device=device)
    from core.faces.backend_fan import FanDetector, fan_unavailable_reason

    reason = fan_unavailable_reason()
    if reason is None:
        try:
            detector: LandmarkDetector = FanDetector(device=device)
        except BackendUnavailableError as err:
            reason = str(err)
        else:
            log.info("landmarks: face-alignment (FAN) on %s", detector.key.rsplit("-", 1)[-1])
            return detector
    from core.faces.backend_dlib import DlibDetector

    log.info("landmarks: dlib (face-alignment unavailable: %s)", reason)
    return DlibDetector(**options)  # type: ignore[arg-type]


def to_gray(image: np.ndarray) -> np.ndarray:
    """RGB HxWx3 -> HxW uint8 luma; HxW is returned as is."""
    if image.ndim == 2:
        return image
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def to_rgb3(image: np.ndarray) -> np.ndarray:
    """HxW gray -> HxWx3; HxWx3 is returned as is."""
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def resize(image: np.ndarray, factor: float) -> np.ndarray:
    """`image` scaled by `factor` (area averaging when shrinking, linear when enlarging)."""
    import cv2

    if factor == 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interp = cv2.INTER_AREA if factor < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


def detect_faces(
    image: np.ndarray,
    detector: LandmarkDetector,
    max_side: int = DETECT_MAX_SIDE,
    refine: bool = True,
    turned: bool = True,
) -> list[Face]:
    """Every face in `image` (RGB, or gray for gray-wanting backends), largest first, in its pixels.

    Detection runs on a copy whose longest side is at most `max_side`; with no face found, it tries
    once more at twice that resolution (small faces: down to `MIN_SEARCHED_FACE` px in photos up to
    `max_side`, see `searched_face_px`), never above ``2 * max_side``; with still none and `turned`,
    the detector's slower search for turned faces runs (`core.faces.search.detect_turned`). With
    `refine`, landmarks are then re-predicted at full resolution from the mapped-back box (cheap for
    dlib; sharper for every backend). Other layouts and dtypes (RGBA, 16-bit, float) are converted
    first (`core.faces.image_io.as_rgb`).
    """
    if image.dtype != np.uint8 or (image.ndim == 3 and image.shape[2] != 3):
        from core.faces.image_io import as_rgb

        image = as_rgb(image)
    colour = image  # the turned-face search (a CNN) sees colour
    if detector.wants_gray:
        image = to_gray(image)
    h, w = image.shape[:2]
    longest = max(h, w)
    factor = min(1.0, max_side / longest)
    faces = _detect_scaled(image, detector, factor)
    if not faces:
        retry = _retry_factor(longest, max_side)
        if retry > factor * 1.2:
            faces = _detect_scaled(image, detector, retry)
            factor = retry
    if not faces and turned:
        from core.faces.search import detect_turned

        faces = detect_turned(colour, detector, max_side=TURNED_PHOTO_SIDE)
        factor = min(1.0, TURNED_PHOTO_SIDE / longest)  # the scale it searched at
    if refine and factor != 1.0:
        faces = [Face(f.box, f.score, detector.refine(image, f.box).astype(np.float32)) for f in faces]
    return sort_faces(faces)


def _retry_factor(longest: int, max_side: int) -> float:
    return 2.0 * min(1.0, max_side / longest)


def searched_face_px(shape: tuple[int, ...], max_side: int = DETECT_MAX_SIDE) -> int:
    """The smallest face width (px) `detect_faces` looks for in an image of `shape`."""
    return math.ceil(DETECTOR_FACE_PX / _retry_factor(max(shape[:2]), max_side))


def _detect_scaled(image: np.ndarray, detector: LandmarkDetector, factor: float) -> list[Face]:
    small = resize(image, factor)
    return [f.scaled(1.0 / factor) if factor != 1.0 else f for f in detector.detect(small)]


def sort_faces(faces: list[Face]) -> list[Face]:
    """Largest box first (the default face to animate or follow)."""
    return sorted(faces, key=lambda f: f.area, reverse=True)


def pick_face(
    faces: list[Face], index: int = 0, source_name: str = "", searched_px: int | None = None
) -> Face:
    """The face at `index` (0 = largest); `NoFaceError` with what to do when there is none or too few.
    `searched_px`: the smallest face searched for (`searched_face_px`), said in the message."""
    where = f" in {source_name}" if source_name else ""
    if not faces:
        size = searched_px or MIN_SEARCHED_FACE
        raise NoFaceError(
            f"no face found{where} (searched for faces down to {size} px wide, turned ones included): "
            f"try a photo where the face is larger than {size} px, clearly lit and not hidden"
        )
    if index < 0 or index >= len(faces):
        count = f"{len(faces)} face" + ("s" if len(faces) != 1 else "")
        raise NoFaceError(
            f"face index {index} asked for, but {count} found{where}: "
            f"use an index from 0 to {len(faces) - 1} (0 is the largest face)"
        )
    return faces[index]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x0, y0, x1, y1 boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
