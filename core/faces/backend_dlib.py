"""The offline landmark backend: dlib's HOG (or CNN) face detector and its 68-point shape predictor.

Works everywhere without a download: the models ship in the ``face-recognition-models`` wheel. That
package's ``__init__`` imports the removed ``pkg_resources``, so its folder is found with
``importlib.util.find_spec`` and never imported. dlib holds Python's GIL while it runs: callers hand it
downscaled images (see `core.faces.landmarks.detect_faces`).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from core.faces.landmarks import DETECTOR_FACE_PX, BackendUnavailableError, Face, sort_faces, to_gray

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
CNN_FILE = "mmod_human_face_detector.dat"

_FIX = "reinstall them with `pip install dlib-bin face-recognition-models`"


def models_dir() -> Path:
    """The ``models/`` folder of the face-recognition-models package (without importing it)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailableError(f"the dlib landmark models are not installed: {_FIX}")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibDetector:
    """dlib HOG (default) or CNN (mmod) detector plus the 68-point shape predictor, on CPU.

    `upsample` doubles the image that many times before detection (finds faces down to 40 px at 1,
    four times slower). `threshold` shifts the HOG detector's decision value (lower finds more, with
    more false faces). `detect_turned` runs the CNN detector, which finds faces at larger yaw than
    HOG's frontal detector, for the searches that run when HOG finds nothing (`core.faces.search`);
    `turned=False` leaves it out (then a turned face is simply not found).
    """

    name = "dlib"
    wants_gray = True
    smallest_face_px = DETECTOR_FACE_PX  # HOG's window: smaller faces need an enlarged image

    def __init__(self, detector: str = "hog", upsample: int = 0, threshold: float = 0.0, turned: bool = True):
        try:
            import dlib
        except ImportError as err:
            raise BackendUnavailableError(f"dlib cannot be imported ({err}): {_FIX}") from err
        if detector not in ("hog", "cnn"):
            raise BackendUnavailableError(f"unknown dlib detector {detector!r}: use 'hog' or 'cnn'")
        folder = models_dir()
        self._dlib = dlib
        self.detector_kind = detector
        self.upsample = int(upsample)
        self.threshold = float(threshold)
        self._predictor_path = folder / PREDICTOR_FILE
        self._cnn_path = folder / CNN_FILE
        self.turned = bool(turned) and self._cnn_path.is_file()
        self.key = f"dlib-{detector}-up{self.upsample}-t{self.threshold:g}" + ("-turned" if self.turned else "")
        for needed in (self._predictor_path, self._cnn_path if detector == "cnn" else None):
            if needed is not None and not needed.is_file():
                raise BackendUnavailableError(f"{needed} is missing: {_FIX}")
        self._predictor = None
        self._detector = None
        self._cnn = None  # loaded on the first turned-face search (a few ms)
        # dlib's detector and predictor are not safe to share between threads (a concurrent call was
        # seen to corrupt the heap); one lock per detector serialises them.
        self._lock = threading.RLock()

    def load(self) -> None:
        """Load the models now (about 0.8 s); otherwise they load on first use, so that a cached
        analysis never waits for them."""
        with self._lock:
            if self._predictor is None:
                self._load()

    def _load(self) -> None:
        dlib = self._dlib
        self._predictor = dlib.shape_predictor(str(self._predictor_path))
        if self.detector_kind == "cnn":
            self._detector = dlib.cnn_face_detection_model_v1(str(self._cnn_path))
        else:
            self._detector = dlib.get_frontal_face_detector()

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces in `image` (RGB or gray), largest first, with landmarks from the shape predictor."""
        with self._lock:
            return self._detect(image)

    def _detect(self, image: np.ndarray) -> list[Face]:
        if self._detector is None:
            self._load()
        gray = np.ascontiguousarray(to_gray(image))
        if self.detector_kind == "cnn":
            found = self._detector(np.ascontiguousarray(_rgb(image)), self.upsample)
            rects = [(d.rect, float(d.confidence)) for d in found]
        else:
            boxes, scores, _ = self._detector.run(gray, self.upsample, self.threshold)
            rects = list(zip(boxes, (float(s) for s in scores), strict=True))
        faces = []
        for rect, score in rects:
            box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], np.float32)
            faces.append(Face(box, score, self._predict(gray, rect)))
        return sort_faces(faces)

    def detect_turned(self, image: np.ndarray) -> list[Face]:
        """Faces found by the CNN (mmod) detector, turned ones included, largest first; [] when this
        detector was made with ``turned=False``. About 2 ms per thousand pixels: callers downscale."""
        if not self.turned:
            return []
        with self._lock:
            if self._predictor is None:
                self._load()
            if self._cnn is None:
                self._cnn = self._dlib.cnn_face_detection_model_v1(str(self._cnn_path))
            found = self._cnn(np.ascontiguousarray(_rgb(image)), 0)
            gray = np.ascontiguousarray(to_gray(image))
            faces = []
            for hit in found:
                box = _hog_box(hit.rect)
                rect = self._dlib.rectangle(*(round(float(v)) for v in box))
                faces.append(Face(box, float(hit.confidence), self._predict(gray, rect)))
        return sort_faces(faces)

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """The 68 landmarks of the face in `box` (x0, y0, x1, y1), as (68, 2) float32."""
        gray = np.ascontiguousarray(to_gray(image))
        x0, y0, x1, y1 = (round(float(v)) for v in box)
        with self._lock:
            if self._predictor is None:
                self._load()
            return self._predict(gray, self._dlib.rectangle(x0, y0, x1, y1))

    def _predict(self, gray: np.ndarray, rect: object) -> np.ndarray:
        shape = self._predictor(gray, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


#: The CNN's boxes against HOG's on the same faces (Megamind frames, the Obama photos, the astronaut:
#: 26 pairs): HOG's is 1.09 times as wide (sd 0.11) and its centre 0.07 widths lower (sd 0.06). The
#: shape predictor was trained on HOG's boxes, so CNN boxes are mapped onto them before it runs.
_CNN_TO_HOG_SCALE = 1.09
_CNN_TO_HOG_DROP = 0.07


def _hog_box(rect: object) -> np.ndarray:
    """A CNN detection's box as the HOG detector would have drawn it (x0, y0, x1, y1 float32)."""
    x0, y0, x1, y1 = rect.left(), rect.top(), rect.right(), rect.bottom()
    width = x1 - x0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + _CNN_TO_HOG_DROP * width
    half = _CNN_TO_HOG_SCALE * width / 2
    return np.array([cx - half, cy - half, cx + half, cy + half], np.float32)


def _rgb(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
