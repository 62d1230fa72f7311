"""Driving without a video: landmarks from pose and expression parameters, and keyframed performances.

Parameters (a `FaceParams`): yaw, pitch, roll in degrees (conventions of `core.faces.shape_model`),
mouth_open, blink_left, blink_right in [0, 1], smile and brow_raise in [-1, 1]. Left and right are as
seen in the image. Expressions deform the source's own pose-free 3D shape (fit by the shape model), in
proportion to its own features (mouth width, eye height, brow-to-eye gap), then the head is rotated by
the pose parameters relative to the source's own pose and projected back. All parameters at zero give
back the source landmarks exactly.

`apply_params` is the one place parameters act on a face: a performance file on the portrait, and the
app's pose and expression controls on top of a driving video (`core.animation.direction`).

A performance is keyframes of those parameters over time, interpolated like the app's ``smooth`` keys
(`core.animation.keys`: through every keyframe, flat at the ends and at peaks, never overshooting) and
clipped to the parameters' ranges; it is saved as a small JSON file and expands to a landmark sequence
of the same layout as a video's analysis.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import write_text
from core.errors import ConfigError
from core.faces.shape_model import ShapeFit, fit_shapes, neck_swing, rotation_from_angles

#: Every parameter with its allowed range.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "yaw": (-45.0, 45.0),
    "pitch": (-30.0, 30.0),
    "roll": (-30.0, 30.0),
    "mouth_open": (0.0, 1.0),
    "smile": (-1.0, 1.0),
    "blink_left": (0.0, 1.0),
    "blink_right": (0.0, 1.0),
    "brow_raise": (-1.0, 1.0),
}
PARAMETERS: tuple[str, ...] = tuple(PARAMETER_RANGES)
PERFORMANCE_SUFFIX = ".performance.json"
BUILTIN_PERFORMANCE = ("demo", "demo.performance.json")
#: Limits of a performance file: its frames are expanded in memory (68 landmarks each).
MAX_DURATION_S = 3600.0
MAX_FRAMES = 100_000
MAX_FILE_BYTES = 16 * 1024 * 1024

# Eyelid pairs (upper, lower) per eye, image-left eye first.
_LIDS = {"blink_left": ((37, 41), (38, 40)), "blink_right": ((43, 47), (44, 46))}
# Lower lip and chin: landmark -> share of the mouth opening it follows.
_LOWER_LIP = {55: 0.6, 56: 0.9, 57: 1.0, 58: 0.9, 59: 0.6, 65: 0.9, 66: 1.0, 67: 0.9, 48: 0.2, 54: 0.2, 60: 0.25, 64: 0.25}
_UPPER_LIP = {50: 0.08, 51: 0.1, 52: 0.08, 61: 0.06, 62: 0.08, 63: 0.06}
_CHIN = {5: 0.25, 6: 0.5, 7: 0.8, 8: 0.9, 9: 0.8, 10: 0.5, 11: 0.25}
# Smile: landmark -> (side, weight); side -1 for the image-left corner, +1 for the right.
_SMILE = {48: (-1, 1.0), 60: (-1, 0.9), 49: (-1, 0.5), 59: (-1, 0.5), 61: (-1, 0.3), 67: (-1, 0.3),
          54: (1, 1.0), 64: (1, 0.9), 53: (1, 0.5), 55: (1, 0.5), 63: (1, 0.3), 65: (1, 0.3)}


@dataclass(frozen=True)
class FaceParams:
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    mouth_open: float = 0.0
    smile: float = 0.0
    blink_left: float = 0.0
    blink_right: float = 0.0
    brow_raise: float = 0.0

    def __post_init__(self) -> None:
        for name, (lo, hi) in PARAMETER_RANGES.items():
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")

    def as_array(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in PARAMETERS], dtype=np.float64)


def random_params(rng: np.random.Generator, scale: float = 1.0) -> FaceParams:
    """Plausible random parameters (for training pairs from stills); `scale` shrinks the ranges."""
    values = {}
    for name, (lo, hi) in PARAMETER_RANGES.items():
        if lo < 0:
            values[name] = float(rng.uniform(lo, hi) * scale * (0.5 if name in ("yaw", "pitch", "roll") else 1.0))
        else:
            values[name] = float(rng.uniform(0, hi) * scale) if rng.random() < 0.6 else 0.0
    return FaceParams(**values)


#: How far the sum of a performance's (or driver's) expression and the controls on top may go: 1.5 times
#: a parameter's range (room to exaggerate), except the eyelids, which cross beyond fully closed.
EXPRESSION_LIMITS: dict[str, tuple[float, float]] = {
    name: (lo * 1.5, hi) if name.startswith("blink") else (lo * 1.5, hi * 1.5)
    for name, (lo, hi) in PARAMETER_RANGES.items()
    if name not in ("yaw", "pitch", "roll")
}


def deform_expression(shape: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Expression parameters (T, 8) applied to pose-free shapes (T, 68, 3), in the shapes' own proportions
    (mouth width, eye height, brow-to-eye gap); the pose columns are ignored."""
    p = dict(zip(PARAMETERS, np.moveaxis(params, -1, 0), strict=True))
    out = shape.copy()
    mouth_width = np.linalg.norm(shape[:, 54, :2] - shape[:, 48, :2], axis=-1)
    drop = p["mouth_open"] * 0.45 * mouth_width
    for i, w in _LOWER_LIP.items():
        out[:, i, 1] += w * drop
    for i, w in _UPPER_LIP.items():
        out[:, i, 1] -= w * drop
    for i, w in _CHIN.items():
        out[:, i, 1] += w * drop
    smile = p["smile"] * mouth_width
    for i, (side, w) in _SMILE.items():
        out[:, i, 0] += side * w * 0.12 * smile
        out[:, i, 1] -= w * 0.1 * smile
    for name, pairs in _LIDS.items():
        closure = p[name][:, None]
        for upper, lower in pairs:
            gap = shape[:, lower] - shape[:, upper]
            out[:, upper] = shape[:, upper] + 0.8 * closure * gap
            out[:, lower] = shape[:, lower] - 0.2 * closure * gap
    eyes_y = shape[:, 36:48, 1].mean(-1)
    brows_y = shape[:, 17:27, 1].mean(-1)
    lift = p["brow_raise"] * 0.35 * (eyes_y - brows_y)
    out[:, 17:27, 1] -= lift[:, None]
    return out


def apply_params(head: ShapeFit, params: np.ndarray) -> ShapeFit:
    """Heads (T frames: pose-free shapes, rotations, scales, places) under parameters (T, 8): the
    expression deforms each shape, and the head turns by (yaw, pitch, roll) relative to its own
    rotation, on its neck (`core.faces.shape_model.neck_swing`).

    The one place parameters act: a performance file on the portrait, and the app's pose and expression
    controls on top of a driving video, both go through here, so a control means the same in both.
    """
    params = np.asarray(params, np.float64)
    turn = rotation_from_angles(params[:, 0], params[:, 1], params[:, 2])
    rotation = turn @ head.rotation
    translation = head.translation + neck_swing(head.scale, head.rotation, rotation)
    return ShapeFit(head.scale, rotation, translation, deform_expression(head.shape3d, params))


def landmarks_from_params(base_landmarks: np.ndarray, params: FaceParams | np.ndarray) -> np.ndarray:
    """Landmarks of the base face under `params`: (68, 2) for one FaceParams, (T, 68, 2) for (T, 8)."""
    single = isinstance(params, FaceParams)
    values = params.as_array()[None] if isinstance(params, FaceParams) else np.atleast_2d(np.asarray(params, float))
    if values.shape[-1] != len(PARAMETERS):
        raise ValueError(f"params must have {len(PARAMETERS)} columns ({', '.join(PARAMETERS)})")
    fit = fit_shapes(base_landmarks)
    frames = len(values)
    base = ShapeFit(
        np.repeat(fit.scale, frames), np.repeat(fit.rotation, frames, 0), np.repeat(fit.translation, frames, 0),
        np.repeat(fit.shape3d, frames, 0),
    )
    out = apply_params(base, values).project()
    return out[0] if single else out


@dataclass(frozen=True)
class Keyframe:
    time: float  # seconds
    params: FaceParams


@dataclass(frozen=True)
class Performance:
    """Keyframed parameters over time; expands to one landmark frame per 1/fps seconds."""

    keyframes: tuple[Keyframe, ...]
    fps: float = 25.0
    name: str = "performance"

    def __post_init__(self) -> None:
        if not self.keyframes:
            raise ConfigError("a performance needs at least one keyframe")
        if not 1 <= self.fps <= 240:
            raise ConfigError(f"fps must be between 1 and 240, got {self.fps:g}")
        times = [k.time for k in self.keyframes]
        if not all(math.isfinite(t) for t in times):
            raise ConfigError("keyframe times must be finite numbers of seconds")
        if times[0] < 0 or any(b <= a for a, b in itertools.pairwise(times)):
            raise ConfigError("keyframe times must start at 0 or later and strictly increase")
        if times[-1] > MAX_DURATION_S or times[-1] * self.fps + 1 > MAX_FRAMES:
            raise ConfigError(
                f"the last keyframe is at {times[-1]:g} s ({times[-1] * self.fps + 1:.0f} frames at {self.fps:g} fps): "
                f"a performance may last at most {MAX_DURATION_S:g} s and {MAX_FRAMES:,} frames"
            )

    @property
    def duration(self) -> float:
        return self.keyframes[-1].time

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps) + 1

    def params_at(self, times: np.ndarray) -> np.ndarray:
        """(T, 8) parameters at `times` (seconds): the ``smooth`` curve of `core.animation.keys` through
        the keyframes (Catmull-Rom, flat at the ends and at peaks, no overshoot), so a performance and
        the same keys in the app move alike."""
        from core.animation.keys import INTERPOLATIONS, evaluate_keys

        key_t = np.array([k.time for k in self.keyframes])
        key_v = np.stack([k.params.as_array() for k in self.keyframes])
        smooth = np.full(len(key_t), INTERPOLATIONS.index("smooth"))
        values = evaluate_keys(key_t, key_v, smooth, np.asarray(times, float))
        lo = np.array([PARAMETER_RANGES[n][0] for n in PARAMETERS])
        hi = np.array([PARAMETER_RANGES[n][1] for n in PARAMETERS])
        return np.clip(values, lo, hi)

    def frame_params(self) -> np.ndarray:
        """(frame_count, 8) parameters, one row per output frame."""
        return self.params_at(np.arange(self.frame_count) / self.fps)

    def expand(self, base_landmarks: np.ndarray) -> np.ndarray:
        """(frame_count, 68, 2) landmarks of the base face performing this."""
        return landmarks_from_params(base_landmarks, self.frame_params())

    # -- files --------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "reenact-studio-performance",
            "version": 1,
            "name": self.name,
            "fps": self.fps,
            "keyframes": [
                {"time": k.time, **{n: v for n, v in asdict(k.params).items() if v != 0.0}} for k in self.keyframes
            ],
        }

    def save(self, path: str | Path) -> Path:
        write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return Path(path)

    @classmethod
    def from_dict(cls, data: Any, where: str = "performance") -> Performance:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a JSON object")
        known = {"format", "version", "name", "fps", "keyframes"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where} has unknown keys {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if data.get("format", "reenact-studio-performance") != "reenact-studio-performance":
            raise ConfigError(f"{where} is not a Reenact Studio performance (format {data.get('format')!r})")
        frames = data.get("keyframes")
        if not isinstance(frames, list) or not frames:
            raise ConfigError(f"{where} needs a non-empty list 'keyframes'")
        keyframes = []
        param_names = {f.name for f in fields(FaceParams)}
        for i, frame in enumerate(frames):
            if not isinstance(frame, dict) or "time" not in frame:
                raise ConfigError(f"{where} keyframe {i} must be an object with a 'time'")
            bad = sorted(set(frame) - param_names - {"time"})
            if bad:
                raise ConfigError(
                    f"{where} keyframe {i} has unknown keys {', '.join(bad)}; parameters are {', '.join(PARAMETERS)}"
                )
            values = {}
            for key, value in frame.items():
                values[key] = _finite_number(value, f"{where} keyframe {i}: {key}")
            time = values.pop("time")
            try:
                keyframes.append(Keyframe(time, FaceParams(**values)))
            except ConfigError as err:
                raise ConfigError(f"{where} keyframe {i} (t={time:g}s): {err}") from err
        fps = _finite_number(data.get("fps", 25.0), f"{where}: fps")
        name = data.get("name", "performance")
        if not isinstance(name, str):
            raise ConfigError(f"{where}: name must be a string")
        try:
            return cls(tuple(keyframes), fps, name)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err

    @classmethod
    def load(cls, path: str | Path) -> Performance:
        from core.safety import read_json_file

        path = Path(path)
        data = read_json_file(path, "performance", MAX_FILE_BYTES)
        return cls.from_dict(data, where=path.name)


def _finite_number(value: Any, what: str) -> float:
    """`value` as a finite float, or `ConfigError` naming `what` (bools, text, NaN, inf, huge ints)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = repr(value)[:40] if isinstance(value, str) else "null" if value is None else f"a {type(value).__name__}"
        raise ConfigError(f"{what} must be a number, got {shown}")
    try:
        number = float(value)
    except OverflowError:
        raise ConfigError(f"{what} must be a finite number, got an integer of {value.bit_length()} bits") from None
    if not math.isfinite(number):
        raise ConfigError(f"{what} must be a finite number, got {number}")
    return number


def is_performance_file(path: str | Path) -> bool:
    name = str(path).lower()
    return name.endswith(PERFORMANCE_SUFFIX) or name.endswith(".json")


def builtin_performance(fps: float = 25.0) -> Performance:
    """About six seconds: a turn, a nod, a smile, blinks and speech-like mouth motion.

    Stored as an ordinary performance file (``resources/demo/demo.performance.json``), which doubles
    as an example of the format for users writing their own.
    """
    from resources import resource_path

    performance = Performance.load(resource_path(*BUILTIN_PERFORMANCE))
    return Performance(performance.keyframes, fps=fps, name=performance.name)
