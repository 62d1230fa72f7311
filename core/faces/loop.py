"""Seamless loops of driving motion: the landmark sequence is reshaped before rendering so that the
animation, played over and over (GIF, WebP, a looping video), has no jump where it starts again.

Two ways, each for an output of the length the user chooses:

* **crossfade**: output frame ``i`` is driving frame ``i``, except in the first ``blend`` frames,
  which fade from the frames just after the loop's end (``length + i``) into the start (``i``) with
  an ease-in-out weight. The last output frame is driving frame ``length - 1`` and the first is
  (mostly) ``length``, its successor: the loop point is an ordinary step of the motion.
* **pingpong**: forwards then backwards (0, 1, ..., m, ..., 1); a loop of ``length`` frames plays
  ``length / 2`` steps out and the same back, at the driver's speed (an odd length turns between
  two frames, showing the pose at the turn twice).

Each output frame is a weighted mix of two driving frames (`Loop.sources`, `Loop.weights`), so any
per-frame data (landmarks, head pose, face flags) is looped the same way with `Loop.apply`.
`check_loop` measures the loop point: the jump from the last frame to the first, against the
largest step the driver makes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from core.errors import ConfigError

LoopMode = Literal["crossfade", "pingpong"]
LOOP_MODES: tuple[LoopMode, ...] = ("crossfade", "pingpong")
#: Seam allowance of `check_loop` in the landmarks' own pixels, for motion that barely moves.
DEFAULT_TOLERANCE_PX = 0.5


@dataclass(frozen=True)
class Loop:
    """An output timeline over driving frames: output ``i`` = ``(1 - w) * x[a] + w * x[b]`` with
    ``(a, b) = sources[i]`` and ``w = weights[i]``."""

    mode: LoopMode
    sources: np.ndarray  # (N, 2) int64 driving-frame indices
    weights: np.ndarray  # (N,) float64 in 0..1, the share of sources[:, 1]

    @property
    def length(self) -> int:
        return len(self.weights)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Per-frame ``values`` (T, ...) of the driving range -> (N, ...) for the looped output."""
        values = np.asarray(values)
        first, second = values[self.sources[:, 0]], values[self.sources[:, 1]]
        if values.dtype == bool:  # flags: a frame is good only where both of its sources are
            return first & second
        w = self.weights.reshape((-1,) + (1,) * (values.ndim - 1))
        mixed = (1.0 - w) * first + w * second
        return mixed.astype(values.dtype) if np.issubdtype(values.dtype, np.floating) else mixed

    @property
    def nearest(self) -> np.ndarray:
        """(N,) the driving frame each output frame is mostly made of (for a preview, or skipping)."""
        return np.where(self.weights < 0.5, self.sources[:, 0], self.sources[:, 1])


def _ease(x: np.ndarray) -> np.ndarray:
    """Smoothstep 0 -> 1: the fade starts and ends without a kink in the motion's speed."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def plan_loop(frames: int, mode: LoopMode = "crossfade", length: int | None = None, blend: int | None = None) -> Loop:
    """The `Loop` over a driving range of ``frames`` frames.

    ``length``: output frames (default: crossfade ``frames - blend``, pingpong ``2 * frames - 2``).
    ``blend``: crossfade frames (default about a fifth of the loop, at least 2, at most what the range
    leaves after the loop). `ConfigError` when the range is too short for what is asked, saying what
    would fit.
    """
    if mode not in LOOP_MODES:
        raise ConfigError(f"unknown loop mode {mode!r}: use {' or '.join(LOOP_MODES)}")
    if frames < 3:
        raise ConfigError(f"a loop needs at least 3 driving frames, the range has {frames}")
    if mode == "pingpong":
        return _pingpong(frames, 2 * frames - 2 if length is None else int(length))
    if length is None:
        blend = max(2, frames // 6) if blend is None else int(blend)
        length = frames - blend
    else:
        length = int(length)
        if blend is None and length >= frames:
            raise ConfigError(
                f"a {length}-frame crossfade loop fades in frames from after its end, the range has {frames}: "
                f"make the loop at most {frames - 1} frames, or export a longer range"
            )
        blend = min(max(2, length // 5), frames - length) if blend is None else int(blend)
    if blend < 1 or length < 2:
        raise ConfigError(
            f"a crossfade loop needs 2 frames or more and a crossfade of 1 frame or more (got {length} and "
            f"{blend}): the driving range has {frames} frames"
        )
    if blend > length:
        raise ConfigError(f"the crossfade ({blend} frames) cannot be longer than the loop ({length} frames)")
    if length + blend > frames:
        raise ConfigError(
            f"a {length}-frame loop with a {blend}-frame crossfade needs {length + blend} driving frames, "
            f"the range has {frames}: make the loop at most {frames - blend} frames or shorten the crossfade"
        )
    index = np.arange(length)
    sources = np.stack([index, index], axis=1)
    weights = np.zeros(length)
    fading = index < blend
    sources[fading, 0] = length + index[fading]  # from the frames after the loop's end ...
    weights[fading] = _ease(index[fading] / blend)  # ... into the start (weight 0: all "after")
    return Loop("crossfade", sources.astype(np.int64), weights)


def _pingpong(frames: int, length: int) -> Loop:
    if length < 2:
        raise ConfigError(f"a ping-pong loop needs 2 frames or more, got {length}")
    half = length / 2.0  # steps out (and back) at the driver's speed
    if half > frames - 1:
        raise ConfigError(
            f"a {length}-frame ping-pong loop goes {half:g} frames out and back, the range has {frames} "
            f"frames: make the loop at most {2 * frames - 2} frames"
        )
    index = np.arange(length, dtype=np.float64)
    position = half - np.abs(half - index)  # 0, 1, ..., half, ..., 1
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, frames - 1)
    return Loop("pingpong", np.stack([lower, upper], axis=1), position - lower)


def make_loop(
    landmarks: np.ndarray, mode: LoopMode = "crossfade", length: int | None = None, blend: int | None = None
) -> tuple[np.ndarray, Loop]:
    """Loop a (T, 68, 2) landmark sequence (see `plan_loop`): the (N, 68, 2) looped motion and its plan."""
    landmarks = np.asarray(landmarks)
    if landmarks.ndim != 3 or landmarks.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must be (T, 68, 2), got {landmarks.shape}")
    loop = plan_loop(len(landmarks), mode, length, blend)
    return loop.apply(landmarks), loop


@dataclass(frozen=True)
class LoopCheck:
    """The loop point measured: mean landmark distance from the last frame to the first (``seam_px``)
    against the largest frame-to-frame step of the motion (``step_px``) or ``tolerance_px``."""

    seam_px: float
    step_px: float
    tolerance_px: float

    @property
    def ok(self) -> bool:
        return self.seam_px <= self.tolerance_px


def _steps(landmarks: np.ndarray) -> np.ndarray:
    """(T-1,) mean distance each landmark moves from one frame to the next."""
    return np.linalg.norm(np.diff(landmarks, axis=0), axis=-1).mean(axis=-1)


def check_loop(
    looped: np.ndarray, reference: np.ndarray | None = None, tolerance_px: float = DEFAULT_TOLERANCE_PX
) -> LoopCheck:
    """Whether (N, 68, 2) looped motion meets itself: the jump from its last frame to its first is no
    bigger than a step the driver makes anyway (the largest step of ``reference``, the driving range
    it was made from, or without one of ``looped`` itself), nor than ``tolerance_px``, whichever is
    larger. A plain cut of a driving range usually fails; `make_loop`'s output passes."""
    looped = np.asarray(looped, np.float64)
    if looped.ndim != 3 or looped.shape[1:] != (68, 2) or len(looped) < 2:
        raise ValueError(f"a loop has 2 frames or more of (68, 2) landmarks, got {looped.shape}")
    motion = looped if reference is None else np.asarray(reference, np.float64)
    step = float(_steps(motion).max()) if len(motion) > 1 else 0.0
    seam = float(np.linalg.norm(looped[0] - looped[-1], axis=-1).mean())
    return LoopCheck(seam_px=seam, step_px=step, tolerance_px=max(step, float(tolerance_px)) + 1e-6)
