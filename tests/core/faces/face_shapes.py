"""Constructed faces for the transformer, motion and check tests: other people's shapes, and drivers."""

from __future__ import annotations

import numpy as np

from core.faces.mean_shape import mean_shape_2d


def identity_shape(seed: int, size: int = 256) -> np.ndarray:
    """A face shape of another person: the mean shape with its features re-proportioned."""
    rng = np.random.default_rng(seed)
    shape = mean_shape_2d(size).copy()
    centre = shape.mean(0)
    shape = centre + (shape - centre) * rng.uniform(0.9, 1.1, size=2)
    shape[48:68] = shape[48:68].mean(0) + (shape[48:68] - shape[48:68].mean(0)) * rng.uniform(0.8, 1.25)
    shape[36:48] += rng.normal(0, 0.8, (12, 2))
    return shape


def moved(landmarks: np.ndarray, shift: np.ndarray, zoom: np.ndarray) -> np.ndarray:
    """(T, 68, 2) landmarks (one frame or T) shifted by (T, 2) pixels and zoomed by (T,) about their centre."""
    landmarks = np.broadcast_to(landmarks, (len(zoom), 68, 2))
    centre = landmarks.mean(1, keepdims=True)
    return centre + (landmarks - centre) * np.asarray(zoom)[:, None, None] + np.asarray(shift)[:, None, :]
