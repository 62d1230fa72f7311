"""The animator's controls: their static values (`Controls`) and their keyframed curves (`Animation`).

Every control has a range and a default (`CONTROLS`). A control without a curve has its static value
on every frame; a control with a curve takes the curve's value (clipped to the control's range), as a
property with an F-curve does in Blender. Both classes are frozen and hashable, so the pair can be part
of a render cache key, and every edit returns a new object (undo keeps the old ones).

The controls:

* master: ``strength`` (the expression carried over, 0-1), ``identity_adaptation`` (0-1), ``smoothing``
  (0-1, see `core.faces.smoothing`);
* per-region strengths, 0-1.5 (above 1 exaggerates): ``head_rotation``, ``head_position`` (position
  and scale; 0 keeps the portrait's place and size), ``eyes`` (openness and blinks), ``brows``,
  ``mouth`` (lips and jaw). See `core.faces.transformer`;
* pose and expression on top of the driving motion, the parameters of a performance file and with the
  same meaning (`core.faces.performance`): ``yaw``, ``pitch``, ``roll`` (degrees), ``mouth_open``,
  ``smile``, ``blink_left``, ``blink_right`` (1 closes that eye: a wink), ``brow_raise``;
* stabilisation, 0-1 (1 locks to the reference frame): ``lock_position``, ``lock_scale``,
  ``lock_rotation``. See `core.faces.stabilise`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from core.animation.keys import DEFAULT_INTERPOLATION, Curve, Interpolation, Key
from core.errors import ConfigError
from core.faces.performance import PARAMETER_RANGES, PARAMETERS
from core.faces.smoothing import DEFAULT_AMOUNT

#: Per-region strengths go up to this (above 1 exaggerates); the transformer checks the same bound
#: (`core.faces.transformer.MAX_REGION_STRENGTH`, not imported here: that module pulls in torch).
MAX_REGION_STRENGTH = 1.5


@dataclass(frozen=True)
class ControlSpec:
    """What the GUI needs to show a control, and the range every value is checked against."""

    name: str
    label: str
    group: str  # master, regions, pose, expression, stabilise
    low: float
    high: float
    default: float
    unit: str = ""


def _specs() -> dict[str, ControlSpec]:
    region = (0.0, MAX_REGION_STRENGTH)
    labels = {
        "yaw": "Turn (yaw)", "pitch": "Nod (pitch)", "roll": "Tilt (roll)", "mouth_open": "Mouth open",
        "smile": "Smile", "blink_left": "Close left eye", "blink_right": "Close right eye",
        "brow_raise": "Brow raise",
    }  # fmt: skip
    specs = [
        ControlSpec("strength", "Strength", "master", 0.0, 1.0, 1.0),
        ControlSpec("identity_adaptation", "Identity adaptation", "master", 0.0, 1.0, 0.0),
        ControlSpec("smoothing", "Smoothing", "master", 0.0, 1.0, DEFAULT_AMOUNT),
        ControlSpec("head_rotation", "Head rotation", "regions", *region, 1.0),
        ControlSpec("head_position", "Head position and scale", "regions", *region, 0.0),
        ControlSpec("eyes", "Eyes", "regions", *region, 1.0),
        ControlSpec("brows", "Brows", "regions", *region, 1.0),
        ControlSpec("mouth", "Mouth", "regions", *region, 1.0),
    ]
    for name in PARAMETERS:
        group = "pose" if name in ("yaw", "pitch", "roll") else "expression"
        unit = "°" if group == "pose" else ""
        specs.append(ControlSpec(name, labels[name], group, *PARAMETER_RANGES[name], 0.0, unit))
    specs += [
        ControlSpec("lock_position", "Lock position", "stabilise", 0.0, 1.0, 0.0),
        ControlSpec("lock_scale", "Lock scale", "stabilise", 0.0, 1.0, 0.0),
        ControlSpec("lock_rotation", "Lock rotation", "stabilise", 0.0, 1.0, 0.0),
    ]
    return {spec.name: spec for spec in specs}


#: Every control, in the order the GUI lists them.
CONTROLS: dict[str, ControlSpec] = _specs()


def control_spec(name: str) -> ControlSpec:
    """The control called `name`; ConfigError listing the controls when there is none."""
    spec = CONTROLS.get(name)
    if spec is None:
        raise ConfigError(f"unknown control {name!r}; controls are {', '.join(CONTROLS)}")
    return spec


def check_value(name: str, value: float) -> float:
    """`value` as a float when it is in the control's range; ConfigError naming the control otherwise."""
    spec = control_spec(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not spec.low <= value <= spec.high:
        raise ConfigError(f"{spec.label.lower()} must be between {spec.low:g} and {spec.high:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Controls:
    """The static value of every control (what a control without keys holds on every frame)."""

    strength: float = 1.0
    identity_adaptation: float = 0.0
    smoothing: float = DEFAULT_AMOUNT
    head_rotation: float = 1.0
    head_position: float = 0.0
    eyes: float = 1.0
    brows: float = 1.0
    mouth: float = 1.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    mouth_open: float = 0.0
    smile: float = 0.0
    blink_left: float = 0.0
    blink_right: float = 0.0
    brow_raise: float = 0.0
    lock_position: float = 0.0
    lock_scale: float = 0.0
    lock_rotation: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, check_value(f.name, getattr(self, f.name)))

    def value(self, name: str) -> float:
        control_spec(name)
        return float(getattr(self, name))

    def with_values(self, **values: float) -> Controls:
        return replace(self, **values)

    def to_dict(self) -> dict[str, float]:
        """Only the values that differ from the defaults (small project files that read well)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}

    @classmethod
    def from_dict(cls, data: Any, where: str = "controls") -> Controls:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be an object of control values")
        try:
            for name in data:
                control_spec(name)
            return cls(**data)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err


@dataclass(frozen=True)
class Animation:
    """The keyframed controls: (name, curve) pairs in name order, each value in its control's range."""

    curves: tuple[tuple[str, Curve], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "curves", tuple(sorted(self.curves, key=lambda item: item[0])))
        names = [name for name, _ in self.curves]
        if len(set(names)) != len(names):
            raise ConfigError("an animation has one curve per control")
        for name, curve in self.curves:
            for key in curve.keys:
                check_value(name, key.value)

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """The animated controls."""
        return tuple(name for name, _ in self.curves)

    def curve(self, name: str) -> Curve | None:
        return dict(self.curves).get(name)

    def value(self, name: str, frame: float, controls: Controls) -> float:
        """The control's value on `frame` (its static value when it has no curve)."""
        curve = self.curve(name)
        if curve is None:
            return controls.value(name)
        spec = CONTROLS[name]
        return float(np.clip(curve.value(frame), spec.low, spec.high))

    def evaluate(self, frames: np.ndarray, controls: Controls) -> dict[str, np.ndarray]:
        """Every control's (N,) values on `frames` (N,): curves where animated, static values elsewhere."""
        frames = np.asarray(frames, np.float64)
        out = {name: np.full(frames.shape, getattr(controls, name)) for name in CONTROLS}
        for name, curve in self.curves:
            spec = CONTROLS[name]
            out[name] = np.clip(curve.value_at(frames), spec.low, spec.high)
        return out

    def key_frames(self, names: Iterable[str] | None = None) -> tuple[float, ...]:
        """Sorted frames that hold a key of any of `names` (all controls by default): timeline marks."""
        wanted = set(self.names if names is None else names)
        return tuple(sorted({f for name, curve in self.curves if name in wanted for f in curve.frames}))

    def previous_key_frame(self, frame: float, names: Iterable[str] | None = None) -> float | None:
        """The nearest key frame before `frame` (jump to previous key)."""
        before = [f for f in self.key_frames(names) if f < frame - 1e-6]
        return before[-1] if before else None

    def next_key_frame(self, frame: float, names: Iterable[str] | None = None) -> float | None:
        """The nearest key frame after `frame` (jump to next key)."""
        after = [f for f in self.key_frames(names) if f > frame + 1e-6]
        return after[0] if after else None

    # -- edits (each returns a new animation) --------------------------------------------------------------
    def with_curve(self, name: str, curve: Curve | None) -> Animation:
        """`name` animated by `curve`, or not animated (None: back to its static value)."""
        control_spec(name)
        rest = tuple(item for item in self.curves if item[0] != name)
        return Animation(rest if curve is None else (*rest, (name, curve)))

    def set_key(self, name: str, frame: float, value: float, interpolation: Interpolation | None = None) -> Animation:
        """A key of `name` on `frame` (added, or the existing one changed)."""
        value = check_value(name, value)
        curve = self.curve(name)
        if curve is None:
            return self.with_curve(name, Curve((Key(frame, value, interpolation or DEFAULT_INTERPOLATION),)))
        return self.with_curve(name, curve.with_key(frame, value, interpolation))

    def delete_key(self, name: str, frame: float) -> Animation:
        """The key of `name` on `frame` removed (its last key: the control is no longer animated)."""
        return self.with_curve(name, self._curve(name).without_key(frame))

    def move_key(self, name: str, frame: float, to_frame: float, value: float | None = None) -> Animation:
        if value is not None:
            check_value(name, value)
        return self.with_curve(name, self._curve(name).moved_key(frame, to_frame, value))

    def set_interpolation(self, name: str, frame: float, interpolation: Interpolation) -> Animation:
        return self.with_curve(name, self._curve(name).with_interpolation(frame, interpolation))

    def _curve(self, name: str) -> Curve:
        curve = self.curve(name)
        if curve is None:
            raise KeyError(f"{name} has no keys")
        return curve

    # -- plain data ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"curves": {name: curve.to_list() for name, curve in self.curves}}

    @classmethod
    def from_dict(cls, data: Any, where: str = "animation") -> Animation:
        if not isinstance(data, Mapping) or set(data) - {"curves"}:
            raise ConfigError(f"{where} must be an object with 'curves'")
        curves = data.get("curves", {})
        if not isinstance(curves, Mapping):
            raise ConfigError(f"{where}: curves must map control names to lists of keys")
        try:
            items = [(control_spec(name).name, Curve.from_list(keys, name)) for name, keys in curves.items()]
            return cls(tuple(items))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err



#: The defaults, shared (both are immutable): every control at its default value, and no keys.
DEFAULT_CONTROLS = Controls()
NO_ANIMATION = Animation()
