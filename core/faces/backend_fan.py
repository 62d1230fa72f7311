"""The FAN landmark backend (the ``face_alignment`` package: S3FD detector + 2D-FAN-4 landmarks).

Used only when its weight files are already in torch hub's checkpoint folder: this app never downloads
behind the user's back, and many machines are offline. `fan_unavailable_reason` answers cheaply
(no torch import) so that ``auto`` can fall back to dlib at once.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from core.faces.landmarks import BackendUnavailableError, Face, sort_faces, to_rgb3

#: Weight files face_alignment 1.4/1.5 loads for 2D landmarks with the S3FD detector.
WEIGHTS = {
    "2DFAN4-11f355bf06.pth.tar": "https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",
    "s3fd-619a316812.pth": "https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth",
}


def hub_checkpoint_dir() -> Path:
    """torch hub's checkpoint folder, resolved like ``torch.hub.get_dir()`` without importing torch."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return Path(torch.hub.get_dir()) / "checkpoints"
    home = os.environ.get("TORCH_HOME")
    if home:
        return Path(os.path.expanduser(home)) / "hub" / "checkpoints"
    xdg = os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    return Path(xdg) / "torch" / "hub" / "checkpoints"


def fan_unavailable_reason() -> str | None:
    """Why face-alignment cannot load here (with the fix), or None when it can."""
    if importlib.util.find_spec("face_alignment") is None:
        return "the face_alignment package is not installed: `pip install face-alignment`"
    folder = hub_checkpoint_dir()
    missing = [name for name in WEIGHTS if not (folder / name).is_file()]
    if missing:
        urls = " and ".join(WEIGHTS[name] for name in missing)
        return (
            f"its weight files {', '.join(missing)} are not in {folder}: download {urls} into that "
            "folder (or set TORCH_HOME), or use the dlib backend"
        )
    return None


class FanDetector:
    """face_alignment's FaceAlignment (2D, S3FD), on `device` (None: CUDA, MPS or CPU, the best here).

    torch.compile is used on CUDA only; on CPU it costs minutes and gains little. On CPU the second,
    mirrored pass that face_alignment averages in (a small accuracy gain) is skipped: it doubles the
    time of every frame.
    """

    name = "face-alignment"
    wants_gray = False
    smallest_face_px = 16  # S3FD's smallest anchor: no frame needs enlarging for small faces

    def __init__(self, device: str | None = None):
        reason = fan_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(f"face-alignment cannot load: {reason}")
        import face_alignment

        from core.device import pick_device

        resolved = pick_device(device or "auto")
        self.device = str(resolved)
        self.key = f"face-alignment-2dfan4-sfd-{resolved.type}"
        try:
            self._fa = face_alignment.FaceAlignment(
                face_alignment.LandmarksType.TWO_D,
                device=self.device,
                face_detector="sfd",
                flip_input=resolved.type != "cpu",
                compile=resolved.type == "cuda",
            )
        except (OSError, RuntimeError, KeyError) as err:
            raise BackendUnavailableError(
                f"face-alignment failed to load its weights from {hub_checkpoint_dir()} ({err}): "
                "delete the damaged files there and download them again, or use the dlib backend"
            ) from err

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces (S3FD boxes with their scores, FAN landmarks), largest first."""
        rgb = to_rgb3(image)
        landmarks, _, boxes = self._fa.get_landmarks_from_image(rgb, return_bboxes=True)
        if landmarks is None:
            return []
        faces = []
        for pts, box in zip(landmarks, boxes, strict=True):
            score = float(box[4]) if len(box) > 4 else 1.0
            faces.append(Face(np.asarray(box[:4], np.float32), score, np.asarray(pts[:, :2], np.float32)))
        return sort_faces(faces)

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """FAN landmarks of the face in `box`, as (68, 2) float32."""
        rgb = to_rgb3(image)
        # float64: face_alignment 1.5 cannot put a numpy float32 scale into a torch tensor
        found = self._fa.get_landmarks_from_image(rgb, detected_faces=[np.asarray(box, np.float64)])
        return np.asarray(found[0][:, :2], np.float32)
