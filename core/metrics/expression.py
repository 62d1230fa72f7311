"""AUCON stand-in as `aucon_landmark`: do result and driving frame show the same facial actions?

The paper's AUCON compares action units detected by OpenFace, which is not available here. This
stand-in reads five actions from 68 landmarks, each a measure in a roll-free, scale-free frame (the
eye line horizontal, lengths in inter-ocular distances, the distance between the eye centres):

* ``eyes_closed``: eye openness (height over width of each eye, averaged) dropped below the baseline;
* ``mouth_open``: the gap between the inner lips grew;
* ``mouth_wide``: the distance between the mouth corners grew;
* ``smile``: the mouth corners rose relative to the upper lip's centre;
* ``brows_raised``: the brows rose above the eyes.

An action is *on* when the measure moved from the person's baseline (the median over frames of that
person; the result is compared against the source person's baseline, since it shows the source's
face) by more than its threshold, in its direction. The agreement of one action is the fraction of
pairs whose on/off states match; `aucon_landmark` is the mean over the actions. Like AUCON it is
high for a method that never moves anything when the driving frames are mostly neutral: read it
beside the identity baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The iBUG 68-point groups of `core.faces.regions`, repeated here because that module imports torch.
LEFT_BROW, RIGHT_BROW = tuple(range(17, 22)), tuple(range(22, 27))
LEFT_EYE, RIGHT_EYE = tuple(range(36, 42)), tuple(range(42, 48))


@dataclass(frozen=True)
class Action:
    name: str
    direction: float  # +1: the measure grows when the action is on; -1: it shrinks
    threshold: float  # change from the baseline that turns the action on


#: The actions, in the column order of `expression_measures`. Thresholds were set on dlib landmarks of
#: Megamind.avi (269 talking frames): each action is on in roughly the top 15-25 % of the frames.
ACTIONS: tuple[Action, ...] = (
    Action("eyes_closed", -1.0, 0.10),
    Action("mouth_open", +1.0, 0.10),
    Action("mouth_wide", +1.0, 0.08),
    Action("smile", +1.0, 0.05),
    Action("brows_raised", +1.0, 0.06),
)
ACTION_NAMES = tuple(a.name for a in ACTIONS)


def _normalised(landmarks: np.ndarray) -> np.ndarray:
    """(N, 68, 2) landmarks rotated so the eye line is horizontal, in inter-ocular units, eyes' midpoint at 0."""
    pts = np.asarray(landmarks, np.float64)
    left = pts[:, list(LEFT_EYE)].mean(1)
    right = pts[:, list(RIGHT_EYE)].mean(1)
    axis = right - left
    distance = np.maximum(np.linalg.norm(axis, axis=-1), 1e-6)
    cos, sin = axis[:, 0] / distance, axis[:, 1] / distance
    centred = pts - ((left + right) / 2)[:, None]
    x = cos[:, None] * centred[..., 0] + sin[:, None] * centred[..., 1]
    y = -sin[:, None] * centred[..., 0] + cos[:, None] * centred[..., 1]
    return np.stack([x, y], -1) / distance[:, None, None]


def _distance(pts: np.ndarray, i: int, j: int) -> np.ndarray:
    return np.linalg.norm(pts[:, i] - pts[:, j], axis=-1)


def expression_measures(landmarks: np.ndarray) -> np.ndarray:
    """(N, 5) measures of (68, 2) or (N, 68, 2) landmarks, in the order of `ACTIONS`."""
    pts = np.asarray(landmarks, np.float64)
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must have shape (N, 68, 2) or (68, 2), got {np.shape(landmarks)}")
    n = _normalised(pts)
    openness = []
    for a, b, c, d, e, f in (LEFT_EYE, RIGHT_EYE):  # corners a, d; upper lid b, c; lower lid f, e
        height = (_distance(n, b, f) + _distance(n, c, e)) / 2
        openness.append(height / np.maximum(_distance(n, a, d), 1e-6))
    eyes = (openness[0] + openness[1]) / 2
    mouth_open = (_distance(n, 61, 67) + _distance(n, 62, 66) + _distance(n, 63, 65)) / 3
    mouth_wide = _distance(n, 48, 54)
    smile = n[:, 51, 1] - (n[:, 48, 1] + n[:, 54, 1]) / 2  # y grows downward: corners above 51 -> larger
    brows = n[:, list(LEFT_EYE + RIGHT_EYE), 1].mean(1) - n[:, list(LEFT_BROW + RIGHT_BROW), 1].mean(1)
    return np.stack([eyes, mouth_open, mouth_wide, smile, brows], -1)


def action_states(measures: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """(N, 5) booleans: which actions are on, given the person's (5,) or (N, 5) baseline measures."""
    direction = np.array([a.direction for a in ACTIONS])
    threshold = np.array([a.threshold for a in ACTIONS])
    return direction * (np.asarray(measures, np.float64) - np.asarray(baseline, np.float64)) > threshold


def person_baseline(measures: np.ndarray) -> np.ndarray:
    """(5,) baseline of one person: the median of their measures over frames."""
    m = np.asarray(measures, np.float64)
    if m.ndim != 2 or len(m) == 0:
        raise ValueError("a baseline needs the measures of at least one frame")
    return np.median(m, axis=0)


@dataclass(frozen=True)
class ActionAgreement:
    """`aucon_landmark` (mean over actions), each action's agreement, and how many pairs were scored."""

    mean: float | None
    per_action: dict[str, float]
    scored: int
    missing: int


def action_agreement(result_states: np.ndarray, driving_states: np.ndarray,
                     valid: np.ndarray | None = None) -> ActionAgreement:
    """Agreement of (N, 5) on/off states; rows where `valid` is False (no landmarks) are not scored."""
    a, b = np.asarray(result_states, bool), np.asarray(driving_states, bool)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != len(ACTIONS):
        raise ValueError(f"states must be two (N, {len(ACTIONS)}) arrays, got {a.shape} and {b.shape}")
    ok = np.ones(len(a), bool) if valid is None else np.asarray(valid, bool)
    scored = int(ok.sum())
    if scored == 0:
        return ActionAgreement(None, {}, 0, len(a))
    match = (a[ok] == b[ok]).mean(0)
    return ActionAgreement(float(match.mean()), dict(zip(ACTION_NAMES, map(float, match), strict=True)),
                           scored, len(a) - scored)
