"""Pairs from a preprocessed dataset: deterministic per key, mirrored correctly, split by identity."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from core.errors import ConfigError, InputError
from tests.training.helpers import face_crop, mean_landmarks, write_clip, write_manifest
from training.config import TrainConfig
from training.dataset import (
    DatasetIndex,
    PairDataset,
    PairSampler,
    PairSpec,
    holdout_pairs,
    load_pair_images,
    load_pairs,
    split_identities,
)


def test_pairs_are_a_function_of_their_key(synthetic_data: Path) -> None:
    index = DatasetIndex.open(synthetic_data)
    dataset = PairDataset(index, index.clips, 64, TrainConfig(still_pairs=False))
    assert len(dataset) == 3 * 8  # one entry per video frame
    first, again, other = dataset[5], dataset[5], dataset[5 + len(dataset)]  # same index, next epoch
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not torch.equal(first["source"], other["source"]) or not torch.equal(first["driving"], other["driving"])
    assert first["source"].shape == (3, 64, 64) and first["driving_landmarks"].shape == (68, 2)
    assert first["source"].min() >= -1 and first["source"].max() <= 1
    spec = dataset.spec(5)
    assert spec.kind == "video" and spec.source_frame != spec.driving_frame


def test_a_flipped_pair_mirrors_images_and_swaps_left_and_right_landmarks(tmp_path: Path) -> None:
    size = 64
    landmarks = mean_landmarks(size)
    image = np.zeros((size, size, 3), np.uint8)
    x, y = np.round(landmarks[36]).astype(int)  # the image-left eye's outer corner gets a red dot
    cv2.circle(image, (int(x), int(y)), 1, (255, 0, 0), -1)
    entry = write_clip(tmp_path, "dot", "clip", "video", [image, image], np.stack([landmarks, landmarks]))
    write_manifest(tmp_path, size, [entry])
    index = DatasetIndex.open(tmp_path)
    plain = load_pair_images(index, PairSpec("dot/clip", 0, 1), size)
    flipped = load_pair_images(index, PairSpec("dot/clip", 0, 1, flip=True), size)
    assert np.array_equal(flipped.driving, plain.driving[:, ::-1])
    # In the mirrored picture the dot is the outer corner of the image-right eye: point 45.
    red = np.argwhere(flipped.driving[..., 0] > 128).mean(0)[::-1]
    assert np.allclose(red, flipped.driving_landmarks[45], atol=1.0)
    assert np.allclose(flipped.driving_landmarks[45], [size - 1 - landmarks[36][0], landmarks[36][1]])


def test_stills_give_warped_pairs_from_the_performance_model(tmp_path: Path, astronaut: np.ndarray) -> None:
    size = 64
    crop = face_crop(astronaut, size)
    entry = write_clip(tmp_path, "astronaut", "photo", "still", [crop], mean_landmarks(size)[None])
    write_manifest(tmp_path, size, [entry])
    index = DatasetIndex.open(tmp_path)
    config = TrainConfig(still_repeats=4, color_jitter=0.0, flip_probability=0.0)
    dataset = PairDataset(index, index.clips, size, config)
    assert len(dataset) == 4
    spec = dataset.spec(1)
    assert spec.kind == "warped"
    pair = load_pair_images(index, spec, size)
    moved = np.abs(pair.driving_landmarks - pair.source_landmarks).max()
    assert moved > 0.5  # a new pose or expression
    assert not np.array_equal(pair.driving, pair.source)
    assert load_pair_images(index, spec, size).driving.tobytes() == pair.driving.tobytes()  # reproducible


def test_identities_are_split_stably_and_never_entirely_held_out() -> None:
    names = [f"id{i:02d}" for i in range(20)]
    train, held = split_identities(names, 0.1, seed=3)
    assert len(held) == 2 and train | held == set(names) and not train & held
    assert split_identities(list(reversed(names)), 0.1, seed=3) == (train, held)
    assert split_identities(["a", "b"], 0.01) == ({"a"}, {"b"}) or split_identities(["a", "b"], 0.01) == (
        {"b"}, {"a"})
    assert split_identities(["only"], 0.5) == ({"only"}, set())
    assert split_identities(names, 0.1, explicit=["id05"]) == (set(names) - {"id05"}, {"id05"})
    with pytest.raises(ConfigError, match="not in the dataset"):
        split_identities(names, 0.1, explicit=["nobody"])


def test_holdout_pairs_come_from_held_out_identities_only(synthetic_data: Path) -> None:
    index = DatasetIndex.open(synthetic_data)
    split = index.split(0.34, seed=0)
    specs = holdout_pairs(index, 6, seed=0, holdout_fraction=0.34)
    assert len(specs) == 6 and specs == holdout_pairs(index, 6, seed=0, holdout_fraction=0.34)
    held = {c.id for c in split.holdout}
    assert {s.clip for s in specs} <= held and not held & {c.id for c in split.train}
    batch = load_pairs(index, specs, 64)
    assert batch.source.shape == (6, 3, 64, 64)
    assert holdout_pairs(index, 4, holdout_fraction=0.0) == []


def test_sampler_resumes_at_its_position_and_splits_ranks() -> None:
    def take(sampler: PairSampler, n: int) -> list[int]:
        it = iter(sampler)
        return [next(it) for _ in range(n)]

    full = take(PairSampler(10, seed=1), 35)
    assert take(PairSampler(10, seed=1, start=13), 22) == full[13:]
    assert sorted(k % 10 for k in full[:10]) == list(range(10))  # an epoch visits every entry once
    assert full[10:20] != full[:10] and all(k >= 10 for k in full[10:20])  # the next epoch: new keys
    rank0 = take(PairSampler(10, seed=1, rank=0, world_size=2), 5)
    rank1 = take(PairSampler(10, seed=1, rank=1, world_size=2), 5)
    assert sorted(rank0 + rank1) == list(range(10))


def test_missing_or_empty_datasets_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        DatasetIndex.open(tmp_path / "nope")
    with pytest.raises(InputError, match="preprocess"):
        DatasetIndex.open(tmp_path)
    write_manifest(tmp_path, 64, [], skipped=[{"source": "bob/talk.mp4", "reason": "no face found"}])
    with pytest.raises(InputError, match=r"no usable clips.*bob/talk\.mp4: no face found"):
        DatasetIndex.open(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a Reenact Studio dataset"):
        DatasetIndex.open(tmp_path)


def test_a_dataset_without_usable_pairs_is_refused(synthetic_data: Path) -> None:
    index = DatasetIndex.open(synthetic_data)
    with pytest.raises(InputError, match="no training pairs"):
        PairDataset(index, index.clips, 64, TrainConfig(video_pairs=False, still_pairs=True))
