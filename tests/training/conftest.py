"""Fixtures of the training tests: a small synthetic dataset and a tiny, fast configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from core.config import ModelConfig
from tests.training.helpers import synthetic_video_dataset
from training.config import TrainConfig


@pytest.fixture(autouse=True)
def _restore_torch_globals() -> Iterator[None]:
    """Trainers set threads and deterministic mode process-wide; put them back after each test."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """Three 'identities' (tinted copies of the astronaut) with 8 talking frames each, at 64 px."""
    return synthetic_video_dataset(tmp_path_factory.mktemp("synthetic") / "data", astronaut)


@pytest.fixture
def tiny_model() -> ModelConfig:
    return ModelConfig.tiny(64)


@pytest.fixture
def tiny_train() -> TrainConfig:
    return TrainConfig(
        steps=4,
        batch_size=2,
        perceptual="multiscale-l1",  # the trainer's mechanics, fast: not the VGG19 losses (tests/training/test_vgg.py)
        perceptual_fallback="l1",
        num_workers=0,
        log_every=1,
        sample_every=0,
        checkpoint_every=0,
        holdout_fraction=0.34,
        eval_pairs=2,
        still_pairs=False,
        threads=1,
    )


@pytest.fixture(scope="session")
def raw_folder(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """Real material in the raw layout, plus a corrupt video and a photo without a face."""
    import shutil

    import cv2
    import skimage.data

    from tests.conftest import shared_file

    megamind = shared_file("Megamind.avi")
    obama, obama2 = shared_file("obama.jpg"), shared_file("obama2.jpg")
    raw = tmp_path_factory.mktemp("raw")
    for folder in ("megamind", "obama", "astronaut", "broken", "nobody"):
        (raw / folder).mkdir()
    (raw / "megamind" / "talk.avi").symlink_to(megamind)
    shutil.copy(obama, raw / "obama" / "obama.jpg")
    shutil.copy(obama2, raw / "obama" / "obama2.jpg")
    cv2.imwrite(str(raw / "astronaut" / "astronaut.png"), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(raw / "nobody" / "coffee.png"), cv2.cvtColor(skimage.data.coffee(), cv2.COLOR_RGB2BGR))
    (raw / "broken" / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    return raw


@pytest.fixture(scope="session")
def real_dataset(tmp_path_factory: pytest.TempPathFactory, raw_folder: Path) -> tuple[Path, object]:
    """The raw folder preprocessed at 64 px (every second video frame), and the report."""
    from core.faces.landmarks import load_detector
    from core.progress import run_to_end
    from training.preprocess import PreprocessOptions, preprocess

    root = tmp_path_factory.mktemp("dataset") / "data"
    report = run_to_end(preprocess(raw_folder, root, PreprocessOptions(size=64, every=2), load_detector("dlib")))
    return root, report
