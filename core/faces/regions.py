"""The iBUG 68-point layout: index groups, the mirror permutation, and the local regions' crop boxes.

Sides are as seen in the image: ``left_eye`` is points 36-41, on the image's left (the subject's
right eye). Coordinates are pixels with pixel centres at integers (OpenCV's convention).
"""

from __future__ import annotations

import torch

NUM_LANDMARKS = 68

JAW = tuple(range(0, 17))
LEFT_BROW = tuple(range(17, 22))
RIGHT_BROW = tuple(range(22, 27))
NOSE_BRIDGE = tuple(range(27, 31))
NOSE = tuple(range(27, 36))
LEFT_EYE = tuple(range(36, 42))
RIGHT_EYE = tuple(range(42, 48))
OUTER_LIPS = tuple(range(48, 60))
INNER_LIPS = tuple(range(60, 68))
MOUTH = tuple(range(48, 68))

#: Named groups used by the landmark transformer and the metrics.
GROUPS: dict[str, tuple[int, ...]] = {
    "jaw": JAW,
    "left_brow": LEFT_BROW,
    "right_brow": RIGHT_BROW,
    "nose": NOSE,
    "left_eye": LEFT_EYE,
    "right_eye": RIGHT_EYE,
    "mouth": MOUTH,
}

#: The four parts reenacted by the local nets, in the order of their networks.
LOCAL_REGIONS: tuple[str, ...] = ("left_eye", "right_eye", "nose", "mouth")
LOCAL_INDICES: tuple[tuple[int, ...], ...] = (LEFT_EYE, RIGHT_EYE, NOSE, MOUTH)

#: Box side as a multiple of the region's largest landmark extent, and its floor as a fraction of
#: the inter-ocular distance (an eye's box must not collapse when the eye closes).
_BOX_SCALE = {"left_eye": 1.9, "right_eye": 1.9, "nose": 1.35, "mouth": 1.45}
_BOX_FLOOR = {"left_eye": 0.6, "right_eye": 0.6, "nose": 0.7, "mouth": 0.8}


def _mirror_permutation() -> tuple[int, ...]:
    """Index map so that ``mirrored[i] = original[perm[i]]`` after flipping x."""
    perm = list(range(NUM_LANDMARKS))

    def swap(a: list[int], b: list[int]) -> None:
        for i, j in zip(a, b, strict=True):
            perm[i], perm[j] = j, i

    swap(list(range(0, 8)), list(range(16, 8, -1)))  # jaw
    swap(list(range(17, 22)), list(range(26, 21, -1)))  # brows
    swap([31, 32], [35, 34])  # nostrils
    swap([36, 37, 38, 39, 40, 41], [45, 44, 43, 42, 47, 46])  # eyes
    swap([48, 49, 50, 58, 59], [54, 53, 52, 56, 55])  # outer lips
    swap([60, 61, 67], [64, 63, 65])  # inner lips
    return tuple(perm)


MIRROR_PERMUTATION: tuple[int, ...] = _mirror_permutation()


def mirror_landmarks(landmarks: torch.Tensor, width: int) -> torch.Tensor:
    """Landmarks of the horizontally flipped image (x -> width-1-x, left/right indices swapped)."""
    flipped = landmarks[..., list(MIRROR_PERMUTATION), :].clone()
    flipped[..., 0] = (width - 1) - flipped[..., 0]
    return flipped


def eye_centres(landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centres of the image-left and image-right eyes, (..., 2) each."""
    return landmarks[..., LEFT_EYE, :].mean(-2), landmarks[..., RIGHT_EYE, :].mean(-2)


def region_boxes(landmarks: torch.Tensor) -> torch.Tensor:
    """Square crop boxes for the four local regions: (..., 4, 3) holding centre x, centre y, half side.

    The centre is the middle of the region's landmark bounding box; the side is the largest extent
    times a per-region margin, floored at a fraction of the inter-ocular distance.
    """
    left, right = eye_centres(landmarks)
    interocular = (right - left).norm(dim=-1).clamp_min(1e-3)
    boxes = []
    for name, indices in zip(LOCAL_REGIONS, LOCAL_INDICES, strict=True):
        pts = landmarks[..., indices, :]
        lo, hi = pts.amin(-2), pts.amax(-2)
        centre = (lo + hi) / 2
        extent = (hi - lo).amax(-1)
        half = torch.maximum(extent * _BOX_SCALE[name], interocular * _BOX_FLOOR[name]) / 2
        boxes.append(torch.cat([centre, half.unsqueeze(-1)], -1))
    return torch.stack(boxes, -2)
