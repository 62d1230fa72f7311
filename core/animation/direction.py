"""The motion of a render: a driving sequence, a source, the controls and their keys -> the (T, 68, 2)
landmarks (crop pixels) the renderer draws. The one function the pipeline calls for them.

Per frame, in order:

1. every control's value on the frame (`Animation.evaluate`: its curve where keyed, else its static
   value in `Controls`);
2. the driver. A video: its landmarks at the frame's smoothing amount (amounts between the cached
   levels, which are 1/`SMOOTHING_STEPS` apart, blend the two nearest), fitted with the shape model.
   A parametric driver (a performance, or `still_sequence` for keys alone): its face parameters, scaled
   by the strengths (``head_rotation`` and the rotation lock on the pose, ``strength`` times ``eyes``,
   ``brows`` or ``mouth`` on the expression);
3. stabilisation of a video's driver toward the reference frame (`core.faces.stabilise`);
4. the landmark transformer (`core.faces.transformer`): per-region expression, rotation, position
   and scale, identity adaptation;
5. the pose and expression controls on top (`core.faces.performance.apply_params`: the same function
   that plays a performance file, so a control means the same in both);
6. the limits of the crop (`LandmarkTransformer.limit`) and the projection to crop pixels.

The reference frame (the driver's pose and expression the motion is measured from) is the user's, or
the frame closest to the source. A parametric driver's reference is the portrait's own face (its
parameters are offsets from it by definition), so `relative` and `reference_frame` do not apply to it,
nor do smoothing (there is nothing to smooth), position and size (it has none) and identity adaptation
(the face is the portrait's own).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.animation.tracks import DEFAULT_CONTROLS, NO_ANIMATION, Animation, Controls
from core.animation.trajectory import Trajectory, measure
from core.errors import ConfigError
from core.faces.driving import DrivingSequence
from core.faces.performance import EXPRESSION_LIMITS, PARAMETERS, apply_params
from core.faces.shape_model import ShapeFit, fit_shapes
from core.faces.stabilise import stabilise
from core.faces.transformer import LandmarkTransformer

#: Smoothing amounts are computed on a grid of this many steps when the amount is keyed.
SMOOTHING_STEPS = 20

#: For a parametric driver: the controls whose product scales each face parameter.
_PARAMETER_SCALES: dict[str, tuple[str, ...]] = {
    "yaw": ("head_rotation",), "pitch": ("head_rotation",), "roll": ("head_rotation",),
    "mouth_open": ("strength", "mouth"), "smile": ("strength", "mouth"),
    "blink_left": ("strength", "eyes"), "blink_right": ("strength", "eyes"),
    "brow_raise": ("strength", "brows"),
}  # fmt: skip


@dataclass(frozen=True)
class Direction:
    """Everything besides the source and the driver that decides the motion: the controls' static values,
    their keys, relative or absolute transfer and the reference frame (None: the frame closest to the
    source). Frozen and hashable, so it can key a render cache."""

    controls: Controls = DEFAULT_CONTROLS
    animation: Animation = NO_ANIMATION
    relative: bool = True
    reference_frame: int | None = None

    @classmethod
    def from_render_options(
        cls, options: object, controls: Controls = DEFAULT_CONTROLS, animation: Animation = NO_ANIMATION
    ) -> Direction:
        """The direction of a `core.config.RenderOptions` (its strength, identity adaptation, smoothing,
        relative and reference frame), with the other controls' static values and the keys."""
        statics = controls.with_values(
            strength=options.strength,  # type: ignore[attr-defined]
            identity_adaptation=options.identity_adaptation,  # type: ignore[attr-defined]
            smoothing=options.smoothing,  # type: ignore[attr-defined]
        )
        return cls(statics, animation, options.relative, options.reference_frame)  # type: ignore[attr-defined]


DEFAULT_DIRECTION = Direction()


def still_sequence(source_landmarks: np.ndarray, frame_count: int, size: int, fps: float = 25.0, name: str = "keys") -> DrivingSequence:
    """A driver that holds the portrait's own face for `frame_count` frames: the keys alone move it
    (authoring without a video)."""
    if frame_count < 1:
        raise ConfigError(f"a timeline needs at least one frame, got {frame_count}")
    raw = np.broadcast_to(np.asarray(source_landmarks, np.float32), (frame_count, 68, 2)).copy()
    return DrivingSequence(
        kind="performance",
        name=name,
        fps=fps,
        raw=raw,
        has_face=np.ones(frame_count, bool),
        frame_size=(size, size),
        canonical=True,
        params=np.zeros((frame_count, len(PARAMETERS))),
    )


class Director:
    """The motion of one source under one driving sequence, for any controls and keys.

    Holds what does not depend on them (the source's fit, the driver's fits per smoothing amount), so
    a key drag re-evaluates only what it changes. Thread-safe: caches are guarded, work runs outside.
    """

    def __init__(self, driving: DrivingSequence, source_landmarks: np.ndarray, size: int):
        self.driving = driving
        self.size = size
        self.transformer = LandmarkTransformer(source_landmarks, crop_size=size)
        self._lock = threading.Lock()
        self._fits: dict[float, ShapeFit] = {}
        self._medians: dict[float, np.ndarray] = {}
        self._closest: dict[float, int] = {}

    @property
    def parametric(self) -> bool:
        """True for a performance or a still face (parameters), False for a video (landmarks)."""
        return self.driving.params is not None

    @property
    def frame_count(self) -> int:
        return self.driving.frame_count

    # -- the one call ---------------------------------------------------------------------------------------
    def landmarks(
        self, direction: Direction = DEFAULT_DIRECTION, frames: Sequence[int] | np.ndarray | None = None
    ) -> np.ndarray:
        """(F, 68, 2) float32 landmarks in crop pixels for `frames` (all frames by default)."""
        return self.head(direction, frames).project().astype(np.float32)

    def head(self, direction: Direction = DEFAULT_DIRECTION, frames: Sequence[int] | np.ndarray | None = None) -> ShapeFit:
        """The portrait's head (shape, rotation, scale, place) on `frames`, limited to the crop."""
        index = self._frames(frames)
        values = direction.animation.evaluate(index, direction.controls)
        controls_params = np.stack([values[name] for name in PARAMETERS], -1)
        if self.parametric:
            head = self._parametric_head(values, index, controls_params)
        else:
            reference = self._reference(direction)
            driver = self._stabilised(values, index, reference)
            identity = None if direction.relative else self._median_shape(direction.controls.smoothing)
            transferred = self.transformer.transfer(driver, reference, values, identity)
            head = apply_params(transferred, controls_params)
        return self.transformer.limit(head)

    def reference_frame(self, direction: Direction = DEFAULT_DIRECTION) -> int | None:
        """The driving frame motion is measured from: the user's (checked), or the one closest to the
        source; None for a parametric driver (its reference is the portrait's own face)."""
        if self.parametric:
            return None
        fit = self._full_fit(direction.controls.smoothing)
        if direction.reference_frame is not None:
            return self.transformer.reference_index(fit, direction.reference_frame)
        key = round(float(direction.controls.smoothing), 4)
        with self._lock:
            closest = self._closest.get(key)
        if closest is None:
            closest = self.transformer.closest_frame(fit, self.driving.has_face)
            with self._lock:
                self._closest[key] = closest
        return closest

    def trajectory(self, direction: Direction = DEFAULT_DIRECTION) -> Trajectory:
        """Every frame's head channels: the driver as analysed and as used, and the portrait as rendered.
        (A parametric driver is used as it is: its ``used`` is its ``raw``.)"""
        index = np.arange(self.frame_count)
        source = self.transformer.source
        result = measure(self.head(direction), source)
        if self.parametric:
            raw = measure(fit_shapes(self.driving.raw), source)
            return Trajectory(raw=raw, used=raw, result=result)
        values = direction.animation.evaluate(index, direction.controls)
        reference = self._reference(direction)
        raw = measure(self._full_fit(0.0), reference)
        used = measure(self._stabilised(values, index, reference), reference)
        return Trajectory(raw=raw, used=used, result=result)

    # -- parts ----------------------------------------------------------------------------------------------
    def _frames(self, frames: Sequence[int] | np.ndarray | None) -> np.ndarray:
        if frames is None:
            return np.arange(self.frame_count)
        index = np.asarray(frames, dtype=np.int64).reshape(-1)
        if index.size and (index.min() < 0 or index.max() >= self.frame_count):
            raise IndexError(f"frames must be within 0..{self.frame_count - 1}")
        return index

    def parameters(
        self, direction: Direction = DEFAULT_DIRECTION, frames: Sequence[int] | np.ndarray | None = None
    ) -> np.ndarray:
        """(F, 8) face parameters (`core.faces.performance.PARAMETERS`) the portrait performs on `frames`
        under a parametric driver: the driver's, scaled by the strengths, with the pose and expression
        controls on top, within the expression limits. What a performance saved from them holds."""
        if not self.parametric:
            raise ValueError("a video's motion is landmarks, not face parameters")
        index = self._frames(frames)
        values = direction.animation.evaluate(index, direction.controls)
        return self._parameters(values, index, np.stack([values[name] for name in PARAMETERS], -1))

    def _parametric_head(self, values: dict[str, np.ndarray], index: np.ndarray, controls_params: np.ndarray) -> ShapeFit:
        params = self._parameters(values, index, controls_params)
        src = self.transformer.source
        frames = len(index)
        base = ShapeFit(
            np.repeat(src.scale, frames), np.repeat(src.rotation, frames, 0), np.repeat(src.translation, frames, 0),
            np.repeat(src.shape3d, frames, 0),
        )
        return apply_params(base, params)

    def _parameters(self, values: dict[str, np.ndarray], index: np.ndarray, controls_params: np.ndarray) -> np.ndarray:
        params = np.asarray(self.driving.params, np.float64)[index]
        rotation_lock = 1.0 - values["lock_rotation"]
        for column, name in enumerate(PARAMETERS):
            factor = np.prod([values[amount] for amount in _PARAMETER_SCALES[name]], axis=0)
            if column < 3:
                factor = factor * rotation_lock
            params[:, column] *= factor
        params += controls_params
        for column, name in enumerate(PARAMETERS):
            if name in EXPRESSION_LIMITS:
                params[:, column] = np.clip(params[:, column], *EXPRESSION_LIMITS[name])
        return params

    def _stabilised(self, values: dict[str, np.ndarray], index: np.ndarray, reference: ShapeFit) -> ShapeFit:
        driver = self._driver_fit(values["smoothing"], index)
        return stabilise(driver, reference, values["lock_position"], values["lock_scale"], values["lock_rotation"])

    def _reference(self, direction: Direction) -> ShapeFit:
        ref = self.reference_frame(direction)
        if ref is None:
            return self.transformer.source
        smoothing = direction.animation.value("smoothing", ref, direction.controls)
        return self._driver_fit(np.array([smoothing]), np.array([ref]))

    def _driver_fit(self, smoothing: np.ndarray, index: np.ndarray) -> ShapeFit:
        """The driver's fit on `index` at per-frame smoothing amounts."""
        if len(smoothing) == 0 or np.all(smoothing == smoothing[0]):
            amount = float(smoothing[0]) if len(smoothing) else 0.0
            return self._full_fit(amount).take(index)
        steps = np.clip(smoothing, 0.0, 1.0) * SMOOTHING_STEPS
        low = np.floor(steps)
        weight = steps - low
        blended = np.zeros((len(index), 68, 2))
        for level in np.unique(np.concatenate([low, np.minimum(low + 1, SMOOTHING_STEPS)])):
            share = np.where(low == level, 1.0 - weight, 0.0) + np.where(low + 1 == level, weight, 0.0)
            if np.any(share):
                landmarks = self.driving.landmarks(float(level) / SMOOTHING_STEPS, self.size)[index]
                blended += share[:, None, None] * landmarks
        return fit_shapes(blended)

    def _full_fit(self, smoothing: float) -> ShapeFit:
        key = round(float(smoothing), 4)
        with self._lock:
            fit = self._fits.get(key)
        if fit is None:
            fit = fit_shapes(self.driving.landmarks(key, self.size))
            with self._lock:
                self._fits[key] = fit
        return fit

    def _median_shape(self, smoothing: float) -> np.ndarray:
        """The driver's typical pose-free shape (absolute mode), over its frames with a face."""
        key = round(float(smoothing), 4)
        with self._lock:
            median = self._medians.get(key)
        if median is None:
            shapes = self._full_fit(key).shape3d
            median = np.median(shapes[np.asarray(self.driving.has_face, bool)], axis=0)
            with self._lock:
                self._medians[key] = median
        return median


def directed_landmarks(
    driving: DrivingSequence,
    source_landmarks: np.ndarray,
    size: int,
    direction: Direction = DEFAULT_DIRECTION,
    frames: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """(F, 68, 2) landmarks in crop pixels: `driving` carried onto the source under the controls and keys.

    What `Reenactor.transformed_landmarks` returns today, with every control; a one-shot `Director`
    (hold a `Director` per source and driving to reuse its fits between calls).
    """
    return Director(driving, source_landmarks, size).landmarks(direction, frames)
