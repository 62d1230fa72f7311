"""Training pairs from a preprocessed dataset (layout: see `training.preprocess`).

A pair is a source image with its landmarks and a driving image with its landmarks; the driving image
is the ground truth of the reenactment. Two kinds:

- *video* pairs, the paper's setup: two frames of one shot of a video clip;
- *warped* pairs: one image (a still photo, or optionally a video frame) deformed twice by the
  piecewise-affine `warp_image`, towards two random landmark sets from the parametric performance
  model; the deformed landmarks are the targets.

A `PairSpec` names a pair (clip, frames, warp seed, flip) so that evaluation can rebuild exactly the
same held-out pairs (`holdout_pairs` + `load_pair_images`). `PairDataset` draws a spec from each
*sample key* (``epoch * len + index``) with its own random generator, so a sample depends on its key
only: the same on every run, in any worker, after a resume. `PairSampler` hands out keys in a shuffled
order per epoch, split across DDP ranks, starting at any position. Identities are split into training
and held-out sets (`split_identities`), never clips of one identity across both.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler, Sampler

from core.errors import ConfigError, InputError
from core.faces.regions import MIRROR_PERMUTATION, NUM_LANDMARKS
from core.faces.warp import warp_image
from training.config import TrainConfig

MANIFEST_NAME = "manifest.json"
DATASET_FORMAT = "reenact-dataset"
DATASET_VERSION = 1
LANDMARKS_NAME = "landmarks.npz"
CLIP_RECORD_NAME = "clip.json"

ClipKind = Literal["video", "still"]


# --------------------------------------------------------------------------- the dataset folder


@dataclass(frozen=True)
class ClipInfo:
    """One clip of the manifest: a video's usable frames, or one still photo (one frame)."""

    id: str  # "identity/clip", unique in the dataset
    identity: str
    kind: ClipKind
    frames: int
    folder: Path
    image_format: str = "jpg"

    def frame_path(self, frame: int) -> Path:
        return self.folder / frame_name(frame, self.image_format)


def frame_name(frame: int, image_format: str) -> str:
    return f"{frame:06d}.{image_format}"


class DatasetIndex:
    """A preprocessed dataset folder: its clips, their landmarks (loaded lazily) and frames."""

    def __init__(self, root: Path, size: int, clips: list[ClipInfo], skipped: list[dict[str, Any]] | None = None):
        self.root = root
        self.size = size
        self.clips = clips
        self.skipped = skipped or []
        self._by_id = {clip.id: clip for clip in clips}
        self._landmarks: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def open(cls, root: str | Path) -> DatasetIndex:
        """Read `root`/manifest.json; `InputError` when it is not a dataset or holds no usable clip."""
        root = Path(root)
        manifest_path = root / MANIFEST_NAME
        if not root.is_dir():
            raise InputError(f"dataset folder {root} does not exist")
        if not manifest_path.is_file():
            raise InputError(
                f"{root} is not a preprocessed dataset (no {MANIFEST_NAME}): run "
                f"`main.py preprocess RAW_DIR -o {root}` on your videos and photos first"
            )
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise InputError(f"{manifest_path} is unreadable ({err}): re-run preprocess") from err
        if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
            raise InputError(f"{manifest_path} is not a Reenact Studio dataset manifest")
        if int(manifest.get("version", 0)) > DATASET_VERSION:
            raise InputError(f"{root} was written by a newer Reenact Studio (dataset version {manifest['version']})")
        size = int(manifest["size"])
        clips = [
            ClipInfo(
                id=c["id"],
                identity=c["identity"],
                kind=c["kind"],
                frames=int(c["frames"]),
                folder=root / c["path"],
                image_format=manifest.get("image_format", "jpg"),
            )
            for c in manifest.get("clips", [])
        ]
        skipped = list(manifest.get("skipped", []))
        if not clips:
            reasons = "; ".join(f"{s.get('source')}: {s.get('reason')}" for s in skipped[:3])
            raise InputError(
                f"dataset {root} has no usable clips"
                + (f" ({len(skipped)} sources were skipped, e.g. {reasons})" if skipped else "")
                + ": training needs videos or photos in which a face is found"
            )
        return cls(root, size, clips, skipped)

    def clip(self, clip_id: str) -> ClipInfo:
        try:
            return self._by_id[clip_id]
        except KeyError:
            raise InputError(f"clip {clip_id!r} is not in dataset {self.root}") from None

    @property
    def identities(self) -> list[str]:
        return sorted({clip.identity for clip in self.clips})

    @property
    def frame_count(self) -> int:
        return sum(clip.frames for clip in self.clips)

    def _load(self, clip: ClipInfo) -> tuple[np.ndarray, np.ndarray]:
        cached = self._landmarks.get(clip.id)
        if cached is None:
            path = clip.folder / LANDMARKS_NAME
            try:
                with np.load(path) as data:
                    landmarks = data["landmarks"].astype(np.float32)
                    segment = data["segment"].astype(np.int64) if "segment" in data.files else None
            except (OSError, KeyError, ValueError) as err:
                raise InputError(f"{path} is missing or damaged ({err}): re-run preprocess") from err
            if landmarks.shape != (clip.frames, NUM_LANDMARKS, 2):
                raise InputError(f"{path} holds landmarks of shape {landmarks.shape}, expected ({clip.frames}, 68, 2)")
            if segment is None or segment.shape != (clip.frames,):
                segment = np.zeros(clip.frames, np.int64)
            cached = (landmarks, segment)
            self._landmarks[clip.id] = cached
        return cached

    def landmarks(self, clip: ClipInfo) -> np.ndarray:
        """(frames, 68, 2) float32 landmarks in the stored crops' pixels."""
        return self._load(clip)[0]

    def segments(self, clip: ClipInfo) -> np.ndarray:
        """(frames,) shot number of each frame: video pairs are drawn within one shot."""
        return self._load(clip)[1]

    def shot_frames(self, clip: ClipInfo) -> list[np.ndarray]:
        """The frame numbers of each shot of `clip` that has at least two frames."""
        segment = self.segments(clip)
        shots = [np.flatnonzero(segment == s) for s in np.unique(segment)]
        return [frames for frames in shots if len(frames) >= 2]

    def read_frame(self, clip: ClipInfo, frame: int) -> np.ndarray:
        """The stored crop of `frame` as (size, size, 3) uint8 RGB."""
        path = clip.frame_path(frame)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"{path} is missing or damaged: re-run preprocess")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def split(self, fraction: float, explicit: Sequence[str] = (), seed: int = 0) -> DatasetSplit:
        train_ids, holdout_ids = split_identities(self.identities, fraction, explicit, seed)
        return DatasetSplit(
            train=[c for c in self.clips if c.identity in train_ids],
            holdout=[c for c in self.clips if c.identity in holdout_ids],
        )


@dataclass(frozen=True)
class DatasetSplit:
    train: list[ClipInfo]
    holdout: list[ClipInfo]


def split_identities(
    identities: Sequence[str], fraction: float, explicit: Sequence[str] = (), seed: int = 0
) -> tuple[set[str], set[str]]:
    """(training, held-out) identities.

    `explicit` names the held-out ones. Otherwise ``round(fraction * n)`` identities are held out (at
    least one when ``fraction > 0`` and there are two or more, never all), chosen by a hash of
    (seed, name): stable across machines and runs, and adding an identity rarely moves the others.
    """
    names = sorted(set(identities))
    if explicit:
        unknown = sorted(set(explicit) - set(names))
        if unknown:
            raise ConfigError(f"held-out identities {unknown} are not in the dataset (it has {names[:8]})")
        held = set(explicit)
        if held == set(names):
            raise ConfigError("every identity is held out: nothing is left to train on")
        return set(names) - held, held
    if fraction <= 0 or len(names) < 2:
        return set(names), set()
    count = min(len(names) - 1, max(1, round(fraction * len(names))))
    ranked = sorted(names, key=lambda n: hashlib.sha1(f"{seed}:{n}".encode()).hexdigest())
    held = set(ranked[:count])
    return set(names) - held, held


# --------------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class PairSpec:
    """A pair, reproducibly.

    Video pair: frames `source_frame` and `driving_frame` of `clip`. Warped pair (`warp_seed` set):
    frame `driving_frame` deformed twice, with the performance model's random parameters drawn from
    `warp_seed` at `warp_strength` (the source at half that). `flip` mirrors both images.
    """

    clip: str
    source_frame: int
    driving_frame: int
    warp_seed: int | None = None
    warp_strength: float = 1.0
    flip: bool = False

    @property
    def kind(self) -> Literal["video", "warped"]:
        return "video" if self.warp_seed is None else "warped"


@dataclass
class PairImages:
    """A pair as images: (R, R, 3) uint8 RGB each, landmarks (68, 2) float32 in the same pixels."""

    source: np.ndarray
    source_landmarks: np.ndarray
    driving: np.ndarray
    driving_landmarks: np.ndarray
    warped: bool = False  # a warped pair: the ground truth is itself a warp of the source's image


@dataclass
class PairBatch:
    """A batch of pairs as network inputs: images (B, 3, R, R) in [-1, 1], landmarks (B, 68, 2), and
    which pairs are warped ones (B,) bool (None: all video pairs)."""

    source: torch.Tensor
    source_landmarks: torch.Tensor
    driving: torch.Tensor
    driving_landmarks: torch.Tensor
    warped: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.source.shape[0]

    def sample_weights(self, warped_weight: float) -> torch.Tensor | None:
        """(B,) loss weight per pair: `warped_weight` for warped pairs, 1 for the rest; None when all are 1."""
        if self.warped is None or warped_weight == 1.0 or not bool(self.warped.any()):
            return None
        ones = torch.ones(self.warped.shape, dtype=torch.float32, device=self.warped.device)
        return torch.where(self.warped, ones * warped_weight, ones)

    def to(self, device: torch.device | str, memory_format: torch.memory_format | None = None) -> PairBatch:
        def move(t: torch.Tensor, image: bool) -> torch.Tensor:
            t = t.to(device, non_blocking=True)
            return t.contiguous(memory_format=memory_format) if image and memory_format is not None else t

        return PairBatch(
            move(self.source, True),
            move(self.source_landmarks, False),
            move(self.driving, True),
            move(self.driving_landmarks, False),
            None if self.warped is None else move(self.warped, False),
        )

    def pin_memory(self) -> PairBatch:
        return PairBatch(*(t.pin_memory() for t in (self.source, self.source_landmarks, self.driving,
                                                     self.driving_landmarks)),
                         None if self.warped is None else self.warped.pin_memory())

    def slice(self, start: int, stop: int) -> PairBatch:
        """Pairs `start` to `stop` (views)."""
        return PairBatch(self.source[start:stop], self.source_landmarks[start:stop], self.driving[start:stop],
                         self.driving_landmarks[start:stop], None if self.warped is None else self.warped[start:stop])

    def head(self, count: int) -> PairBatch:
        return self.slice(0, count)

    @staticmethod
    def collate(items: Sequence[dict[str, torch.Tensor]]) -> PairBatch:
        tensors = [torch.stack([item[k] for item in items]) for k in
                   ("source", "source_landmarks", "driving", "driving_landmarks")]
        warped = torch.stack([item["warped"] for item in items]) if all("warped" in item for item in items) else None
        return PairBatch(*tensors, warped)

    @staticmethod
    def from_images(pairs: Sequence[PairImages]) -> PairBatch:
        return PairBatch.collate([pair_tensors(p) for p in pairs])


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 or float [0, 1] -> (3, H, W) float32 in [-1, 1]."""
    array = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))) * 2 - 1


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> (H, W, 3) uint8."""
    array = ((tensor.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().cpu().numpy()
    return array.transpose(1, 2, 0)


def pair_tensors(pair: PairImages) -> dict[str, torch.Tensor]:
    return {
        "source": image_to_tensor(pair.source),
        "source_landmarks": torch.from_numpy(np.asarray(pair.source_landmarks, np.float32)),
        "driving": image_to_tensor(pair.driving),
        "driving_landmarks": torch.from_numpy(np.asarray(pair.driving_landmarks, np.float32)),
        "warped": torch.tensor(bool(pair.warped)),
    }


def resize_frame(image: np.ndarray, landmarks: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """A stored square crop and its landmarks at the model's `resolution` (pixel centres at integers)."""
    size = image.shape[0]
    if size == resolution:
        return image, landmarks.astype(np.float32)
    interp = cv2.INTER_AREA if resolution < size else cv2.INTER_LINEAR
    resized = cv2.resize(image, (resolution, resolution), interpolation=interp)
    factor = resolution / size
    return resized, ((landmarks + 0.5) * factor - 0.5).astype(np.float32)


def mirror_pair_landmarks(landmarks: np.ndarray, width: int) -> np.ndarray:
    """Landmarks of the horizontally flipped image: x -> width-1-x and left/right indices swapped."""
    flipped = landmarks[list(MIRROR_PERMUTATION)].copy()
    flipped[:, 0] = (width - 1) - flipped[:, 0]
    return flipped


def _performance_model() -> Any:
    try:
        from core.faces import performance
    except ImportError as err:
        raise ConfigError(
            "warped pairs need the performance model (core.faces.performance), which this build lacks: "
            "set train.still_pairs to false and train.video_warp_probability to 0"
        ) from err
    return performance


def warped_landmarks(base: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Landmarks of `base` moved by random performance parameters (pose, mouth, eyes, brows)."""
    performance = _performance_model()
    params = performance.random_params(rng, scale=strength)
    moved = performance.landmarks_from_params(np.asarray(base, np.float64), params)
    return np.asarray(moved, dtype=np.float32)


def load_pair_images(index: DatasetIndex, spec: PairSpec, resolution: int) -> PairImages:
    """Rebuild the pair named by `spec` at `resolution` (no colour jitter: that is training-only)."""
    clip = index.clip(spec.clip)
    landmarks = index.landmarks(clip)
    for frame in (spec.source_frame, spec.driving_frame):
        if not 0 <= frame < clip.frames:
            raise InputError(f"clip {clip.id} has {clip.frames} frames; frame {frame} asked for")
    if spec.warp_seed is None:
        source, source_lm = resize_frame(index.read_frame(clip, spec.source_frame),
                                         landmarks[spec.source_frame], resolution)
        driving, driving_lm = resize_frame(index.read_frame(clip, spec.driving_frame),
                                           landmarks[spec.driving_frame], resolution)
    else:
        base, base_lm = resize_frame(index.read_frame(clip, spec.driving_frame),
                                     landmarks[spec.driving_frame], resolution)
        rng = np.random.default_rng(spec.warp_seed)
        driving_lm = warped_landmarks(base_lm, rng, spec.warp_strength)
        source_lm = warped_landmarks(base_lm, rng, spec.warp_strength / 2)
        driving = warp_image(base, base_lm, driving_lm)
        source = warp_image(base, base_lm, source_lm)
    if spec.flip:
        source, driving = np.ascontiguousarray(source[:, ::-1]), np.ascontiguousarray(driving[:, ::-1])
        source_lm = mirror_pair_landmarks(source_lm, resolution)
        driving_lm = mirror_pair_landmarks(driving_lm, resolution)
    return PairImages(source, source_lm, driving, driving_lm, spec.kind == "warped")


def color_jitter(images: Sequence[np.ndarray], rng: np.random.Generator, strength: float) -> list[np.ndarray]:
    """The same random brightness, contrast, saturation and hue change on every image of a pair.

    Factors are drawn from [1 - strength, 1 + strength]; the hue turns by up to half of `strength`
    of the colour circle.
    """
    if strength <= 0:
        return list(images)
    brightness, contrast, saturation = (float(v) for v in rng.uniform(1 - strength, 1 + strength, 3))
    hue = float(rng.uniform(-strength / 2, strength / 2)) * 360.0
    out = []
    for image in images:
        x = image.astype(np.float32) / 255.0
        x = x * brightness
        gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
        mean = float(gray.mean())
        x = (x - mean) * contrast + mean
        gray = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
        x = gray + (x - gray) * saturation
        x = np.clip(x, 0, 1)
        if hue:
            hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)
            hsv[..., 0] = (hsv[..., 0] + hue) % 360.0
            x = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        out.append(np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return out


def still_repeats(video_entries: int, stills: int, config: TrainConfig) -> int:
    """Entries per still photo in an epoch: `still_repeats`, fewer when the stills' warped pairs would
    exceed `max_still_share` of the epoch (at least one each). Without video entries, `still_repeats`."""
    if not stills:
        return 0
    repeats = config.still_repeats
    if video_entries and config.max_still_share < 1:
        allowed = math.floor(config.max_still_share / (1 - config.max_still_share) * video_entries)
        repeats = min(repeats, max(1, allowed // stills))
    return repeats


class PairDataset(Dataset):
    """Training pairs from some clips of a dataset; item `key` is a deterministic function of the key.

    One epoch has an entry per video frame (when ``video_pairs``; frames of one-frame shots left out)
    and `still_repeats` entries per still (when ``still_pairs``; capped by ``max_still_share``). A
    video entry gives a pair of its frame (driving) and another random frame of the same shot (source),
    or with ``video_warp_probability`` a warped pair of its frame; a still entry gives a warped pair.
    Augmentation: horizontal flip and colour jitter, the same on both images.
    """

    def __init__(
        self,
        index: DatasetIndex,
        clips: Sequence[ClipInfo],
        resolution: int,
        config: TrainConfig,
        augment: bool = True,
    ):
        self.index = index
        self.resolution = resolution
        self.config = config
        self.augment = augment
        self.clips = list(clips)
        entries: list[tuple[int, int]] = []
        self._shot_of: dict[tuple[int, int], np.ndarray] = {}  # (clip, frame) -> the frames of its shot
        for c, clip in enumerate(self.clips):
            if clip.kind == "video" and config.video_pairs:
                for frames in index.shot_frames(clip):
                    for f in frames:
                        entries.append((c, int(f)))
                        self._shot_of[(c, int(f))] = frames
        stills = [c for c, clip in enumerate(self.clips) if clip.kind == "still" and config.still_pairs]
        self.still_repeats = still_repeats(len(entries), len(stills), config)
        for c in stills:
            entries += [(c, 0)] * self.still_repeats
        if not entries:
            kinds = sorted({clip.kind for clip in self.clips})
            raise InputError(
                f"no training pairs: the training clips are {', '.join(kinds) or 'none'}, but "
                f"video_pairs={config.video_pairs} and still_pairs={config.still_pairs}"
                + ("" if self.clips else " (every identity is held out or the dataset is empty)")
            )
        self.entries = entries
        if (config.still_pairs and any(c.kind == "still" for c in self.clips)) or config.video_warp_probability > 0:
            _performance_model()  # fail now, with the fix, rather than in a worker

    def __len__(self) -> int:
        return len(self.entries)

    def _rng(self, key: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, int(key)])

    def spec(self, key: int) -> PairSpec:
        """The pair that sample `key` stands for."""
        rng = self._rng(key)
        return self._spec(key, rng)

    def _spec(self, key: int, rng: np.random.Generator) -> PairSpec:
        clip_index, frame = self.entries[int(key) % len(self.entries)]
        clip = self.clips[clip_index]
        flip = bool(self.augment and rng.random() < self.config.flip_probability)
        warp = clip.kind == "still" or rng.random() < self.config.video_warp_probability
        if warp:
            seed = int(rng.integers(2**63 - 1))
            return PairSpec(clip.id, frame, frame, seed, self.config.warp_strength, flip)
        shot = self._shot_of[(clip_index, frame)]
        others = shot[shot != frame]
        source = int(others[rng.integers(len(others))])  # any other frame of the same shot
        return PairSpec(clip.id, source, frame, None, self.config.warp_strength, flip)

    def __getitem__(self, key: int) -> dict[str, torch.Tensor]:
        rng = self._rng(key)
        pair = load_pair_images(self.index, self._spec(key, rng), self.resolution)
        if self.augment and self.config.color_jitter > 0:
            pair.source, pair.driving = color_jitter([pair.source, pair.driving], rng, self.config.color_jitter)
        return pair_tensors(pair)


def holdout_pairs(
    index: DatasetIndex,
    count: int,
    seed: int = 0,
    holdout_fraction: float = 0.1,
    holdout_identities: Sequence[str] = (),
    warp_strength: float = 1.0,
    clips: Sequence[ClipInfo] | None = None,
) -> list[PairSpec]:
    """`count` reproducible pairs of the held-out identities (round-robin over their clips).

    Video clips give two distinct random frames of one shot; stills give warped pairs (`PairSpec.kind` tells them
    apart: an evaluation of a warp baseline should look at video pairs only). With no held-out
    identity the list is empty. `clips` overrides the split (for instance: a separate test dataset).
    """
    if clips is None:
        clips = index.split(holdout_fraction, holdout_identities, seed).holdout
    clips = [c for c in clips if c.kind == "still" or index.shot_frames(c)]
    if not clips or count <= 0:
        return []
    rng = np.random.default_rng([seed, 7919])
    specs = []
    for i in range(count):
        clip = clips[i % len(clips)]
        if clip.kind == "video":
            shots = index.shot_frames(clip)
            sizes = np.array([len(s) for s in shots], np.float64)
            shot = shots[int(rng.choice(len(shots), p=sizes / sizes.sum()))]
            source, driving = (int(v) for v in rng.choice(shot, size=2, replace=False))
            specs.append(PairSpec(clip.id, source, driving))
        else:
            specs.append(PairSpec(clip.id, 0, 0, int(rng.integers(2**63 - 1)), warp_strength))
    return specs


def load_pairs(index: DatasetIndex, specs: Sequence[PairSpec], resolution: int) -> PairBatch:
    """The pairs named by `specs` as one batch at `resolution`."""
    return PairBatch.from_images([load_pair_images(index, spec, resolution) for spec in specs])


class PairSampler(Sampler[int]):
    """Endless sample keys, shuffled per epoch (``torch``'s `DistributedSampler` order), resumable.

    `start` is the number of keys this rank has already consumed (the trainer stores it); iteration
    continues exactly where that run stopped. Each rank gets its own share of every epoch.
    """

    def __init__(self, length: int, seed: int = 0, rank: int = 0, world_size: int = 1, start: int = 0):
        super().__init__()
        self.length = length
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.start = start
        self.per_rank = math.ceil(length / world_size)

    def __len__(self) -> int:  # endless; the trainer counts steps, not epochs
        return 2**62

    def epoch_order(self, epoch: int) -> list[int]:
        sampler = DistributedSampler(
            range(self.length), num_replicas=self.world_size, rank=self.rank, shuffle=True, seed=self.seed
        )
        sampler.set_epoch(epoch)
        return list(sampler)

    def __iter__(self) -> Iterator[int]:
        epoch, offset = divmod(self.start, self.per_rank)
        while True:
            for index in self.epoch_order(epoch)[offset:]:
                yield epoch * self.length + index
            epoch, offset = epoch + 1, 0
