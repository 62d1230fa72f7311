"""SSIM (Wang et al. 2004): an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03.

    SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))

with C1 = (K1 L)^2, C2 = (K2 L)^2 for a data range L, local statistics weighted by the window
(population covariances), averaged over the pixels whose window lies inside the image (a 5-pixel
strip along the border is left out), and over the colour channels. This is scikit-image's
``structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``, computed
with separable OpenCV filters.
"""

from __future__ import annotations

import numpy as np

SIGMA = 1.5
RADIUS = 5  # int(3.5 * sigma + 0.5): the window is 11 x 11
K1, K2 = 0.01, 0.03


def _window() -> np.ndarray:
    x = np.arange(-RADIUS, RADIUS + 1, dtype=np.float64)
    kernel = np.exp(-(x**2) / (2 * SIGMA**2))
    return kernel / kernel.sum()


def _filter(image: np.ndarray) -> np.ndarray:
    import cv2

    kernel = _window()
    return cv2.sepFilter2D(image, cv2.CV_64F, kernel, kernel, borderType=cv2.BORDER_REFLECT)


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """Per-pixel SSIM of two (H, W) images (float64), including the border strip."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_x, mu_y = _filter(x), _filter(y)
    var_x = _filter(x * x) - mu_x * mu_x
    var_y = _filter(y * y) - mu_y * mu_y
    cov = _filter(x * y) - mu_x * mu_y
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float | None = None) -> float:
    """Mean SSIM of two images of the same shape, (H, W) or (H, W, C) (channels averaged).

    `data_range` defaults to 255 for uint8 images and must be given for float images (2 for [-1, 1]).
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim not in (2, 3) or min(a.shape[:2]) < 2 * RADIUS + 1:
        raise ValueError(f"images must be (H, W) or (H, W, C) with sides of at least 11 pixels, got {a.shape}")
    if data_range is None:
        if a.dtype != np.uint8 or b.dtype != np.uint8:
            raise ValueError("data_range must be given for images that are not uint8")
        data_range = 255.0
    channels = [(a, b)] if a.ndim == 2 else [(a[..., c], b[..., c]) for c in range(a.shape[2])]
    values = [ssim_map(x, y, float(data_range))[RADIUS:-RADIUS, RADIUS:-RADIUS].mean() for x, y in channels]
    return float(np.mean(values))
