"""The full-resolution renderer: the network's motion and synthesis applied to the source photo.

The network runs at its own resolution R. Its result reaches the user through here, and only here:

1. **Motion at any size.** The backward motion of the frame (`core.faces.motion`: the landmark spline,
   the head's rigid motion beyond it, fading to nothing, plus the flow net's learned offset inside the
   crop, brought over *as an offset*; fold-free) is sampled on a coarse grid over the output region it
   touches, then interpolated to every output pixel.
2. **Sample the photo, never padding.** Each output pixel maps through the face alignment to photo
   pixels, so hair, ears, neck and background are the real photo at its own resolution; beyond the
   photo's border the photo is mirrored (`BORDER_REFLECT101`). One `cv2.remap` with a sharp
   interpolation filter makes the picture.
3. **Synthesis as a residual.** What the network adds to its own warp of the source crop
   (``model output - warp_R(source crop)``, already weighted by its blend mask when it has one) is
   upsampled and added: where the model agrees with the warp, the photo's detail passes unchanged;
   where it synthesises (the mouth's inside, disocclusions), its content shows.

The same region weight (`matte`: 1 on the moving head, fading to 0) limits the change to the head and
is returned for compositing. With the identity motion and a model that returns its input, the output
is the photo itself at any size.

With ``full_resolution=False`` the model's own picture (magnified from R) is shown over the same
framing instead, to compare what the renderer adds.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.faces.align import Alignment
from core.faces.motion import FrameMotion
from core.render.geometry import OutputGeometry, compose

#: Interpolation of the photo: bicubic keeps 0.8-0.9 of the photo's detail where the face moves
#: (bilinear about 0.5; Lanczos a little more at four times the cost).
SAMPLING = cv2.INTER_CUBIC
#: Output pixels per coarse grid cell (the motion is smooth at this scale; it is interpolated between).
COARSE_STEP = 6


@dataclass(frozen=True)
class ModelFrame:
    """What the network made of one driving frame, at its resolution R (plain arrays, any thread)."""

    motion: FrameMotion  # the head's motion with the flow net's learned offset (`HeadMotion.frames`)
    image: np.ndarray  # (R, R, 3) uint8: the network's output
    landmarks: np.ndarray  # (68, 2) driving landmarks after the transformer, crop px
    residual: np.ndarray | None = None  # (R, R, 3) float32, 0-255 units: output - warp_R(source crop),
    # faded out toward the crop's border (`core.faces.motion.crop_window`)


@dataclass(frozen=True)
class RenderStats:
    """Facts about one rendered frame (reported by the benchmark; tests check them)."""

    folded_before: float  # share of the head region whose motion folded before repair
    folded_after: float  # ... after repair (the renderer aims at 0)
    outside_photo: float  # share of changed pixels sampled beyond the photo's border (mirrored)


@dataclass(frozen=True)
class Composite:
    image: np.ndarray  # (h, w, 3) uint8
    matte: np.ndarray  # (h, w) uint8: 255 where the reenacted head replaces the photo, feathered
    stats: RenderStats


@functools.lru_cache(maxsize=4)
def _crop_coverage(resolution: int) -> np.ndarray:
    """(R, R) float32: where the network's own picture is trusted, fading out at the crop's border."""
    import torch

    from core.faces.motion import crop_window

    c = torch.arange(resolution, dtype=torch.float32)
    points = torch.stack(torch.meshgrid(c, c, indexing="xy"), -1)
    return crop_window(points, resolution).numpy()


def _region(geometry: OutputGeometry, alignment: Alignment, box: tuple[float, ...]) -> tuple[int, int, int, int]:
    """Output pixels (x0, y0, x1, y1) the motion box touches, clipped to the output."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    pts = geometry.crop_points_to_output(alignment, corners)
    w, h = geometry.size
    return (
        max(0, math.floor(pts[:, 0].min()) - 1),
        max(0, math.floor(pts[:, 1].min()) - 1),
        min(w, math.ceil(pts[:, 0].max()) + 2),
        min(h, math.ceil(pts[:, 1].max()) + 2),
    )


def _source_image(photo: np.ndarray, geometry: OutputGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The image to sample and the 2x3 map photo px -> its px: the photo, or an area-averaged smaller
    copy when the output shrinks it (a sharp filter on a shrinking map would alias)."""
    shrink = geometry.photo_px_per_output_px
    if shrink < 1.5:
        return photo, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    h, w = photo.shape[:2]
    size = (max(1, round(w / shrink)), max(1, round(h / shrink)))
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    fx, fy = size[0] / w, size[1] / h
    return small, np.array([[fx, 0.0, 0.5 * fx - 0.5], [0.0, fy, 0.5 * fy - 0.5]])


def _background(source: np.ndarray, to_source: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The output with no motion: the photo through the output's framing."""
    if source.shape[1::-1] == size and np.allclose(to_source, [[1, 0, 0], [0, 1, 0]]):
        return source.copy()
    return cv2.warpAffine(
        source, to_source, size, flags=SAMPLING | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101
    )


def photo_background(photo: np.ndarray, geometry: OutputGeometry) -> np.ndarray:
    """The photo through an output's framing with no motion: what `render_frame` shows where the matte
    is 0, so a face layer can be separated from it (`core.video.alpha.unblend`)."""
    source, photo_to_source = _source_image(photo, geometry)
    return _background(source, compose(photo_to_source, geometry.to_photo), geometry.size)


def _coarse_nodes(x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    """Output px of the coarse nodes, placed at the cell centres `cv2.resize` assumes, so resizing the
    coarse grid to the region interpolates it exactly there."""
    cells_x = max(2, math.ceil((x1 - x0) / COARSE_STEP))
    cells_y = max(2, math.ceil((y1 - y0) / COARSE_STEP))
    xs = x0 - 0.5 + (np.arange(cells_x) + 0.5) * ((x1 - x0) / cells_x)
    ys = y0 - 0.5 + (np.arange(cells_y) + 0.5) * ((y1 - y0) / cells_y)
    return np.meshgrid(xs, ys)


def render_frame(
    photo: np.ndarray,
    alignment: Alignment,
    geometry: OutputGeometry,
    frame: ModelFrame,
    full_resolution: bool = True,
    synthesis: float = 1.0,
) -> Composite:
    """The output picture of one frame, its matte and its stats (see the module doc); `synthesis` (0-1)
    weighs the network's residual."""
    resolution = alignment.size
    source, photo_to_source = _source_image(photo, geometry)
    to_source = compose(photo_to_source, geometry.to_photo)  # output px -> sampled image px
    out = _background(source, to_source, geometry.size)
    matte_full = np.zeros(geometry.size[::-1], np.uint8)
    x0, y0, x1, y1 = _region(geometry, alignment, frame.motion.box)
    if x1 <= x0 or y1 <= y0:
        return Composite(out, matte_full, RenderStats(frame.motion.folded_before, frame.motion.folded_after, 0.0))
    to_crop = geometry.to_crop(alignment)
    linear = to_crop[:, :2]
    out_per_crop = np.linalg.inv(linear)

    # 1. the motion on the coarse grid, in output px
    gx, gy = _coarse_nodes(x0, y0, x1, y1)
    cx = (to_crop[0, 0] * gx + to_crop[0, 1] * gy + to_crop[0, 2]).astype(np.float32)
    cy = (to_crop[1, 0] * gx + to_crop[1, 1] * gy + to_crop[1, 2]).astype(np.float32)
    channels = frame.motion.sample(cx, cy)
    matte = channels[..., 2]
    displacement = (channels[..., :2] @ out_per_crop.T).astype(np.float32)  # crop px -> output px

    # 2. every output pixel of the region samples the photo
    size = (x1 - x0, y1 - y0)
    sampled_per_out = to_source[:, :2]
    moved = (displacement @ sampled_per_out.T).astype(np.float32)  # output px -> sampled image px
    map_x = cv2.resize(np.ascontiguousarray(moved[..., 0]), size, interpolation=cv2.INTER_LINEAR)
    map_y = cv2.resize(np.ascontiguousarray(moved[..., 1]), size, interpolation=cv2.INTER_LINEAR)
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    map_x += to_source[0, 0] * xs + to_source[0, 1] * ys + to_source[0, 2]
    map_y += to_source[1, 0] * xs + to_source[1, 1] * ys + to_source[1, 2]
    region = cv2.remap(source, map_x, map_y, SAMPLING, borderMode=cv2.BORDER_REFLECT101)
    matte_roi = cv2.resize(np.ascontiguousarray(matte), size, interpolation=cv2.INTER_LINEAR)
    sh, sw = source.shape[:2]
    outside = (map_x < -0.5) | (map_y < -0.5) | (map_x > sw - 0.5) | (map_y > sh - 0.5)
    changed = matte_roi > 0.004
    outside_share = float((outside & changed).sum() / max(1, changed.sum()))

    # 3. the network's contribution, in the crop's frame (no motion: it is drawn where it belongs)
    roi_to_crop = compose(to_crop, np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]]))
    if full_resolution and frame.residual is not None and synthesis > 0:
        upsampled = cv2.warpAffine(
            frame.residual, roi_to_crop, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
        )
        region = np.clip(region + upsampled * (matte_roi * synthesis)[..., None] + 0.5, 0, 255).astype(np.uint8)
    elif not full_resolution:
        model = cv2.warpAffine(
            frame.image, roi_to_crop, size, flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        coverage = cv2.warpAffine(
            _crop_coverage(resolution), roi_to_crop, size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0,
        )
        alpha = (matte_roi * coverage)[..., None]
        region = np.clip(region * (1 - alpha) + model * alpha + 0.5, 0, 255).astype(np.uint8)
    matte_u8 = np.clip(matte_roi * 255 + 0.5, 0, 255).astype(np.uint8)
    still = matte_u8 == 0  # outside the matte the photo stays exactly as it was (a sub-pixel drift of
    out[y0:y1, x0:x1][~still] = region[~still]  # the interpolated motion there would show on edges)
    matte_full[y0:y1, x0:x1] = matte_u8
    stats = RenderStats(frame.motion.folded_before, frame.motion.folded_after, outside_share)
    return Composite(out, matte_full, stats)

