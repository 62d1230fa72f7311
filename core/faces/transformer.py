"""Landmark transformer: carry the driver's pose and expression onto the source's own face shape.

A *stand-in* for MarioNETte's landmark transformer, which is a network learned from many identities
and needs its training data; this one is geometric and needs none. Shapes are normalised with the
weak-perspective shape model (`core.faces.shape_model`): translation, scale and the 3D head rotation
are factored out, leaving each frame's pose-free 3D shape X. Then:

- relative mode (default): the driving expression is the displacement of X from a reference driving
  frame (by default the one whose pose and expression are closest to the source's), scaled per region
  (each eye, the brows, nose, mouth, jaw) by the ratio of the source's region size to the driver's at
  the reference; the head rotation changes relative to the reference as well, so the source starts in
  its own pose;
- absolute mode: each region of the driver's shape is taken as is (re-scaled to the source's region
  size and placed at the source's region position), and the head rotation is the driver's own.

Amounts (all per frame, so keyframed controls can drive them; `TransferOptions` holds static ones):

- ``strength`` s in [0, 1], the master of the expression: the pose-free shape goes from the base
  (s = 0: the source's own shape and expression, still under the driving pose) to the full transfer;
- per-region strengths in [0, 1.5] multiply it where they apply (above 1 exaggerates): ``eyes``
  (lids: openness and blinks), ``brows``, ``mouth`` (lips and jaw, which opens with it); the nose
  follows the master alone;
- ``head_rotation`` in [0, 1.5] scales the head's rotation away from the reference (the rotation
  vector of driver-relative-to-reference, so 0 keeps the portrait's own pose);
- ``head_position`` in [0, 1.5] carries over the driver's motion across the frame and toward the camera,
  relative to the reference frame and in proportion to the face sizes (0, the default, keeps the
  portrait's own place and size: the face is rendered in a crop fixed on the portrait, and the head
  turns on its neck there, `core.faces.shape_model.NECK_PIVOT`);
- ``identity_adaptation`` a in [0, 1] moves the base from the source's shape toward the driver's (its
  reference shape in relative mode, its median shape in absolute mode), and the transfer target toward
  the driver's own shapes: a = 1 gives the driver's shape, still under the directed pose, while every
  region strength keeps its meaning.

`limit` keeps the result where the renderer can draw it: the turn away from the portrait's pose is
eased into at most `MAX_TURN_DEGREES`, the size into a factor of `MAX_SCALE_CHANGE`, and the head's
landmarks into the crop (less a margin), each with a soft knee (no change below it, a smooth approach
to the limit above, so a head that moves too far slows to a stop instead of jumping).

Everything is vectorised over frames. An identity/expression PCA could refine the per-region scaling
given many identities; with the handful available here it would not generalise, so none ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from core.errors import ConfigError
from core.faces.pose import rotation_matrices, rotation_vectors
from core.faces.regions import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE
from core.faces.shape_model import ShapeFit, fit_shapes, neck_swing

#: Regions scaled independently in relative mode (the brows share one ratio).
TRANSFER_REGIONS: dict[str, tuple[int, ...]] = {
    "left_eye": LEFT_EYE,
    "right_eye": RIGHT_EYE,
    "brows": LEFT_BROW + RIGHT_BROW,
    "nose": NOSE,
    "mouth": MOUTH,
    "jaw": JAW,
}
_RATIO_LIMITS = (0.5, 2.0)

#: Landmarks each expression strength acts on (the nose follows the master strength alone).
STRENGTH_REGIONS: dict[str, tuple[int, ...]] = {
    "eyes": LEFT_EYE + RIGHT_EYE,
    "brows": LEFT_BROW + RIGHT_BROW,
    "mouth": MOUTH + JAW,
}
#: Per-region strengths, from 0 to this (above 1 exaggerates).
MAX_REGION_STRENGTH = 1.5
#: Every amount `LandmarkTransformer.transfer` reads per frame.
AMOUNTS: tuple[str, ...] = ("strength", "identity_adaptation", "head_rotation", "head_position", "eyes", "brows", "mouth")

#: The head turns at most this far from the portrait's pose (eased in from `_TURN_KNEE`): past it the
#: source photo has no pixels for the far side of the face.
MAX_TURN_DEGREES = 55.0
_TURN_KNEE = 45.0
#: The head grows or shrinks by at most this factor (eased in from `_SCALE_KNEE`).
MAX_SCALE_CHANGE = 1.3
_SCALE_KNEE = 1.15
#: Landmarks stay this fraction of the crop inside its border; moves are eased in from `_MOVE_KNEE` of
#: the room there is.
CROP_MARGIN = 0.03
_MOVE_KNEE = 0.7


@dataclass(frozen=True)
class TransferOptions:
    strength: float = 1.0
    identity_adaptation: float = 0.0
    relative: bool = True
    reference_frame: int | None = None  # None: the frame closest to the source
    head_rotation: float = 1.0
    head_position: float = 0.0
    eyes: float = 1.0
    brows: float = 1.0
    mouth: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in ("relative", "reference_frame"):
                continue
            high = 1.0 if f.name in ("strength", "identity_adaptation") else MAX_REGION_STRENGTH
            value = getattr(self, f.name)
            if not 0.0 <= value <= high:
                raise ConfigError(f"{f.name.replace('_', ' ')} must be between 0 and {high:g}, got {value}")

    def amounts(self) -> dict[str, float]:
        """The static amounts, in the form `LandmarkTransformer.transfer` takes."""
        return {name: getattr(self, name) for name in AMOUNTS}


def _region_extent(shape: np.ndarray, indices: tuple[int, ...]) -> np.ndarray:
    """(..., 2) width and height of a region of pose-free shapes (..., 68, 3)."""
    pts = shape[..., indices, :2]
    return pts.max(-2) - pts.min(-2)


def region_ratios(source_shape: np.ndarray, driving_shape: np.ndarray) -> np.ndarray:
    """(68, 3) per-landmark scale from driver to source proportions (x, y per region; z their mean)."""
    ratios = np.ones((68, 3))
    for indices in TRANSFER_REGIONS.values():
        src = _region_extent(source_shape, indices)
        drv = _region_extent(driving_shape, indices)
        xy = np.clip(src / np.maximum(drv, 1e-6), *_RATIO_LIMITS)
        # A region's height can be all expression (a closed eye): fall back to its width ratio.
        if min(src[1], drv[1]) < 0.25 * max(src[0], drv[0]):
            xy[1] = xy[0]
        ratios[list(indices), :2] = xy
        ratios[list(indices), 2] = xy.mean()
    return ratios


def soft_clip(x: np.ndarray, low: np.ndarray | float, high: np.ndarray | float, knee: float = 0.7) -> np.ndarray:
    """`x` unchanged between ``knee * low`` and ``knee * high`` (low <= 0 <= high), beyond that eased
    smoothly (tanh, slope 1 at the knee) toward `low` or `high`, which it never passes."""
    x = np.asarray(x, np.float64)
    low, high = np.minimum(low, 0.0), np.maximum(high, 0.0)
    out = x.copy()
    for sign, bound in ((1.0, high), (-1.0, -low)):
        start = knee * bound
        room = np.maximum(bound - start, 1e-12)
        beyond = sign * x - start
        eased = start + room * np.tanh(np.maximum(beyond, 0.0) / room)
        out = np.where(beyond > 0, sign * eased, out)
    return out


def scale_rotations(rotations: np.ndarray, amount: np.ndarray | float) -> np.ndarray:
    """(T, 3, 3) rotations scaled about their axes: ``amount`` 0 is no rotation, 1 the rotation itself."""
    vectors = rotation_vectors(rotations) * np.reshape(amount, (-1, 1))
    return rotation_matrices(vectors)


def _per_frame(values: Mapping[str, np.ndarray | float], name: str, frames: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values[name], np.float64), (frames,))


class LandmarkTransformer:
    """Transforms driving landmark sequences onto one source shape (fit once).

    `crop_size`, when given, is the side of the square crop the landmarks live in (the model's
    resolution): `limit` keeps heads inside it.
    """

    def __init__(self, source_landmarks: np.ndarray, crop_size: int | None = None):
        self.source_landmarks = np.asarray(source_landmarks, dtype=np.float64).reshape(68, 2)
        self.source: ShapeFit = fit_shapes(self.source_landmarks)
        self.crop_size = crop_size

    def closest_frame(self, driving: ShapeFit, valid: np.ndarray | None = None) -> int:
        """The driving frame whose pose and expression are nearest the source's."""
        pose_cost = np.abs(driving.angles - self.source.angles).sum(-1) / 10.0  # 10 degrees ~ 1
        centred_src = self.source.shape3d[0, :, :2] - self.source.shape3d[0, :, :2].mean(0)
        centred_drv = driving.shape3d[..., :2] - driving.shape3d[..., :2].mean(-2, keepdims=True)
        expression_cost = np.sqrt(((centred_drv - centred_src) ** 2).sum(-1).mean(-1)) / 2.0  # 2 mm ~ 1
        cost = pose_cost + expression_cost
        if valid is not None and np.any(valid):
            cost = np.where(valid, cost, np.inf)
        return int(np.argmin(cost))

    def transform(
        self,
        driving_landmarks: np.ndarray,
        options: TransferOptions,
        valid: np.ndarray | None = None,
        driving_fit: ShapeFit | None = None,
    ) -> np.ndarray:
        """(T, 68, 2) driving landmarks (in the driver's aligned frame) -> (T, 68, 2) for the source."""
        driving_landmarks = np.asarray(driving_landmarks, dtype=np.float64)
        if driving_landmarks.ndim != 3 or driving_landmarks.shape[1:] != (68, 2):
            raise ValueError(f"driving landmarks must have shape (T, 68, 2), got {driving_landmarks.shape}")
        fit = driving_fit if driving_fit is not None else fit_shapes(driving_landmarks)
        ref = self.reference_index(fit, options.reference_frame, valid)
        identity = None if options.relative else np.median(fit.shape3d, axis=0)
        head = self.transfer(fit, fit.take(ref), options.amounts(), identity)
        return self.limit(head).project().astype(np.float32)

    def reference_index(self, fit: ShapeFit, reference_frame: int | None, valid: np.ndarray | None = None) -> int:
        """The user's reference frame (checked), or the frame closest to the source."""
        ref = self.closest_frame(fit, valid) if reference_frame is None else reference_frame
        frames = len(fit.scale)
        if not 0 <= ref < frames:
            raise ConfigError(f"reference frame {ref} is outside the driving sequence (0 to {frames - 1})")
        return ref

    def transfer(
        self,
        driving: ShapeFit,
        reference: ShapeFit,
        amounts: Mapping[str, np.ndarray | float],
        absolute_identity: np.ndarray | None = None,
    ) -> ShapeFit:
        """The source's head (shape, rotation, scale, place) for each driving frame.

        `reference` is one fitted frame the motion is measured from (a frame of the driver, or the
        source's own face for a parametric driver). `amounts` maps each of `AMOUNTS` to a number or a
        (T,) array. `absolute_identity`, the driver's typical (median) pose-free shape, selects absolute
        mode; None is relative mode.
        """
        frames = len(driving.scale)
        amount = {name: _per_frame(amounts, name, frames) for name in AMOUNTS}
        src = self.source
        source_shape = src.shape3d[0]
        adapt = amount["identity_adaptation"][:, None, None]
        if absolute_identity is None:
            identity = reference.shape3d[0]
            ratios = region_ratios(source_shape, identity)
            target = source_shape + ratios * (driving.shape3d - identity)
            turn = driving.rotation @ reference.rotation[0].T
        else:
            identity = absolute_identity
            target = self._absolute_shapes(driving.shape3d, identity)
            turn = driving.rotation @ src.rotation[0].T
        base = source_shape + adapt * (identity - source_shape)
        target = target + adapt * (driving.shape3d - target)
        weight = np.repeat(amount["strength"][:, None], 68, 1)
        for name, indices in STRENGTH_REGIONS.items():
            weight[:, list(indices)] *= amount[name][:, None]
        shape = base + weight[..., None] * (target - base)
        rotation = scale_rotations(turn, amount["head_rotation"]) @ src.rotation[0]
        follow = amount["head_position"]
        size_ratio = src.scale[0] / reference.scale[0]
        scale = src.scale[0] * (driving.scale / reference.scale[0]) ** follow
        translation = src.translation[0] + follow[:, None] * size_ratio * (driving.translation - reference.translation[0])
        # Where the driver's place is not followed, the head turns on its neck: the pivot keeps its place.
        # measured from the pose the head has at the reference frame (the portrait's own in relative
        # mode), so in absolute mode too the head keeps the portrait's place on average
        turn_at_reference = np.broadcast_to(
            np.eye(3) if absolute_identity is None else reference.rotation[0] @ src.rotation[0].T, turn.shape
        )
        anchor = scale_rotations(turn_at_reference, amount["head_rotation"]) @ src.rotation[0]
        swing = neck_swing(scale, anchor, rotation)
        translation = translation + (1.0 - np.clip(follow, 0.0, 1.0))[:, None] * swing
        return ShapeFit(scale=scale, rotation=rotation, translation=translation, shape3d=shape)

    def limit(self, head: ShapeFit) -> ShapeFit:
        """`head` eased into the turn, size and place the renderer can draw (see the module notes)."""
        src = self.source
        turn = rotation_vectors(head.rotation @ src.rotation[0].T)
        angle = np.degrees(np.linalg.norm(turn, axis=-1))
        eased = soft_clip(angle, 0.0, MAX_TURN_DEGREES, _TURN_KNEE / MAX_TURN_DEGREES)
        factor = np.where(angle > 1e-9, eased / np.maximum(angle, 1e-9), 1.0)
        rotation = rotation_matrices(turn * factor[:, None]) @ src.rotation[0]
        bound = np.log(MAX_SCALE_CHANGE)
        log_scale = soft_clip(np.log(head.scale / src.scale[0]), -bound, bound, np.log(_SCALE_KNEE) / bound)
        scale = src.scale[0] * np.exp(log_scale)
        translation = head.translation
        if self.crop_size is not None:
            extent = scale[:, None, None] * (head.shape3d @ np.swapaxes(rotation[:, :2], -1, -2))
            margin = CROP_MARGIN * self.crop_size
            low = margin - extent.min(1) - src.translation[0]
            high = self.crop_size - 1 - margin - extent.max(1) - src.translation[0]
            offset = soft_clip(translation - src.translation[0], low, high, _MOVE_KNEE)
            translation = src.translation[0] + offset
        return ShapeFit(scale=scale, rotation=rotation, translation=translation, shape3d=head.shape3d)

    def _absolute_shapes(self, driving_shapes: np.ndarray, mean_driver: np.ndarray) -> np.ndarray:
        """The driver's regions as they are, re-scaled to and placed at the source's regions."""
        source_shape = self.source.shape3d[0]
        ratios = region_ratios(source_shape, mean_driver)
        out = np.array(np.broadcast_to(source_shape, driving_shapes.shape))
        for indices in TRANSFER_REGIONS.values():
            idx = list(indices)
            src_centre = source_shape[idx].mean(0)
            drv_centre = mean_driver[idx].mean(0)
            out[:, idx] = src_centre + ratios[idx] * (driving_shapes[:, idx] - drv_centre)
        return out
