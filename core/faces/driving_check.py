"""The driving check: after analysis, which frames of a driver will not give a good result, and why.

Flags (each a range of frames with a kind and a message a person can act on):

* ``no_face``: no face was found (those frames hold the last good landmarks);
* ``small_face``: the face is under `SMALL_FACE_PX` wide in the video, where landmarks get noisy;
* ``pose``: the head is turned further from the reference frame than the model handles well
  (`POSE_LIMITS`): the portrait would have to show a side of the face its photo does not have;
* ``glitch``: the landmarks jump away and come back within `MAX_GLITCH_FRAMES` frames: unstable tracking.
  (Which of the two states is right the check cannot tell: on Megamind's frames 154-179 dlib alternates
  between the mouth on the mouth and the mouth on the chin, and the shorter-lived state is flagged);
* ``jump``: the landmarks jump and stay (a cut, or the tracker switching faces): the head will jump too;
* ``reference``: the reference frame is not neutral (mouth open, eyes closing) or is turned far from the
  portrait's pose; the check suggests the best frame instead.

Motion is measured in face widths (ear to ear, from the shape model's scale, so turning does not
shrink it) per frame at 25 fps (rescaled for other rates), so thresholds do not depend on resolution. The thresholds were set on Megamind.avi
(24 fps, faces 120-270 px wide): its cuts (frames 98, 154, 200) are jumps, and its ordinary
talking-head motion raises nothing.

`held_frames` maps each frame to the frame an export shows instead: flagged frames hold the last good
one (`HOLDABLE` kinds; a jump is a real change of shot and is not held).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.faces.driving import DrivingSequence
from core.faces.mean_shape import MEAN_FACE_3D
from core.faces.shape_model import ShapeFit, eye_openness, fit_shapes, mouth_opening

FLAG_KINDS: tuple[str, ...] = ("no_face", "small_face", "pose", "glitch", "jump", "reference")
#: Kinds an export may hold the last good frame over.
HOLDABLE: tuple[str, ...] = ("no_face", "small_face", "pose", "glitch")

#: Faces narrower than this (pixels of the video, ear to ear) give noisy landmarks.
SMALL_FACE_PX = 100.0
#: Largest turn from the reference frame the model handles well: yaw, pitch, roll in degrees.
POSE_LIMITS = (40.0, 25.0, 30.0)
#: A frame-to-frame move of the landmarks (median, in face widths at 25 fps) or size change beyond these
#: is a jump (Megamind's talking head: 99 % of moves under 0.17 and of size changes under 1.19).
JUMP_MOTION = 0.15
JUMP_SIZE_RATIO = 1.15
#: A jump that comes back within this many frames is a glitch.
MAX_GLITCH_FRAMES = 4
#: A reference frame with the mouth open wider than this (inner-lip gap / mouth width), with the eyes
#: under this share of the video's typical openness, or turned more than this many degrees (sum of
#: |yaw|, |pitch|, |roll| differences) from the portrait, is a poor reference.
REFERENCE_MOUTH = 0.12
REFERENCE_EYES = 0.7
REFERENCE_TURN = 20.0

_FACE_WIDTH_MM = float(np.linalg.norm(MEAN_FACE_3D[16] - MEAN_FACE_3D[0]))


@dataclass(frozen=True)
class Flag:
    kind: str
    start: int  # first frame
    stop: int  # one past the last frame
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "stop": self.stop, "message": self.message}


@dataclass(frozen=True)
class DrivingCheck:
    """The flags of one driving sequence, in frame order, and the reference frame it would suggest."""

    frame_count: int
    flags: tuple[Flag, ...]
    reference_frame: int | None  # the reference that was checked (None: a parametric driver)
    suggested_reference: int | None

    def mask(self, kinds: tuple[str, ...] = HOLDABLE) -> np.ndarray:
        """(T,) True on frames with a flag of one of `kinds`."""
        out = np.zeros(self.frame_count, bool)
        for flag in self.flags:
            if flag.kind in kinds:
                out[flag.start : flag.stop] = True
        return out

    def of_kind(self, kind: str) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frame_count,
            "flags": [f.to_dict() for f in self.flags],
            "reference_frame": self.reference_frame,
            "suggested_reference": self.suggested_reference,
        }


def check_driving(
    driving: DrivingSequence, source_landmarks: np.ndarray | None = None, reference_frame: int | None = None
) -> DrivingCheck:
    """Flag the frames of `driving` (see the module notes). `source_landmarks` (68, 2), the portrait's,
    lets the reference be compared with the portrait's pose; `reference_frame` None checks the frame
    the landmark transformer would choose (the one closest to the source, or the suggested one)."""
    raw = np.asarray(driving.raw, np.float64)
    has_face = np.asarray(driving.has_face, bool)
    fit = fit_shapes(raw)
    frames = len(raw)
    parametric = driving.params is not None
    flags: list[Flag] = []
    flags += _runs(~has_face, "no_face", lambda a, b: f"no face found in {_frames(a, b)}")
    if not driving.canonical:
        width = fit.scale * _FACE_WIDTH_MM
        flags += _runs(
            has_face & (width < SMALL_FACE_PX),
            "small_face",
            lambda a, b: f"the face is only {width[a:b].min():.0f} px wide in {_frames(a, b)}: "
            f"landmarks are noisy under {SMALL_FACE_PX:.0f} px (use a closer or sharper shot)",
        )
    flags += _jumps(raw, fit.scale * _FACE_WIDTH_MM, has_face, driving.fps)
    source = None if source_landmarks is None else fit_shapes(source_landmarks)
    reference = suggestion = None
    if not parametric:
        suggestion = _suggest_reference(fit, has_face, source, _mask(flags, frames, (*HOLDABLE, "jump")))
        if reference_frame is not None:
            reference = reference_frame
        elif source_landmarks is not None:
            from core.faces.transformer import LandmarkTransformer

            reference = LandmarkTransformer(source_landmarks).closest_frame(fit, has_face)
        else:
            reference = suggestion
        flags += _pose_flags(np.abs(fit.angles - fit.angles[reference]), has_face)
        flags += _reference_flag(fit, has_face, reference, suggestion, source)
    else:
        flags += _pose_flags(np.abs(np.asarray(driving.params)[:, :3]), has_face)  # offsets from the portrait
    flags.sort(key=lambda f: (f.start, FLAG_KINDS.index(f.kind)))
    return DrivingCheck(frames, tuple(flags), reference, suggestion)


def held_frames(flagged: np.ndarray) -> np.ndarray:
    """(T,) for each frame the frame to show: itself, or over flagged frames the last good one before
    (the first good one after, for flagged frames at the start; itself when every frame is flagged)."""
    flagged = np.asarray(flagged, bool)
    index = np.arange(len(flagged))
    good = np.where(~flagged, index, -1)
    last_good = np.maximum.accumulate(good) if len(good) else good
    if not np.any(~flagged):
        return index
    first_good = int(np.argmax(~flagged))
    return np.where(last_good >= 0, last_good, first_good)


def hold_last_good(values: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Per-frame `values` (T, ...) with each flagged frame's row replaced by the last good frame's."""
    return np.asarray(values)[held_frames(flagged)]


# -- the checks ------------------------------------------------------------------------------------------
def _frames(start: int, stop: int) -> str:
    return f"frame {start}" if stop - start == 1 else f"frames {start}-{stop - 1}"


def _runs(mask: np.ndarray, kind: str, message) -> list[Flag]:
    """One flag per run of True in `mask`."""
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [Flag(kind, int(a), int(b), message(int(a), int(b))) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _mask(flags: list[Flag], frames: int, kinds: tuple[str, ...]) -> np.ndarray:
    return DrivingCheck(frames, tuple(flags), None, None).mask(kinds)


def _change(raw: np.ndarray, scale: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median landmark moves from frames a to frames b in face widths (`scale`: (T,) widths in pixels),
    and the size ratios (>= 1)."""
    move = np.median(np.linalg.norm(raw[b] - raw[a], axis=-1), axis=-1) / np.maximum(scale[a], 1e-6)
    ratio = np.maximum(scale[a], scale[b]) / np.maximum(np.minimum(scale[a], scale[b]), 1e-6)
    return move, ratio


def _jumps(raw: np.ndarray, scale: np.ndarray, has_face: np.ndarray, fps: float) -> list[Flag]:
    """Glitches (away and back within `MAX_GLITCH_FRAMES`) and lasting jumps between frames with a face;
    `scale` is each frame's face width in pixels."""
    rate = float(np.clip(25.0 / fps, 0.5, 2.0)) if fps and fps > 0 else 1.0
    faces = np.flatnonzero(has_face)

    def jumped(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        move, ratio = _change(raw, scale, a, b)
        return (move > JUMP_MOTION * rate) | (ratio > JUMP_SIZE_RATIO)

    steps = jumped(faces[:-1], faces[1:])  # steps[i]: a jump from faces[i] to faces[i + 1]
    flags: list[Flag] = []
    resume = 0
    for i in np.flatnonzero(steps):
        if i < resume:
            continue
        before, now = faces[i], int(faces[i + 1])
        later = np.arange(i + 2, min(i + 2 + MAX_GLITCH_FRAMES, len(faces)))
        back = later[steps[later - 1] & ~jumped(np.full(len(later), before), faces[later])]
        if len(back):
            stop = int(faces[back[0]])
            flags.append(Flag("glitch", now, stop, f"tracking glitch in {_frames(now, stop)}: the landmarks jump there and back (unstable tracking)"))
            resume = int(back[0])
            continue
        move, ratio = (float(v[0]) for v in _change(raw, scale, np.array([before]), np.array([now])))
        message = (
            f"the face jumps at frame {now} (by {move:.2f} face widths, size x{ratio:.2f}): "
            "a cut, the tracker switching faces, or a tracking error; the head will jump too"
        )
        flags.append(Flag("jump", now, now + 1, message))
    return flags


def _pose_flags(turn: np.ndarray, has_face: np.ndarray) -> list[Flag]:
    """Runs of frames whose (T, 3) |yaw, pitch, roll| turn from the reference exceeds `POSE_LIMITS`."""
    beyond = has_face & np.any(turn > np.array(POSE_LIMITS), axis=-1)
    names = ("yaw", "pitch", "roll")

    def message(a: int, b: int) -> str:
        worst = turn[a:b].max(0)
        parts = [f"{n} {w:.0f}°" for n, w, lim in zip(names, worst, POSE_LIMITS, strict=True) if w > lim]
        limits = ", ".join(f"{n} {lim:.0f}°" for n, lim in zip(names, POSE_LIMITS, strict=True))
        return f"head turned far from the reference in {_frames(a, b)} ({', '.join(parts)}; the model handles {limits})"

    return _runs(beyond, "pose", message)


def _turn_from(fit: ShapeFit, has_face: np.ndarray, source: ShapeFit | None) -> np.ndarray:
    """(T,) degrees (|yaw| + |pitch| + |roll| differences) from the portrait's pose, or without a
    portrait from the video's typical (median) pose."""
    angles = fit.angles
    pose = source.angles[0] if source is not None else np.median(angles[has_face] if np.any(has_face) else angles, 0)
    return np.abs(angles - pose).sum(-1)


def _neutrality(fit: ShapeFit, has_face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T,) mouth opening and (T,) eye openness as a share of the video's typical (median) openness."""
    eyes = eye_openness(fit.shape3d).mean(-1)
    typical = float(np.median(eyes[has_face])) if np.any(has_face) else float(np.median(eyes))
    return mouth_opening(fit.shape3d), eyes / max(typical, 1e-6)


def _suggest_reference(fit: ShapeFit, has_face: np.ndarray, source: ShapeFit | None, bad: np.ndarray) -> int:
    """The most neutral frame nearest the portrait's pose, among frames with a face and no flag."""
    mouth, eyes = _neutrality(fit, has_face)
    cost = _turn_from(fit, has_face, source) / 10.0 + mouth / 0.05 + np.maximum(0.0, 0.9 - eyes) / 0.1
    usable = has_face & ~bad
    if not np.any(usable):
        usable = has_face
    return int(np.argmin(np.where(usable, cost, np.inf)))


def _reference_flag(
    fit: ShapeFit, has_face: np.ndarray, reference: int, suggestion: int, source: ShapeFit | None
) -> list[Flag]:
    mouth, eyes = _neutrality(fit, has_face)
    turn = _turn_from(fit, has_face, source)
    problems = []
    if not has_face[reference]:
        problems.append("has no face")
    if mouth[reference] > REFERENCE_MOUTH:
        problems.append(f"has the mouth open ({mouth[reference]:.2f} of its width)")
    if eyes[reference] < REFERENCE_EYES:
        problems.append("has the eyes closing")
    if turn[reference] > REFERENCE_TURN:
        whose = "the portrait's pose" if source is not None else "the video's usual pose"
        problems.append(f"is turned {turn[reference]:.0f}° from {whose}")
    if not problems:
        return []
    if suggestion != reference:
        advice = (
            f"frame {suggestion} is a better reference (mouth {mouth[suggestion]:.2f}, "
            f"{turn[suggestion]:.0f}° from {'the portrait' if source is not None else 'the usual pose'})"
        )
    else:
        advice = "no frame of this video is better"
    return [Flag("reference", reference, reference + 1, f"reference frame {reference} {' and '.join(problems)}: {advice}")]
