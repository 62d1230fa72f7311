"""Keyframes and curves: a value over frames, set at keys and interpolated between them.

The conventions are those of Blender's F-curves and After Effects' graph editor:

* a key sits on a frame and holds a value. Frames are floats: the app keys whole frames; an imported
  performance may put keys between frames (Blender's sub-frame keys);
* a key's interpolation governs the segment from it to the next key (Blender's rule):

  - ``smooth``: a cubic through the keys with automatic, clamped tangents (Blender's "Auto Clamped"
    Bezier handles, After Effects' auto-Bezier). A key's tangent follows its neighbours (Catmull-Rom),
    is flat at the first and last keys and at a key that is a peak or a trough, and is limited so the
    curve only changes direction at keys and never overshoots one (Fritsch-Carlson);
  - ``linear``: a straight line;
  - ``ease``: ease in and out (After Effects' Easy Ease, a Bezier with flat handles): the value leaves
    and arrives with zero speed, ``v0 + (v1 - v0) * (3u^2 - 2u^3)``;
  - ``hold``: the key's value until the next key (Blender's Constant, After Effects' Hold). A fix on one
    frame is a hold key on it, with keys of the curve's own values on the frames before and after;

* before the first key and after the last the value is constant (constant extrapolation).

Curves are immutable: every edit returns a new curve, so an undo stack keeps the old ones and a curve
can be part of a render cache key. Evaluation is vectorised over any number of frames.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np

from core.errors import ConfigError

Interpolation = Literal["smooth", "linear", "ease", "hold"]
INTERPOLATIONS: tuple[str, ...] = ("smooth", "linear", "ease", "hold")
DEFAULT_INTERPOLATION: Interpolation = "smooth"
_SMOOTH, _LINEAR, _EASE, _HOLD = range(4)

#: Two frames closer than this are the same frame.
FRAME_EPSILON = 1e-6


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Key:
    """A value on a frame, and how the curve goes from here to the next key."""

    frame: float
    value: float
    interpolation: Interpolation = DEFAULT_INTERPOLATION

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame", _number(self.frame, "a key's frame"))
        object.__setattr__(self, "value", _number(self.value, "a key's value"))
        if self.frame < 0:
            raise ConfigError(f"a key's frame must be 0 or later, got {self.frame:g}")
        if self.interpolation not in INTERPOLATIONS:
            raise ConfigError(
                f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {self.interpolation!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        frame = int(self.frame) if self.frame.is_integer() else self.frame
        return {"frame": frame, "value": self.value, "interpolation": self.interpolation}

    @classmethod
    def from_dict(cls, data: Any, where: str = "key") -> Key:
        if not isinstance(data, dict) or not {"frame", "value"} <= set(data):
            raise ConfigError(f"{where} must be an object with a 'frame' and a 'value'")
        unknown = sorted(set(data) - {"frame", "value", "interpolation"})
        if unknown:
            raise ConfigError(f"{where} has unknown keys {', '.join(unknown)}; known: frame, value, interpolation")
        try:
            return cls(data["frame"], data["value"], data.get("interpolation", DEFAULT_INTERPOLATION))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err


def spline_slopes(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(K, ...) slopes (value per frame) of the ``smooth`` curve at keys (K,) with values (K, ...).

    Catmull-Rom for unevenly spaced keys, flat at the ends and at peaks and troughs, and at most three
    times the smaller neighbouring secant (no overshoot between keys: Fritsch and Carlson, 1980).
    """
    t = np.asarray(times, np.float64)
    v = np.asarray(values, np.float64)
    slopes = np.zeros_like(v)
    if len(t) < 3:
        return slopes
    shape = (-1,) + (1,) * (v.ndim - 1)
    secant = np.diff(v, axis=0) / np.diff(t).reshape(shape)
    before, after = secant[:-1], secant[1:]
    catmull_rom = (v[2:] - v[:-2]) / (t[2:] - t[:-2]).reshape(shape)
    limit = 3.0 * np.minimum(np.abs(before), np.abs(after))
    slopes[1:-1] = np.where(before * after > 0, np.clip(catmull_rom, -limit, limit), 0.0)
    return slopes


def evaluate_keys(times: np.ndarray, values: np.ndarray, codes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Values (N, ...) at frames `at` (N,) of keys on `times` (K,) with `values` (K, ...) and per-key
    interpolation `codes` (K,) (indices into `INTERPOLATIONS`), with constant extrapolation."""
    t = np.asarray(times, np.float64)
    v = np.asarray(values, np.float64)
    at = np.asarray(at, np.float64)
    if len(t) == 1:
        return np.broadcast_to(v[0], (*at.shape, *v.shape[1:])).copy()
    seg = np.clip(np.searchsorted(t, at, side="right") - 1, 0, len(t) - 2)
    span = t[seg + 1] - t[seg]
    shape = at.shape + (1,) * (v.ndim - 1)
    u = np.clip((at - t[seg]) / span, 0.0, 1.0).reshape(shape)
    v0, v1 = v[seg], v[seg + 1]
    slopes = spline_slopes(t, v)
    code = np.asarray(codes)[seg].reshape(shape)
    step = v1 - v0
    m0 = np.where(code == _LINEAR, step, np.where(code == _SMOOTH, slopes[seg] * span.reshape(shape), 0.0))
    m1 = np.where(code == _LINEAR, step, np.where(code == _SMOOTH, slopes[seg + 1] * span.reshape(shape), 0.0))
    u2, u3 = u * u, u * u * u
    out = (2 * u3 - 3 * u2 + 1) * v0 + (u3 - 2 * u2 + u) * m0 + (3 * u2 - 2 * u3) * v1 + (u3 - u2) * m1
    out = np.where(code == _HOLD, v0, out)
    return np.where((at >= t[-1]).reshape(shape), v[-1], out)


@dataclass(frozen=True)
class Curve:
    """Keys in frame order (at least one, no two on the same frame); every edit returns a new curve."""

    keys: tuple[Key, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        if not self.keys:
            raise ConfigError("a curve needs at least one key")
        frames = [k.frame for k in self.keys]
        if any(b - a <= FRAME_EPSILON for a, b in itertools.pairwise(frames)):
            raise ConfigError("a curve's keys must be in frame order, one key per frame")

    @classmethod
    def from_keys(cls, keys: Iterable[Key]) -> Curve:
        """A curve from keys in any order; of keys on the same frame the last one given wins."""
        kept: list[tuple[int, Key]] = []
        for order, key in sorted(enumerate(keys), key=lambda item: item[1].frame):
            if kept and key.frame - kept[-1][1].frame <= FRAME_EPSILON:
                if order > kept[-1][0]:
                    kept[-1] = (order, key)
                continue
            kept.append((order, key))
        return cls(tuple(key for _, key in kept))

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        times = np.array([k.frame for k in self.keys])
        values = np.array([k.value for k in self.keys])
        codes = np.array([INTERPOLATIONS.index(k.interpolation) for k in self.keys])
        return times, values, codes

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def frames(self) -> tuple[float, ...]:
        return tuple(k.frame for k in self.keys)

    def value_at(self, frames: np.ndarray | float) -> np.ndarray:
        """Values at `frames` (any shape), vectorised."""
        times, values, codes = self._arrays
        at = np.asarray(frames, np.float64)
        return evaluate_keys(times, values, codes, at.ravel()).reshape(at.shape)

    def value(self, frame: float) -> float:
        return float(self.value_at(frame))

    def index_of(self, frame: float) -> int | None:
        """Index of the key on `frame`, None when there is none."""
        times = self._arrays[0]
        i = int(np.searchsorted(times, frame - FRAME_EPSILON))
        return i if i < len(times) and abs(times[i] - frame) <= FRAME_EPSILON else None

    def key_at(self, frame: float) -> Key | None:
        i = self.index_of(frame)
        return None if i is None else self.keys[i]

    def previous_key(self, frame: float) -> Key | None:
        """The last key strictly before `frame` (jump to previous key)."""
        i = int(np.searchsorted(self._arrays[0], frame - FRAME_EPSILON)) - 1
        return self.keys[i] if i >= 0 else None

    def next_key(self, frame: float) -> Key | None:
        """The first key strictly after `frame` (jump to next key)."""
        i = int(np.searchsorted(self._arrays[0], frame + FRAME_EPSILON, side="right"))
        return self.keys[i] if i < len(self.keys) else None

    # -- edits (each returns a new curve) ----------------------------------------------------------------
    def with_key(self, frame: float, value: float, interpolation: Interpolation | None = None) -> Curve:
        """A key set on `frame`: an existing key there changes its value (and interpolation when given);
        a new key takes the interpolation of the key before it (of the first key when it is the first),
        so a key added inside a hold or linear segment keeps that segment's character."""
        existing = self.key_at(frame)
        if existing is not None:
            key = Key(existing.frame, value, interpolation or existing.interpolation)
        else:
            neighbour = self.previous_key(frame) or self.keys[0]
            key = Key(frame, value, interpolation or neighbour.interpolation)
        return Curve.from_keys((*self.keys, key))

    def without_key(self, frame: float) -> Curve | None:
        """The curve with the key on `frame` deleted; None when that was its only key."""
        i = self.index_of(frame)
        if i is None:
            raise KeyError(f"no key on frame {frame:g}")
        keys = self.keys[:i] + self.keys[i + 1 :]
        return Curve(keys) if keys else None

    def moved_key(self, frame: float, to_frame: float, value: float | None = None) -> Curve:
        """The key on `frame` moved to `to_frame` (and `value`); a key already there is replaced."""
        i = self.index_of(frame)
        if i is None:
            raise KeyError(f"no key on frame {frame:g}")
        old = self.keys[i]
        moved = Key(to_frame, old.value if value is None else value, old.interpolation)
        return Curve.from_keys((*self.keys[:i], *self.keys[i + 1 :], moved))

    def with_interpolation(self, frame: float, interpolation: Interpolation) -> Curve:
        """The key on `frame` with another interpolation (for the segment after it)."""
        i = self.index_of(frame)
        if i is None:
            raise KeyError(f"no key on frame {frame:g}")
        keys = list(self.keys)
        keys[i] = replace(keys[i], interpolation=interpolation)
        return Curve(tuple(keys))

    # -- plain data ----------------------------------------------------------------------------------------
    def to_list(self) -> list[dict[str, Any]]:
        return [k.to_dict() for k in self.keys]

    @classmethod
    def from_list(cls, data: Any, where: str = "curve") -> Curve:
        if not isinstance(data, list) or not data:
            raise ConfigError(f"{where} must be a non-empty list of keys")
        keys = [Key.from_dict(item, f"{where} key {i}") for i, item in enumerate(data)]
        try:
            return cls(tuple(keys))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err
