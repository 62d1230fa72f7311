"""`bench --quality`'s figures are measured on the real renderer: the padding count included."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from core.checkpoint import save_checkpoint
from core.config import ModelConfig, RenderOptions
from core.faces.driving import DrivingSequence
from core.faces.performance import builtin_performance
from core.networks.generator import Generator
from core.pipeline import Reenactor
from core.render_benchmark import measure_quality


@pytest.fixture(scope="module")
def head_at_the_top(tmp_path_factory: pytest.TempPathFactory) -> Reenactor:
    """The astronaut cut 7 px above her brows, so the head's region reaches beyond the photo's top."""
    from skimage.data import astronaut

    from core.faces.landmarks import load_detector

    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    checkpoint = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", config, Generator(config))
    reenactor = Reenactor(checkpoint, "cpu", detector=load_detector("dlib"))
    source = reenactor.set_source(np.ascontiguousarray(astronaut()[80:330, 90:330]), name="astronaut, cut")
    reenactor.set_driving(DrivingSequence.from_performance(builtin_performance(), source.landmarks, reenactor.resolution))
    return reenactor


def test_the_padding_count_is_measured_through_the_renderer(head_at_the_top: Reenactor, monkeypatch) -> None:
    frames = range(0, 151, 12)  # the built-in performance's turns, nods and smile
    quality = measure_quality(head_at_the_top, RenderOptions(paste_back=True), frames)
    assert quality["frames"] == 13 and quality["frames_folded"] == 0
    assert quality["frames_sampling_beyond_photo"] > 0  # it samples above the photo: mirrored there
    assert quality["frames_sampling_padding"] == 0
    assert 0.3 < quality["detail_ratio_median"] < 2
    # a renderer that padded with black beyond the border would be caught by the same measurement
    remap = cv2.remap
    monkeypatch.setattr(cv2, "remap", lambda *a, **k: remap(*a, **{**k, "borderMode": cv2.BORDER_CONSTANT}))
    padded = measure_quality(head_at_the_top, RenderOptions(paste_back=True), frames)
    assert padded["frames_sampling_padding"] >= quality["frames_sampling_beyond_photo"] > 0
