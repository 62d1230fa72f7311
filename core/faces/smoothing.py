"""Temporal smoothing of landmark trajectories (T, 68, 2): a causal One-Euro filter and a zero-phase
offline mode (the default: the whole video is analysed before rendering, so preview and export see
the same landmarks).

One-Euro (Casiez, Roussel and Vogel, CHI 2012) is a first-order low-pass filter whose cutoff rises
with speed: still landmarks are smoothed hard (jitter goes), fast ones barely (no lag on real motion).
Speeds are measured per landmark in face sizes per second (the face size being the spread of the eye
and nose landmarks), so the behaviour does not depend on resolution or distance to the camera.

The offline mode runs the same filter forward, then backward over the result: for any fixed cutoff
that is a symmetric kernel, i.e. zero phase, so smoothed landmarks neither lead nor lag the video.

`amount` in [0, 1] is the one user-facing knob: 0 returns the raw landmarks, 1 smooths the most.
Frames without a face are left as they are, and each run of frames with a face (split also at jumps
larger than half a face, i.e. cuts and re-detections) is smoothed on its own, so nothing is blended
across a gap or a cut.
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("offline", "causal")
DEFAULT_AMOUNT = 0.5

#: Eyes and nose: their spread is the face size that speeds are measured in.
_SCALE_INDICES = np.arange(27, 48)

#: A frame-to-frame move of the rigid landmarks larger than this many face sizes starts a new segment.
_CUT = 0.5


def one_euro_parameters(amount: float) -> tuple[float, float, float]:
    """(min_cutoff Hz, beta in Hz per face-size/s, derivative cutoff Hz) for an amount in (0, 1].

    The minimum cutoff goes geometrically from 12 Hz (barely any smoothing at 24-30 fps) down to 0.6 Hz
    (2.7 Hz at the default 0.5). Beta and the derivative cutoff were tuned on Megamind.avi: at the
    default amount the offline mode leaves about a third of the jitter, and the causal filter follows a
    step of a third of a face size with less than a frame of delay.
    """
    amount = float(np.clip(amount, 0.0, 1.0))
    min_cutoff = 12.0 * (0.6 / 12.0) ** amount
    return min_cutoff, 1.0, 2.0


def face_scale(landmarks: np.ndarray) -> np.ndarray:
    """(T,) spread (RMS distance to their centre) of the eye and nose landmarks, in pixels."""
    pts = landmarks[:, _SCALE_INDICES]
    centred = pts - pts.mean(1, keepdims=True)
    return np.sqrt((centred**2).sum(-1).mean(-1))


def one_euro(
    trajectory: np.ndarray,
    fps: float,
    min_cutoff: float,
    beta: float,
    d_cutoff: float = 2.0,
    scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Causal One-Euro filter over time (axis 0) of (T, K, 2) points.

    Each point's cutoff is ``min_cutoff + beta * speed`` with the speed (norm of its filtered 2D
    velocity) divided by `scale` (a number or (T,) per frame, in the trajectory's units).
    """
    x = np.asarray(trajectory, np.float64)
    out = np.empty_like(x)
    if len(x) == 0:
        return out
    scale_t = np.broadcast_to(np.asarray(scale, np.float64), (len(x),))
    dt = 1.0 / fps
    alpha_d = _alpha(d_cutoff, dt)
    prev = x[0].copy()
    velocity = np.zeros_like(prev)
    out[0] = prev
    for t in range(1, len(x)):
        raw_velocity = (x[t] - prev) / dt
        velocity = velocity + alpha_d * (raw_velocity - velocity)
        speed = np.linalg.norm(velocity, axis=-1, keepdims=True) / max(scale_t[t], 1e-6)
        alpha = _alpha(min_cutoff + beta * speed, dt)
        prev = prev + alpha * (x[t] - prev)
        out[t] = prev
    return out


def _alpha(cutoff: float | np.ndarray, dt: float) -> float | np.ndarray:
    """Smoothing factor of a first-order low-pass filter with this cutoff (Hz) at time step dt."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


def segments(landmarks: np.ndarray, has_face: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of frames with a face, split where the face jumps by more than half its size."""
    scale = face_scale(landmarks)
    centre = landmarks[:, _SCALE_INDICES].mean(1)
    runs: list[tuple[int, int]] = []
    start = None
    for t in range(len(landmarks)):
        if not has_face[t]:
            if start is not None:
                runs.append((start, t))
            start = None
            continue
        if start is not None:
            jump = np.linalg.norm(centre[t] - centre[t - 1]) / max(scale[t], 1e-6)
            ratio = scale[t] / max(scale[t - 1], 1e-6)
            if jump > _CUT or not 0.7 < ratio < 1.0 / 0.7:
                runs.append((start, t))
                start = t
        else:
            start = t
    if start is not None:
        runs.append((start, len(landmarks)))
    return runs


def smooth_landmarks(
    landmarks: np.ndarray,
    fps: float,
    amount: float = DEFAULT_AMOUNT,
    mode: str = "offline",
    has_face: np.ndarray | None = None,
) -> np.ndarray:
    """Smoothed copy of (T, 68, 2) landmarks; `amount` 0 gives them back unchanged (as float32)."""
    if mode not in MODES:
        raise ValueError(f"smoothing mode must be one of {MODES}, got {mode!r}")
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"smoothing amount must be between 0 and 1, got {amount}")
    raw = np.asarray(landmarks, np.float32)
    out = raw.copy()
    if amount == 0.0 or len(raw) < 2:
        return out
    fps = fps if fps and fps > 0 else 25.0
    mask = np.ones(len(raw), bool) if has_face is None else np.asarray(has_face, bool)
    min_cutoff, beta, d_cutoff = one_euro_parameters(amount)
    scale = face_scale(raw.astype(np.float64))
    for start, end in segments(raw, mask):
        if end - start < 2:
            continue
        piece = raw[start:end].astype(np.float64)
        s = scale[start:end]
        result = one_euro(piece, fps, min_cutoff, beta, d_cutoff, s)
        if mode == "offline":
            result = one_euro(result[::-1], fps, min_cutoff, beta, d_cutoff, s[::-1])[::-1]
        out[start:end] = result
    return out


def jitter(landmarks: np.ndarray, has_face: np.ndarray | None = None) -> float:
    """Mean norm of the landmarks' second difference over time, in face sizes.

    Jitter shows up as frame-to-frame zig-zag (large second differences); smooth motion has small ones.
    Only triples of consecutive frames inside one segment (see `segments`) count: a cut or a gap is
    not jitter.
    """
    pts = np.asarray(landmarks, np.float64)
    if len(pts) < 3:
        return 0.0
    mask = np.ones(len(pts), bool) if has_face is None else np.asarray(has_face, bool)
    segment_id = np.full(len(pts), -1)
    for number, (start, end) in enumerate(segments(pts, mask)):
        segment_id[start:end] = number
    second = pts[2:] - 2 * pts[1:-1] + pts[:-2]
    middle = segment_id[1:-1]
    valid = (middle >= 0) & (segment_id[2:] == middle) & (segment_id[:-2] == middle)
    if not valid.any():
        return 0.0
    scale = face_scale(pts)[1:-1, None]
    return float((np.linalg.norm(second, axis=-1) / scale)[valid].mean())
