"""Where an output frame lies on the source photo: its size and the map from output pixels to photo pixels.

Two framings: *paste-back* (the whole photo, at its native size or scaled so its longest side is
`output_size`) and *crop* (the model's aligned square around the face, at any size up to
`MAX_CROP_SIZE`; by default the face's own size in the photo, never below the model's resolution).
Both are an affine map, so the renderer treats them alike; all maps use pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.faces.align import Alignment

#: The largest crop output (pixels per side).
MAX_CROP_SIZE = 2048


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 matrix of ``outer(inner(x))``."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:3] + outer[:, 2:3]])


def invert(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix."""
    linear = np.linalg.inv(matrix[:, :2])
    return np.hstack([linear, -linear @ matrix[:, 2:3]])


def scaling(factor_x: float, factor_y: float | None = None) -> np.ndarray:
    """2x3 map of a resize by these factors under the pixel-centre convention."""
    fy = factor_x if factor_y is None else factor_y
    return np.array([[factor_x, 0.0, 0.5 * factor_x - 0.5], [0.0, fy, 0.5 * fy - 0.5]])


@dataclass(frozen=True)
class OutputGeometry:
    """An output frame of `size` (w, h) and its map `to_photo` (output px -> photo px, 2x3)."""

    size: tuple[int, int]
    to_photo: np.ndarray
    paste_back: bool

    @property
    def from_photo(self) -> np.ndarray:
        return invert(self.to_photo)

    @property
    def photo_px_per_output_px(self) -> float:
        return float(np.sqrt(abs(np.linalg.det(self.to_photo[:, :2]))))

    def to_crop(self, alignment: Alignment) -> np.ndarray:
        """2x3 map output px -> the alignment's crop px."""
        return compose(alignment.matrix, self.to_photo)

    def from_crop(self, alignment: Alignment) -> np.ndarray:
        """2x3 map crop px -> output px."""
        return invert(self.to_crop(alignment))

    def crop_points_to_output(self, alignment: Alignment, points: np.ndarray) -> np.ndarray:
        """(..., 2) crop px -> output px (landmarks drawn over the result)."""
        matrix = self.from_crop(alignment)
        pts = np.asarray(points, np.float64)
        return pts @ matrix[:, :2].T + matrix[:, 2]


def default_crop_size(alignment: Alignment) -> int:
    """The face's own size in the photo (the crop's side in photo pixels), at least the model's
    resolution and at most `MAX_CROP_SIZE`."""
    own = round(alignment.size / alignment.scale)
    return int(min(MAX_CROP_SIZE, max(alignment.size, own)))


def output_geometry(
    photo_shape: tuple[int, ...], alignment: Alignment, paste_back: bool, output_size: int | None
) -> OutputGeometry:
    """The framing of an output: the photo (paste-back) or the face's square crop, sized as asked.

    `output_size` is the longest side in pixels (None: the photo's native size, or the face's own
    size for a crop); a crop is capped at `MAX_CROP_SIZE`.
    """
    if paste_back:
        h, w = photo_shape[:2]
        if output_size is None:
            return OutputGeometry((w, h), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), True)
        factor = output_size / max(h, w)
        size = (max(2, round(w * factor)), max(2, round(h * factor)))
        return OutputGeometry(size, scaling(w / size[0], h / size[1]), True)
    side = default_crop_size(alignment) if output_size is None else min(int(output_size), MAX_CROP_SIZE)
    to_crop = scaling(alignment.size / side)
    return OutputGeometry((side, side), compose(alignment.inverse, to_crop), False)
