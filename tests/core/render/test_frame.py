"""The full-resolution renderer on real photos: identity, translation, no padding, folds, sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.faces.align import align_face
from core.faces.motion import HeadMotion
from core.render import ModelFrame, output_geometry, render_frame
from core.render.geometry import MAX_CROP_SIZE

RESOLUTION = 128


@pytest.fixture(scope="module")
def portrait():
    """The astronaut, her landmarks (dlib) and the crop alignment at 128 px."""
    from skimage.data import astronaut

    from core.faces.landmarks import detect_faces, load_detector

    photo = np.ascontiguousarray(astronaut())
    face = detect_faces(photo, load_detector("dlib"))[0]
    alignment = align_face(face.landmarks, RESOLUTION)
    return photo, alignment, alignment.to_crop(face.landmarks).astype(np.float32)


def model_frame(source_landmarks: np.ndarray, driving_landmarks: np.ndarray, residual: np.ndarray | None = None) -> ModelFrame:
    """What a network that adds nothing to the motion (it returns its own warp) hands the renderer."""
    motion = HeadMotion(torch.from_numpy(source_landmarks), torch.from_numpy(driving_landmarks)[None], RESOLUTION)
    image = np.zeros((RESOLUTION, RESOLUTION, 3), np.uint8)
    return ModelFrame(motion.frames()[0], image, driving_landmarks, residual)


@pytest.mark.parametrize(("paste_back", "size"), [(True, None), (True, 300), (True, 1024), (False, None), (False, 1000)])
def test_identity_motion_returns_the_photo_at_every_size(portrait, paste_back: bool, size: int | None) -> None:
    import cv2

    photo, alignment, landmarks = portrait
    geometry = output_geometry(photo.shape, alignment, paste_back, size)
    out = render_frame(photo, alignment, geometry, model_frame(landmarks, landmarks))
    assert out.image.shape[1::-1] == geometry.size
    if paste_back and size is None:
        expected = photo
    else:  # the photo through the same framing
        source = photo
        to_photo = geometry.to_photo
        if geometry.photo_px_per_output_px >= 1.5:
            f = 1 / geometry.photo_px_per_output_px
            source = cv2.resize(photo, (round(photo.shape[1] * f), round(photo.shape[0] * f)), interpolation=cv2.INTER_AREA)
            fx, fy = source.shape[1] / photo.shape[1], source.shape[0] / photo.shape[0]
            to_photo = np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5]]) @ np.vstack([to_photo, [0, 0, 1]])
        expected = cv2.warpAffine(source, to_photo, geometry.size, flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT101)
    assert np.abs(out.image.astype(int) - expected.astype(int)).max() <= 1


def test_default_crop_is_the_face_own_size_and_capped(portrait) -> None:
    photo, alignment, _ = portrait
    side = output_geometry(photo.shape, alignment, False, None).size[0]
    assert side == round(RESOLUTION / alignment.scale)  # the astronaut's face crop is ~300 px in the photo
    assert output_geometry(photo.shape, alignment, False, 5000).size == (MAX_CROP_SIZE, MAX_CROP_SIZE)


def test_a_landmark_translation_moves_the_photo_content_by_that_much(portrait) -> None:
    photo, alignment, landmarks = portrait
    shift_photo = np.array([9.0, -6.0])  # photo pixels
    shift_crop = alignment.matrix[:, :2] @ shift_photo
    out = render_frame(photo, alignment, output_geometry(photo.shape, alignment, True, None),
                       model_frame(landmarks, landmarks + shift_crop.astype(np.float32)))
    centre = alignment.to_image(landmarks[27:36].mean(0)).round().astype(int)  # the nose
    y, x = centre[1], centre[0]
    before = photo[y - 30 : y + 30, x - 30 : x + 30].astype(int)
    after = out.image[y - 30 - 6 : y + 30 - 6, x - 30 + 9 : x + 30 + 9].astype(int)
    assert np.abs(after - before).mean() < 2.0
    assert np.abs(out.image[y - 30 : y + 30, x - 30 : x + 30].astype(int) - before).mean() > 8  # it did move
    assert out.matte[y, x] == 255 and out.matte[5, 5] == 0


def test_no_output_pixel_comes_from_padding_even_when_the_head_leaves_the_photo(portrait) -> None:
    photo, alignment, landmarks = portrait
    bright = np.clip(photo.astype(int), 70, 255).astype(np.uint8)  # no dark pixel anywhere
    shift = alignment.matrix[:, :2] @ np.array([0.0, 60.0])  # the head moves down: its top samples above the photo
    out = render_frame(bright, alignment, output_geometry(photo.shape, alignment, True, None),
                       model_frame(landmarks, landmarks + shift.astype(np.float32)))
    assert out.stats.outside_photo > 0.001  # it did sample beyond the border: mirrored, not padded
    assert out.image.min() >= 40  # zero padding would show as black (cubic may undershoot a little)


def test_crossing_landmarks_fold_before_the_repair_and_not_after(portrait) -> None:
    _, _, landmarks = portrait
    driving = landmarks.copy()
    driving[[48, 54]] = landmarks[[54, 48]]  # the mouth corners swap sides: the spline folds over
    driving[[31, 35]] = landmarks[[35, 31]]
    motion = HeadMotion(torch.from_numpy(landmarks), torch.from_numpy(driving)[None], RESOLUTION)
    assert float(motion.folded_before[0]) > 0.001
    assert float(motion.folded_after[0]) == 0.0


def test_the_residual_shows_where_the_model_synthesises_and_only_there(portrait) -> None:
    photo, alignment, landmarks = portrait
    residual = np.zeros((RESOLUTION, RESOLUTION, 3), np.float32)
    mouth = landmarks[48:68].mean(0).round().astype(int)
    residual[mouth[1] - 3 : mouth[1] + 4, mouth[0] - 6 : mouth[0] + 7] = -80.0  # a darker mouth inside
    geometry = output_geometry(photo.shape, alignment, True, None)
    plain = render_frame(photo, alignment, geometry, model_frame(landmarks, landmarks)).image.astype(int)
    with_residual = render_frame(photo, alignment, geometry, model_frame(landmarks, landmarks, residual)).image.astype(int)
    changed = np.abs(with_residual - plain).max(-1) > 8
    centre = alignment.to_image(mouth[None].astype(float))[0].round().astype(int)
    assert changed[centre[1], centre[0]]
    assert changed.sum() < 0.02 * changed.size


def test_the_synthesis_amount_weighs_the_residual(portrait) -> None:
    photo, alignment, landmarks = portrait
    residual = np.zeros((RESOLUTION, RESOLUTION, 3), np.float32)
    mouth = landmarks[48:68].mean(0).round().astype(int)
    residual[mouth[1] - 3 : mouth[1] + 4, mouth[0] - 6 : mouth[0] + 7] = -80.0
    geometry = output_geometry(photo.shape, alignment, True, None)
    frame = model_frame(landmarks, landmarks, residual)
    plain = render_frame(photo, alignment, geometry, model_frame(landmarks, landmarks)).image.astype(int)
    centre = alignment.to_image(mouth[None].astype(float))[0].round().astype(int)
    at = (centre[1], centre[0])
    changes = [plain[at] - render_frame(photo, alignment, geometry, frame, synthesis=s).image.astype(int)[at]
               for s in (0.0, 0.5, 1.0)]
    assert np.abs(changes[0]).max() == 0  # none of the model's painting: the photo's pixels, moved
    assert 0.35 < changes[1].mean() / changes[2].mean() < 0.65
