"""Authoring without a video: the face-parameter keys of an animation <-> a performance file.

`performance_from_animation` saves what the keys do as an ordinary ``.performance.json`` (keyframes by
time, every parameter at each keyframe), so it drives exports, the CLI and other projects like a video.
Keys of any interpolation become keyframes the performance's own ``smooth`` curve reproduces: the curve
is sampled on every frame and keyframes are dropped greedily wherever the performance still passes
within `TOLERANCE` of every frame's value (constant stretches keep a keyframe every `MAX_GAP_SECONDS`),
so a performance saved from keys renders like the keys.

`animation_from_performance` opens a performance (the built-in one included) as editable ``smooth`` keys
on its keyframes' frames (sub-frame when a keyframe falls between frames); they move exactly as the
performance does, because both evaluate the same curve (`core.animation.keys.evaluate_keys`).
"""

from __future__ import annotations

import numpy as np

from core.animation.keys import INTERPOLATIONS, Curve, Key, evaluate_keys
from core.animation.tracks import DEFAULT_CONTROLS, NO_ANIMATION, Animation, Controls
from core.errors import ConfigError
from core.faces.performance import PARAMETER_RANGES, PARAMETERS, FaceParams, Keyframe, Performance

#: Largest difference (degrees, or parameter units) between a saved performance and the keys, per frame.
TOLERANCE = 1e-4
#: Longest stretch between two saved keyframes (keeps the check of each drop local, and files readable).
MAX_GAP_SECONDS = 2.0
_SMOOTH = INTERPOLATIONS.index("smooth")
#: What a performance file holds: each parameter's range.
_FILE_LOW, _FILE_HIGH = (np.array([PARAMETER_RANGES[name][i] for name in PARAMETERS]) for i in (0, 1))


def performance_from_animation(
    animation: Animation,
    frame_count: int,
    fps: float = 25.0,
    name: str = "performance",
    controls: Controls = DEFAULT_CONTROLS,
) -> Performance:
    """A performance that moves the face as the pose and expression controls do over `frame_count`
    frames (their keys, and static values where not keyed); other controls are not part of a performance."""
    values = animation.evaluate(np.arange(frame_count), controls)
    return performance_from_parameters(np.stack([values[p] for p in PARAMETERS], -1), fps, name)


def performance_from_parameters(parameters: np.ndarray, fps: float = 25.0, name: str = "performance") -> Performance:
    """A performance whose frames have the face `parameters` (T, 8) (within `TOLERANCE`): what a
    performance driver moved by the controls and keys does (`Director.parameters`), saved as a file.
    Values beyond a performance file's ranges (an exaggeration: controls on top of a performance) are
    clipped to them; `beyond_file_ranges` counts the frames that were."""
    dense = np.round(np.clip(np.asarray(parameters, np.float64), _FILE_LOW, _FILE_HIGH), 6) + 0.0  # + 0.0: no -0.0 in files
    frame_count = len(dense)
    times = np.arange(frame_count) / fps
    kept = _sparse_keyframes(times, dense, max(2, round(MAX_GAP_SECONDS * fps)))
    keyframes = tuple(
        Keyframe(float(times[i]), FaceParams(**dict(zip(PARAMETERS, map(float, dense[i]), strict=True))))
        for i in kept
    )
    return Performance(keyframes, fps=fps, name=name)


def beyond_file_ranges(parameters: np.ndarray) -> int:
    """How many frames of `parameters` (T, 8) a performance file cannot hold as they are."""
    values = np.asarray(parameters, np.float64)
    return int(np.any((values < _FILE_LOW - 1e-9) | (values > _FILE_HIGH + 1e-9), axis=-1).sum())


def still_performance(frame_count: int, fps: float = 25.0, name: str = "keys") -> Performance:
    """A performance of `frame_count` frames that holds the portrait's own face: the driving of a
    project animated by keys alone (the keys move the face; the app and the CLI build it alike)."""
    if frame_count < 1:
        raise ConfigError(f"a timeline needs at least one frame, got {frame_count}")
    keyframes = (Keyframe(0.0, FaceParams()),)
    if frame_count > 1:
        keyframes += (Keyframe((frame_count - 1) / fps, FaceParams()),)
    return Performance(keyframes, fps=fps, name=name)


def animation_from_performance(performance: Performance, animation: Animation = NO_ANIMATION) -> Animation:
    """`animation` with its pose and expression curves replaced by `performance`'s keyframes, as ``smooth``
    keys (a parameter that stays 0 gets no curve). The timeline is ``performance.frame_count`` long."""
    frames = [k.time * performance.fps for k in performance.keyframes]
    values = np.stack([k.params.as_array() for k in performance.keyframes])
    for column, name in enumerate(PARAMETERS):
        if not np.any(values[:, column]):
            animation = animation.with_curve(name, None)
            continue
        curve = Curve(tuple(Key(f, float(v), "smooth") for f, v in zip(frames, values[:, column], strict=True)))
        animation = animation.with_curve(name, curve)
    return animation


def _sparse_keyframes(times: np.ndarray, dense: np.ndarray, max_gap: int) -> list[int]:
    """Indices of the frames to keep as keyframes so the smooth curve through them passes within
    `TOLERANCE` of `dense` (N, P) on every frame.

    Greedy, left to right: frame j is dropped when, with every later frame still a keyframe, the curve
    stays within tolerance. Dropping j changes the tangents at the keyframes on either side of it, so
    the frames checked run from the keyframe before the previous one to two frames after j; the curve
    there depends only on the three keyframes on each side.
    """
    n = len(times)
    kept = [0]
    for j in range(1, n - 1):
        if j + 1 - kept[-1] > max_gap:
            kept.append(j)
            continue
        keys = kept[-3:] + [k for k in (j + 1, j + 2, j + 3) if k < n]
        check = np.arange(kept[-2] if len(kept) > 1 else kept[-1], min(j + 2, n - 1) + 1)
        curve = evaluate_keys(times[keys], dense[keys], np.full(len(keys), _SMOOTH), times[check])
        if np.abs(curve - dense[check]).max() > TOLERANCE:
            kept.append(j)
    if n > 1:
        kept.append(n - 1)
    return kept
