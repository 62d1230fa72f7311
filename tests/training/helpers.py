"""Small datasets in the preprocessed layout, made without a landmark detector (fast and offline)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from core.faces.mean_shape import MEAN_SHAPE
from core.faces.warp import warp_image
from training.dataset import CLIP_RECORD_NAME, DATASET_FORMAT, DATASET_VERSION, LANDMARKS_NAME, MANIFEST_NAME


def mean_landmarks(size: int) -> np.ndarray:
    """The mean face shape placed like an aligned crop's face (68, 2)."""
    return (MEAN_SHAPE * 0.56 * size + np.array([0.22, 0.26]) * size).astype(np.float32)


def talking_frames(base: np.ndarray, frames: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """`base` with the mean shape's mouth opening and closing and the head sliding a little."""
    size = base.shape[0]
    rng = np.random.default_rng(seed)
    rest = mean_landmarks(size)
    images, landmarks = [], []
    for t in range(frames):
        moved = rest.copy()
        phase = np.sin(t * 0.9 + seed)
        moved[[56, 57, 58, 65, 66, 67]] += [0, 0.06 * size * (phase + 1)]
        moved += rng.normal(0, 0.01 * size, 2).astype(np.float32) + np.array([0.03 * size * phase, 0])
        images.append(warp_image(base, rest, moved))
        landmarks.append(moved)
    return images, np.stack(landmarks).astype(np.float32)


def write_clip(root: Path, identity: str, name: str, kind: str, images: list[np.ndarray],
               landmarks: np.ndarray) -> dict:
    folder = root / "clips" / identity / name
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f"{i:06d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    np.savez(folder / LANDMARKS_NAME, landmarks=landmarks, frame_index=np.arange(len(images), dtype=np.int32),
             matrix=np.tile(np.eye(2, 3, dtype=np.float32), (len(images), 1, 1)))
    entry = {"id": f"{identity}/{name}", "identity": identity, "kind": kind, "frames": len(images),
             "path": f"clips/{identity}/{name}", "source": f"{identity}/{name}"}
    (folder / CLIP_RECORD_NAME).write_text(json.dumps(entry))
    return entry


def write_manifest(root: Path, size: int, entries: list[dict], skipped: list[dict] | None = None) -> None:
    manifest = {"format": DATASET_FORMAT, "version": DATASET_VERSION, "size": size, "image_format": "png",
                "clips": entries, "skipped": skipped or []}
    (root / MANIFEST_NAME).write_text(json.dumps(manifest))


def face_crop(image: np.ndarray, size: int) -> np.ndarray:
    """A square crop of the astronaut portrait in which her face lies where `mean_landmarks` puts it."""
    crop = image[44:208, 144:308]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def synthetic_video_dataset(root: Path, base: np.ndarray, size: int = 64, identities: int = 3,
                            frames: int = 8) -> Path:
    """`identities` video clips of `frames` frames each: hue-rotated copies of `base` that talk."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    crop = face_crop(base, size)
    for i in range(identities):
        hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(int) + 40 * i) % 180
        tinted = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        images, landmarks = talking_frames(tinted, frames, seed=i)
        entries.append(write_clip(root, f"person{i}", "clip0", "video", images, landmarks))
    write_manifest(root, size, entries)
    return root
