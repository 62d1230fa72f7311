"""Frames with transparency: a soft matte (the region the reenacted face replaces) as an alpha channel.

Alpha is *straight* (not premultiplied): colour and coverage are stored apart, as PNG, ProRes 4444,
VP9 and WebP expect. Where the matte is soft, the composite's colour is a mix of the face and the
photo behind it; `unblend` recovers the face's own colour there, so the face laid over another
background shows no fringe of the original photo.
"""

from __future__ import annotations

import numpy as np


def _checked(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The matte as an HxW array of ``size`` (w, h), float or uint8; `ValueError` otherwise."""
    w, h = size
    matte = np.asarray(matte)
    if matte.ndim == 3 and matte.shape[2] == 1:
        matte = matte[..., 0]
    if matte.shape != (h, w):
        raise ValueError(f"expected a {h}x{w} matte, got {matte.shape}")
    if matte.dtype != np.uint8 and not np.issubdtype(matte.dtype, np.floating):
        raise ValueError(f"a matte is float in 0..1 or uint8, got {matte.dtype}")
    return matte


def alpha_channel(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A matte (HxW float in 0..1, or uint8 0..255) as an HxW uint8 alpha channel of ``size`` (w, h)."""
    matte = _checked(matte, size)
    if matte.dtype == np.uint8:
        return np.ascontiguousarray(matte)
    return np.clip(matte * 255.0 + 0.5, 0, 255).astype(np.uint8)


def coverage(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A matte as HxW float32 in 0..1 at the precision it was given (uint8 is divided by 255)."""
    matte = _checked(matte, size)
    return (matte / 255.0 if matte.dtype == np.uint8 else np.clip(matte, 0.0, 1.0)).astype(np.float32)


def with_alpha(rgb: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB and a matte -> HxWx4 uint8 RGBA."""
    h, w = rgb.shape[:2]
    return np.dstack([rgb, alpha_channel(matte, (w, h))])


def matte_image(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The matte alone as an HxWx3 uint8 picture (white where the face is): a luma matte for editors."""
    alpha = alpha_channel(matte, size)
    return np.repeat(alpha[..., None], 3, axis=2)


def unblend(composite: np.ndarray, matte: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The face's own colour from ``composite = m * face + (1 - m) * background`` (HxWx3 uint8 each).

    Where the matte is 0 there is no face: the composite is kept. The division amplifies the
    composite's rounding by 1 / m (at m = 0.25, +-2 levels), so give the renderer's float matte, not
    an 8-bit one, and the result is clipped to 0..255.
    """
    h, w = composite.shape[:2]
    m = coverage(matte, (w, h))[..., None]
    if background.shape != composite.shape:
        raise ValueError(f"background {background.shape} does not match the composite {composite.shape}")
    comp = composite.astype(np.float32)
    face = (comp - (1.0 - m) * background.astype(np.float32)) / np.maximum(m, 1e-6)
    face = np.where(m > 0, face, comp)
    return np.clip(face + 0.5, 0, 255).astype(np.uint8)
