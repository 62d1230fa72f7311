"""Landmarks land where the face is, in iBUG order, whatever the photo's size, tilt or mirror image."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import NoFaceError, UserError
from core.faces.image_io import read_image
from core.faces.landmarks import (
    BackendUnavailableError,
    Face,
    LandmarkDetector,
    detect_faces,
    load_detector,
    pick_face,
)
from core.faces.regions import MIRROR_PERMUTATION

from .conftest import SpyDetector


def photo(name: str, obama_path: Path, obama2_path: Path, astronaut: np.ndarray) -> np.ndarray:
    return {"obama": lambda: read_image(obama_path), "obama2": lambda: read_image(obama2_path)}.get(
        name, lambda: astronaut
    )()


def interocular(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0)))


@pytest.mark.parametrize("name", ["obama", "obama2", "astronaut"])
def test_landmarks_are_anatomically_ordered_and_inside_the_box(
    name: str, obama_path: Path, obama2_path: Path, astronaut: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    image = photo(name, obama_path, obama2_path, astronaut)
    faces = detect_faces(image, dlib_detector)
    assert len(faces) == 1
    face = faces[0]
    pts = face.landmarks
    assert pts.shape == (68, 2) and pts.dtype == np.float32 and face.box.shape == (4,)
    brows, eyes = pts[17:27, 1].mean(), pts[36:48, 1].mean()
    nose_tip, mouth, chin = pts[33, 1], pts[48:68, 1].mean(), pts[8, 1]
    assert brows < eyes < nose_tip < mouth < chin
    # image-left parts are on the image's left: jaw start, left brow, left eye, left mouth corner
    assert pts[0, 0] < pts[16, 0] and pts[17:22, 0].mean() < pts[22:27, 0].mean()
    assert pts[36:42, 0].mean() < pts[42:48, 0].mean() and pts[48, 0] < pts[54, 0]
    x0, y0, x1, y1 = face.box
    margin = 0.15 * (x1 - x0)
    core = pts[17:68]  # everything but the jaw line, which may run below the detector's box
    assert (core[:, 0] > x0 - margin).all() and (core[:, 0] < x1 + margin).all()
    assert (core[:, 1] > y0 - margin).all() and (core[:, 1] < y1 + margin).all()


def mapped_error(found: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Mean and max landmark distance in units of the reference's inter-ocular distance."""
    dist = np.linalg.norm(found - reference, axis=1) / interocular(reference)
    return float(dist.mean()), float(dist.max())


@pytest.mark.parametrize("name", ["obama", "obama2", "astronaut"])
def test_flipped_scaled_and_rotated_photos_give_the_same_landmarks(
    name: str, obama_path: Path, obama2_path: Path, astronaut: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    image = photo(name, obama_path, obama2_path, astronaut)
    h, w = image.shape[:2]
    reference = detect_faces(image, dlib_detector)[0].landmarks

    flipped = detect_faces(np.ascontiguousarray(image[:, ::-1]), dlib_detector)[0].landmarks
    back = flipped[list(MIRROR_PERMUTATION)].copy()
    back[:, 0] = (w - 1) - back[:, 0]
    results = {"flip": mapped_error(back, reference)}

    for factor in (0.6, 2.0):
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        scaled = cv2.resize(image, None, fx=factor, fy=factor, interpolation=interp)
        ratio = np.array([scaled.shape[1] / w, scaled.shape[0] / h])
        found = detect_faces(scaled, dlib_detector)[0].landmarks
        results[f"scale {factor}"] = mapped_error((found + 0.5) / ratio - 0.5, reference)

    for angle in (-10.0, 10.0):
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
        rotated = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        found = detect_faces(rotated, dlib_detector)[0].landmarks
        inverse = cv2.invertAffineTransform(matrix)
        results[f"rotate {angle:g}"] = mapped_error(found @ inverse[:, :2].T + inverse[:, 2], reference)

    for what, (mean, worst) in results.items():
        assert mean < 0.03, f"{what}: mean error {mean:.3f} of the eye distance"
        assert worst < 0.10, f"{what}: worst point off by {worst:.3f} of the eye distance"


def test_exif_rotated_photo_gives_the_same_landmarks(
    tmp_path: Path, obama_path: Path, dlib_detector: LandmarkDetector
) -> None:
    from PIL import Image

    upright = read_image(obama_path)
    exif = Image.Exif()
    exif[0x0112] = 8  # stored turned right; rotate 90 counter-clockwise to view
    path = tmp_path / "sideways.jpg"
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, k=-1))).save(path, exif=exif, quality=95)
    found = detect_faces(read_image(path), dlib_detector)[0].landmarks
    reference = detect_faces(upright, dlib_detector)[0].landmarks
    assert mapped_error(found, reference)[0] < 0.03


def test_large_photos_are_detected_on_a_downscaled_copy(
    obama_path: Path, dlib_detector: LandmarkDetector
) -> None:
    """A 16 MP photo never reaches the detector at full size (dlib holds the GIL), landmarks still fit."""
    image = read_image(obama_path)
    big = cv2.resize(image, None, fx=4.0, fy=4.0, interpolation=cv2.INTER_CUBIC)
    spy = SpyDetector(dlib_detector)
    faces = detect_faces(big, spy, max_side=960)
    assert spy.largest_detect_side <= 960
    reference = detect_faces(image, dlib_detector)[0].landmarks
    assert mapped_error((faces[0].landmarks + 0.5) / 4.0 - 0.5, reference)[0] < 0.03


def test_several_faces_are_sorted_largest_first(
    obama2_path: Path, astronaut: np.ndarray, dlib_detector: LandmarkDetector
) -> None:
    big = read_image(obama2_path)
    canvas = np.full((big.shape[0], big.shape[1] + 512, 3), 255, np.uint8)
    canvas[:, : big.shape[1]] = big
    canvas[300:812, big.shape[1] :] = astronaut
    faces = detect_faces(canvas, dlib_detector)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].box[2] <= big.shape[1] < faces[1].box[0]
    assert pick_face(faces, 1) is faces[1]
    with pytest.raises(NoFaceError, match=r"2 faces found in group\.jpg") as info:
        pick_face(faces, 2, "group.jpg")
    assert "from 0 to 1" in str(info.value)


def test_no_face_gives_an_actionable_message(dlib_detector: LandmarkDetector) -> None:
    from skimage.data import coffee

    faces = detect_faces(coffee(), dlib_detector)
    assert faces == []
    with pytest.raises(
        NoFaceError, match=r"no face found in coffee\.png \(searched for faces down to 40 px wide"
    ):
        pick_face(faces, 0, "coffee.png")


def test_face_alignment_without_weights_says_where_they_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    with pytest.raises(BackendUnavailableError) as info:
        load_detector("face-alignment")
    message = str(info.value)
    assert (
        "2DFAN4-11f355bf06.pth.tar" in message
        and str(tmp_path / "torch-home" / "hub" / "checkpoints") in message
    )
    with caplog.at_level(logging.INFO):
        detector = load_detector("auto")
    assert detector.name == "dlib"
    assert "face-alignment unavailable" in caplog.text


def test_unknown_backend_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown landmark backend"):
        load_detector("magic")


@pytest.mark.slow
def test_face_alignment_loads_its_weights_from_the_hub_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, obama_path: Path
) -> None:
    """The real face_alignment loading path, with stand-in weights of the right layout in the hub folder.

    (The published weights are not on this machine; random weights give meaningless but well-formed
    landmarks, which is all this checks.)
    """
    torch = pytest.importorskip("torch")
    pytest.importorskip("face_alignment")
    from face_alignment.detection.sfd.net_s3fd import s3fd
    from face_alignment.models import FAN

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    hub = tmp_path / "hub"
    assert torch.hub.get_dir() == str(hub)
    (hub / "checkpoints").mkdir(parents=True)
    torch.manual_seed(0)
    half = lambda module: {k: v.half() for k, v in module.state_dict().items()}  # noqa: E731
    torch.save(half(FAN(4)), hub / "checkpoints" / "2DFAN4-11f355bf06.pth.tar")
    torch.save(half(s3fd()), hub / "checkpoints" / "s3fd-619a316812.pth")

    detector = load_detector("auto", device="cpu")
    assert detector.name == "face-alignment" and detector.key.endswith("cpu")
    image = read_image(obama_path)
    box = np.array([361, 134, 616, 389], np.float32)
    landmarks = detector.refine(image, box)
    assert landmarks.shape == (68, 2) and np.isfinite(landmarks).all()
    side = box[2] - box[0]
    assert (landmarks > box[:2] - side).all() and (landmarks < box[2:] + side).all()


def test_face_maps_between_resized_images() -> None:
    face = Face(np.array([10, 20, 30, 40], np.float32), 1.0, np.zeros((68, 2), np.float32))
    doubled = face.scaled(2.0, offset=(5.0, 0.0))
    assert np.allclose(doubled.box, [25.5, 40.5, 65.5, 80.5])
    assert np.allclose(doubled.landmarks, [5.5, 0.5])
