"""What the full-resolution renderer gives a user, measured: detail kept, folds, border samples, and
SSIM against a ground truth at the video's native resolution.

- **Detail ratio**: the variance of the Laplacian inside the inner face (the hull of brows, eyes, nose
  and mouth) of the output, over the same measure on the photo (the source's own hull). 1 keeps all of
  the photo's fine detail; a magnified 128 px crop keeps about a tenth.
- **Folds**: frames whose motion still folds over after repair (`RenderStats.folded_after` > 0), and
  frames that folded before it.
- **Beyond the photo**: frames where some changed pixel sampled beyond the photo's border (mirrored
  there).
- **Padding**: frames where some output pixel came from padding rather than from the photo, measured
  by rendering each frame a second time through the same renderer (`core.render.render_frame`, same
  motion, same framing) from a photo that is white everywhere with the network's painting off: any
  pixel that is not white came from a constant border. The renderer mirrors the photo, so it should
  be 0.
- **Held-out SSIM**: self-reenactment inside one video shot: a frame of the shot is the source photo,
  another frame's own landmarks (placed on the source's crop) drive it, and the paste-back output at the
  video's native resolution is compared with that frame, inside the face's box (the static background
  would otherwise dominate); and the same with both shrunk to the model's scale, which measures where
  things are and what they are, not fine detail (SSIM favours a blurred picture over a sharp one that
  is slightly misplaced). The network never saw the shot if it was held out of its training.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable

import numpy as np

from core.config import RenderOptions
from core.pipeline import Reenactor
from core.render import render_frame

#: Landmarks whose hull is the "inner face": brows, nose, eyes, mouth.
INNER_FACE = tuple(range(17, 68))


def inner_face_mask(shape: tuple[int, ...], landmarks: np.ndarray) -> np.ndarray:
    """(H, W) bool: the convex hull of the inner-face landmarks (image px)."""
    import cv2

    mask = np.zeros(shape[:2], np.uint8)
    hull = cv2.convexHull(np.round(np.asarray(landmarks)[list(INNER_FACE)]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def laplacian_variance(image: np.ndarray, mask: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image inside `mask`: how much fine detail it holds."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    return float(lap[mask].var()) if mask.any() else 0.0


def measure_quality(
    reenactor: Reenactor, options: RenderOptions, frames: Iterable[int], batch: int = 8
) -> dict[str, float]:
    """Detail ratio (median, min), fold and border-sample frame counts over `frames`."""
    source = reenactor.source
    photo_points = source.alignment.to_image(source.landmarks)
    geometry = reenactor.output_geometry(options)
    import cv2

    reference = source.photo
    if geometry.size != reference.shape[1::-1] or not geometry.paste_back:
        reference = cv2.warpAffine(source.photo, geometry.to_photo, geometry.size,
                                   flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101)
        photo_points = geometry.crop_points_to_output(source.alignment, source.landmarks)
    photo_detail = laplacian_variance(reference, inner_face_mask(reference.shape, photo_points))
    white = np.full_like(source.photo, 255)
    indices = list(frames)
    ratios, folded_before, folded_after, outside, padded = [], 0, 0, 0, 0
    for start in range(0, len(indices), batch):
        chunk = indices[start : start + batch]
        for index, model_frame in zip(chunk, reenactor.run_model(chunk, options), strict=True):
            frame = reenactor.compose(index, model_frame, options)
            mask = inner_face_mask(frame.image.shape, frame.output_landmarks)
            ratios.append(laplacian_variance(frame.image, mask) / max(photo_detail, 1e-9))
            folded_before += frame.stats.folded_before > 0
            folded_after += frame.stats.folded_after > 0
            outside += frame.stats.outside_photo > 0
            probe = render_frame(white, source.alignment, geometry, model_frame, True, 0.0)  # the photo's path
            padded += bool((probe.image < 255).any())
    return {
        "frames": len(indices),
        "detail_ratio_median": statistics.median(ratios),
        "detail_ratio_min": min(ratios),
        "frames_folded_before_repair": folded_before,
        "frames_folded": folded_after,
        "frames_sampling_beyond_photo": outside,
        "frames_sampling_padding": padded,
    }


def face_box(landmarks: np.ndarray, shape: tuple[int, ...], grow: float = 0.25) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the landmarks' box grown by `grow` of its size on each side, clipped."""
    lo, hi = landmarks.min(0), landmarks.max(0)
    pad = (hi - lo) * grow
    x0, y0 = np.floor(lo - pad).astype(int)
    x1, y1 = np.ceil(hi + pad).astype(int)
    h, w = shape[:2]
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def measure_heldout_ssim(
    reenactor: Reenactor,
    frames: np.ndarray,
    landmarks: np.ndarray,
    pairs: list[tuple[int, int]],
    options: RenderOptions,
) -> dict[str, float]:
    """Mean SSIM inside the face box of self-reenactment pairs (source, driving) of one shot.

    `frames` (T, H, W, 3) are the shot's frames and `landmarks` (T, 68, 2) their analysis; each pair's
    source frame becomes the photo, the driving frame's landmarks are placed on its crop, and the
    paste-back output (native size) is compared with the driving frame.
    """
    import cv2

    from core.metrics.ssim import ssim

    options = dataclasses.replace(options, paste_back=True, output_size=None)
    scores, identity_scores, coarse_scores = [], [], []
    current = None
    for source_index, driving_index in pairs:
        if current != source_index:
            reenactor.set_source(frames[source_index], name=f"frame {source_index}")
            current = source_index
        source = reenactor.source
        driving = source.alignment.to_crop(landmarks[driving_index]).astype(np.float32)[None]
        model_frame = reenactor.run_model([driving_index], options, landmarks=driving)[0]
        out = reenactor.compose(driving_index, model_frame, options).image
        truth = frames[driving_index]
        x0, y0, x1, y1 = face_box(landmarks[driving_index], truth.shape)
        scores.append(ssim(out[y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        identity_scores.append(ssim(frames[source_index][y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        # the same at the model's scale (both shrunk to crop pixels): geometry and content, not detail
        factor = min(1.0, source.alignment.scale)
        size = (max(8, round((x1 - x0) * factor)), max(8, round((y1 - y0) * factor)))
        coarse_scores.append(ssim(cv2.resize(out[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA),
                                  cv2.resize(truth[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)))
    return {"pairs": len(pairs), "ssim": float(np.mean(scores)), "ssim_identity": float(np.mean(identity_scores)),
            "ssim_at_model_scale": float(np.mean(coarse_scores))}
