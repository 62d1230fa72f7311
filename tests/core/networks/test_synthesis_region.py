"""Where a warp_source model may paint: everywhere ("face"), or only around the driving mouth ("mouth"),
where the output is exactly the warped source outside the mouth's soft ellipse."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator, save_checkpoint
from core.config import ModelConfig
from core.errors import ConfigError
from core.networks.generator import Generator
from core.networks.synthesis_region import mouth_region
from tests.core.networks.conftest import face_landmarks
from training.release import release_checkpoint

BLENDING = replace(ModelConfig.tiny(64), warp_source=True, landmark_flow=True)


def test_the_mouth_region_is_one_on_the_lips_zero_far_away_and_follows_the_mouth() -> None:
    landmarks = face_landmarks(2, 64, 1)
    weight = mouth_region(landmarks, 64)
    assert weight.shape == (2, 1, 64, 64) and weight.min() >= 0 and weight.max() <= 1
    for b in range(2):
        for x, y in landmarks[b, 48:60].round().long().tolist():  # every outer-lip point is inside
            assert weight[b, 0, y, x] == 1
        for x, y in landmarks[b, 36:48].round().long().tolist():  # the eyes are far outside
            assert weight[b, 0, y, x] == 0
    moved = landmarks.clone()
    moved[..., 0] += 5  # the whole face 5 px to the right: the region moves with it
    torch.testing.assert_close(mouth_region(moved, 64)[..., 5:], weight[..., :-5])
    # a closed mouth (lips on one line) still gets room across: at least MOUTH_MIN_ASPECT of its width
    closed = landmarks.clone()
    closed[:, 48:60, 1] = closed[:, 48:60, 1].mean(-1, keepdim=True)
    assert (mouth_region(closed, 64)[0, 0].sum(0) > 0.5).sum() >= 4


def test_a_mouth_model_paints_only_around_the_mouth_and_a_face_model_is_unchanged() -> None:
    torch.manual_seed(0)
    face = Generator(BLENDING).eval()
    mouth = Generator(replace(BLENDING, synthesis_region="mouth")).eval()
    mouth.load_state_dict(face.state_dict())  # the same weights: the region is not a parameter
    source, src_lm, drv_lm = torch.rand(2, 3, 64, 64) * 2 - 1, face_landmarks(2, 64, 2), face_landmarks(2, 64, 3)
    with torch.no_grad():
        a, b = face(source, src_lm, drv_lm), mouth(source, src_lm, drv_lm)
    weight = mouth_region(drv_lm, 64)
    outside = (weight == 0).expand_as(b.image)
    assert outside.float().mean() > 0.7
    assert torch.equal(b.image[outside], b.warped_source[outside])  # exactly the warp outside the mouth
    assert (a.image - a.warped_source)[outside].abs().max() > 0.01  # the face model paints there
    inside = (weight == 1).expand_as(b.image)
    torch.testing.assert_close(b.image[inside], a.image[inside])  # and both paint the same inside
    torch.testing.assert_close(b.mask, 1 - weight * (1 - a.mask))


def test_the_mouth_region_trains_and_needs_a_warped_source() -> None:
    with pytest.raises(ConfigError, match="synthesis_region mouth needs warp_source"):
        replace(ModelConfig.tiny(64), synthesis_region="mouth")
    generator = Generator(replace(BLENDING, synthesis_region="mouth"))
    source, src_lm, drv_lm = torch.rand(1, 3, 64, 64) * 2 - 1, face_landmarks(1, 64, 2), face_landmarks(1, 64, 3)
    generator(source, src_lm, drv_lm).image.mean().backward()
    grads = [p.grad for p in generator.fusion.output.to_rgb.parameters()]  # the painting still learns
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_a_release_can_set_the_region_and_records_it(tmp_path: Path) -> None:
    torch.manual_seed(0)
    trained = save_checkpoint(tmp_path / "step.pt", BLENDING, Generator(BLENDING), train_state={"step": 3})
    summary = release_checkpoint(trained, tmp_path / "demo.pt", synthesis_region="mouth")
    released = load_checkpoint(tmp_path / "demo.pt")
    assert summary["synthesis_region"] == released.config.synthesis_region == "mouth"
    assert released.metadata["synthesis_region"] == "mouth, set at release (trained with face)"
    generator, _ = load_generator(tmp_path / "demo.pt")
    assert generator.config.synthesis_region == "mouth"
    plain = save_checkpoint(tmp_path / "plain.pt", ModelConfig.tiny(64), Generator(ModelConfig.tiny(64)))
    with pytest.raises(ConfigError, match="needs warp_source"):
        release_checkpoint(plain, tmp_path / "other.pt", synthesis_region="mouth")
    with pytest.raises(ConfigError, match="synthesis_region must be one of face, mouth, got 'eyes'"):
        release_checkpoint(trained, tmp_path / "other.pt", synthesis_region="eyes")
    assert not (tmp_path / "other.pt").exists()
