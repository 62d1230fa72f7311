"""The motion of a reenacted head: one backward field from the landmarks, fold-free, defined beyond the crop.

For every position of the driving frame, where to sample the source; positions are pixels of the
source's aligned crop at the model's resolution (pixel centres at integers), and may lie outside the
crop (the photo goes on there). Three zones, blended smoothly:

* the face (inside the *head ring*, an egg-shaped ellipse around the source face that takes in the
  forehead, the hair above the brows and the ears): a thin-plate spline through the 68 landmarks (each
  driving landmark samples its source landmark) and the head ring's points, which move rigidly;
* beyond the head ring: the rigid motion of the head's outline alone, the change of its in-plane
  rotation (roll), size and place between the source and the driving frame, from the weak-perspective
  pose of the rigid landmarks (`core.faces.shape_model`'s fit, here in torch). A turn or a nod (yaw,
  pitch) moves the features inside the outline but barely the outline of a round head, so it does not
  move the ring. Hair and ears follow the head instead of staying behind while the face slides over them;
* fading out to exactly zero at an *outer ring* (shoulders, the background around the head), so a
  render changes only the region around the head. `MotionRegion.scale` sizes the head ring,
  `MotionRegion.feather` the fall-off to the outer ring.

Two sets of landmarks are approximated rather than interpolated (a ridge term in the spline): the jaw
contour, which is the face's silhouette and slides over the skin when the head turns (followed exactly,
a turn smears the cheek after it; it is followed more loosely the more the head turns away from the
source's yaw), and the inner lips, which a closing mouth puts on top of each other with different
sources (followed exactly, the teeth between them fold into a zig-zag).

The field is evaluated once per frame on a grid over the outer ring's box, made fold-free there
(`core.faces.folds.unfold`), and every use samples that one grid: the network's landmark flow at its
own resolution (`flow`), the full-resolution renderer at any size (`displacement_at`) and the matte
(`matte_at`: 1 on the moving head, fading to 0 at the outer ring, following the head).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from core.faces.folds import MIN_DET, unfold
from core.faces.mean_shape import MEAN_FACE_3D
from core.faces.shape_model import RIGID_POINTS

#: Points of the head ring, moving rigidly with the outline.
HEAD_RING_POINTS = 24
#: The head ring in units of the face's half-width (x) and half-height (y, brows to chin), and how far
#: its centre sits above the face's: it takes in the hair above the brows and the ears.
HEAD_AXES = (1.4, 1.55)
HEAD_LIFT = 0.3
#: The lower half of both rings is flatter: the neck and shoulders move less than the hair.
LOWER_FLATTEN = 0.85
#: ... and below the face the motion fades out this many times faster (neck, collar, shoulders).
LOWER_FADE = 2.5
#: Cells of the evaluation grid along the outer ring's box.
GRID_CELLS = 96
#: The jaw's landmarks trace the face's silhouette, which slides over the skin when the head turns:
#: the further the turn (up to `CONTOUR_FREE_TURN_DEGREES` of yaw), the more the spline only
#: approximates them (a ridge term), so a turn does not smear the cheek after them; without a turn
#: they are followed like the other landmarks.
JAW_CONTOUR: tuple[int, ...] = tuple(range(0, 17))
CONTOUR_REGULARIZATION = 3e-1
CONTOUR_FREE_TURN_DEGREES = 20.0
#: A closing mouth puts upper and lower inner-lip points on top of each other with different sources:
#: followed exactly, the teeth between them fold into a zig-zag.
INNER_LIPS: tuple[int, ...] = tuple(range(60, 68))
INNER_LIP_REGULARIZATION = 1e-2


@dataclass(frozen=True)
class MotionRegion:
    """How much of the picture moves with the head.

    `scale` (0.5-2) sizes the head ring (1: forehead, hair and ears); `feather` (0-1) how far beyond it
    the motion fades out (0: a short fall-off, 1: a long, soft one).
    """

    scale: float = 1.0
    feather: float = 0.5

    @property
    def outer_factor(self) -> float:
        """Outer ring radius in units of the head ring's."""
        return 1.3 + 0.9 * self.feather


@dataclass(frozen=True)
class HeadRegion:
    """The source face's egg-shaped head ring, batched: centres (B, 2), axes (B, 2), in crop px."""

    centre: torch.Tensor
    axes: torch.Tensor
    outer_factor: torch.Tensor  # (B,) outer ring radius in head ring units

    @classmethod
    def of(cls, source_landmarks: torch.Tensor, region: MotionRegion) -> HeadRegion:
        outline = source_landmarks[:, list(range(0, 27))]  # jaw and brows
        lo, hi = outline.amin(1), outline.amax(1)
        half = (hi - lo) / 2
        centre = (lo + hi) / 2
        centre = torch.stack([centre[:, 0], centre[:, 1] - HEAD_LIFT * half[:, 1]], 1)
        axes = half * torch.tensor(HEAD_AXES, dtype=half.dtype, device=half.device) * max(region.scale, 0.5)
        # Never inside the face itself: the ring must clear the landmarks it surrounds.
        axes = torch.maximum(axes, half * 1.12)
        outer = torch.full_like(centre[:, 0], region.outer_factor)
        return cls(centre, axes, outer)

    def widened(self, displacement: torch.Tensor) -> HeadRegion:
        """The same rings with the fall-off wide enough for a head ring moving by `displacement` (B,) px:
        a band narrower than about twice the move would squash (or fold) the background in it."""
        needed = 1.0 + 2.0 * displacement / self.axes.amin(1)
        return HeadRegion(self.centre, self.axes, torch.maximum(self.outer_factor, needed))

    def radius(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N) egg radius of (B, N, 2) points: 1 on the head ring, `outer_factor` on the outer one.

        Below the face the fall-off is shorter (the radius grows faster beyond the head ring, smoothly
        with the direction): the neck, collar and shoulders do not turn with the head.
        """
        d = points - self.centre[:, None]
        ay = torch.where(d[..., 1] > 0, self.axes[:, None, 1] * LOWER_FLATTEN, self.axes[:, None, 1])
        radius = torch.sqrt((d[..., 0] / self.axes[:, None, 0]) ** 2 + (d[..., 1] / ay) ** 2)
        downward = _smoothstep(0.0, 0.7, d[..., 1] / (radius * ay).clamp_min(1e-9))  # 0 sideways, 1 below
        faster = 1.0 + (LOWER_FADE - 1.0) * downward
        return torch.where(radius > 1.0, 1.0 + (radius - 1.0) * faster, radius)

    def ring(self, count: int, factor: float) -> torch.Tensor:
        """(B, count, 2) points on the ring of radius `factor`."""
        theta = torch.arange(count, dtype=self.axes.dtype, device=self.axes.device) * (2 * math.pi / count)
        c, s = torch.cos(theta), torch.sin(theta)
        ay = torch.where(s[None] > 0, self.axes[:, 1:2] * LOWER_FLATTEN, self.axes[:, 1:2])
        x = self.centre[:, 0:1] + factor * self.axes[:, 0:1] * c[None]
        y = self.centre[:, 1:2] + factor * ay * s[None]
        return torch.stack([x, y], -1)

    def box(self) -> torch.Tensor:
        """(B, 4) x0, y0, x1, y1 of the outer ring, a cell's margin included."""
        f = self.outer_factor * 1.06
        x0 = self.centre[:, 0] - f * self.axes[:, 0]
        x1 = self.centre[:, 0] + f * self.axes[:, 0]
        y0 = self.centre[:, 1] - f * self.axes[:, 1]
        y1 = self.centre[:, 1] + f * self.axes[:, 1] * LOWER_FLATTEN
        return torch.stack([x0, y0, x1, y1], 1)


class OutlinePose(NamedTuple):
    """Batched weak-perspective pose of faces: centre (B, 2), scale (B,), roll and yaw (B,) in radians."""

    centre: torch.Tensor
    scale: torch.Tensor
    roll: torch.Tensor
    yaw: torch.Tensor


def outline_pose(landmarks: torch.Tensor) -> OutlinePose:
    """The pose of (B, 68, 2) faces' rigid points.

    The weak-perspective camera of `core.faces.shape_model.fit_shapes`: the least-squares affine map of
    the mean face's rigid points onto the landmarks, orthonormalised; its scale does not shrink when the
    face turns (unlike a 2D similarity's), roll is the angle of the face's own x axis in the image and
    yaw its turn about the vertical (the conventions' sign aside: only changes are used).
    """
    rigid = list(RIGID_POINTS)
    mean = torch.as_tensor(MEAN_FACE_3D[rigid], dtype=landmarks.dtype, device=landmarks.device)
    mean = mean - mean.mean(0)
    pseudo_inverse = mean @ torch.linalg.inv(mean.T @ mean)
    points = landmarks[:, rigid]
    centre = points.mean(1)
    affine = torch.einsum("bni,nj->bij", points - centre[:, None], pseudo_inverse)  # (B, 2, 3)
    u, s, vt = torch.linalg.svd(affine, full_matrices=False)
    rows = u @ vt
    depth = torch.linalg.cross(rows[:, 0], rows[:, 1])
    return OutlinePose(centre, s.mean(-1), torch.atan2(rows[:, 1, 0], rows[:, 0, 0]), torch.atan2(-depth[:, 0], depth[:, 2]))


def outline_motion(source: OutlinePose, driving: OutlinePose) -> torch.Tensor:
    """(B, 2, 3) similarities carrying the source head's outline to the driving frame's: the change of
    roll and size about the source's centre, then the centre's move."""
    ratio, angle = driving.scale / source.scale.clamp_min(1e-9), driving.roll - source.roll
    cos, sin = ratio * torch.cos(angle), ratio * torch.sin(angle)
    linear = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (B, 2, 2)
    shift = driving.centre - (linear @ source.centre[..., None])[..., 0]
    return torch.cat([linear, shift[..., None]], 2)


def apply_affine(matrix: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """(B, 2, 3) matrices applied to (B, N, 2) points."""
    return points @ matrix[:, :, :2].transpose(1, 2) + matrix[:, None, :, 2]


def invert_affine(matrix: torch.Tensor) -> torch.Tensor:
    """(B, 2, 3) inverses."""
    linear = torch.linalg.inv(matrix[:, :, :2])
    return torch.cat([linear, -(linear @ matrix[:, :, 2:])], 2)


def _kernel(squared_distance: torch.Tensor) -> torch.Tensor:
    """The thin-plate kernel r^2 log r^2 (0 at r = 0)."""
    return squared_distance * torch.log(squared_distance.clamp_min(1e-30))


def _smoothstep(edge0: float | torch.Tensor, edge1: float | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    t = ((x - edge0) / (edge1 - edge0)).clamp(0, 1)
    return t * t * (3 - 2 * t)


class HeadMotion:
    """The backward motion of driving frames (B, 68, 2) relative to their source landmarks, in crop px.

    `source_landmarks` is (68, 2), (1, 68, 2) or (B, 68, 2). The spline is solved in float64; the grid
    (displacement x, y and the matte, float32) is evaluated on the landmarks' device, about 2-4 ms a
    frame on a CPU core. `frame(k)` hands one frame's grid to the CPU renderer.
    """

    def __init__(
        self,
        source_landmarks: torch.Tensor,
        driving_landmarks: torch.Tensor,
        resolution: int,
        region: MotionRegion = MotionRegion(),
        cells: int = GRID_CELLS,
        regularization: float = 1e-4,
    ) -> None:
        driving = torch.as_tensor(driving_landmarks).detach().double()
        if driving.dim() == 2:
            driving = driving[None]
        batch = driving.shape[0]
        source = torch.as_tensor(source_landmarks).detach().double().to(driving.device)
        if source.dim() == 2:
            source = source[None]
        source = source.expand(batch, -1, -1)
        self.resolution = int(resolution)
        self.region = region
        source_pose, driving_pose = outline_pose(source), outline_pose(driving)
        self.rigid = outline_motion(source_pose, driving_pose)
        self._rigid_inverse = invert_affine(self.rigid)
        self.head = HeadRegion.of(source, region)
        head_ring = self.head.ring(HEAD_RING_POINTS, 1.0)
        self.head = self.head.widened((apply_affine(self.rigid, head_ring) - head_ring).norm(dim=-1).amax(1))
        controls = torch.cat([driving, apply_affine(self.rigid, head_ring)], 1)
        values = torch.cat([source, head_ring], 1)
        ridge = torch.full(controls.shape[:2], regularization, dtype=torch.float64, device=driving.device)
        turn = (driving_pose.yaw - source_pose.yaw).abs()
        free = _smoothstep(0.0, math.radians(CONTOUR_FREE_TURN_DEGREES), turn)  # the silhouette slides
        ridge[:, list(JAW_CONTOUR)] = (regularization + (CONTOUR_REGULARIZATION - regularization) * free)[:, None]
        ridge[:, list(INNER_LIPS)] = INNER_LIP_REGULARIZATION
        self._scale = 2.0 / self.resolution  # crop px -> normalised units (better conditioned)
        self._controls = controls * self._scale
        self._coefficients = _solve(self._controls, (values - controls) * self._scale, ridge)
        box = self.head.box()
        moved = _corners_box(apply_affine(self.rigid, _box_corners(box)))
        self.box = torch.cat([torch.minimum(box[:, :2], moved[:, :2]), torch.maximum(box[:, 2:], moved[:, 2:])], 1)
        self.cells = int(cells)
        points = self._grid_points()
        field, matte = self._field(points)
        shape = (batch, self.cells, self.cells)
        field = field.transpose(1, 2).reshape(batch, 2, *shape[1:]).float()
        displacement, self.folded_before, self.folded_after = unfold(field, self.spacing, MIN_DET)
        self.grid = torch.cat([displacement, matte.reshape(shape).unsqueeze(1).float()], 1)  # (B, 3, G, G)

    # -- construction --------------------------------------------------------------------------------------
    @property
    def spacing(self) -> torch.Tensor:
        """(B, 2) crop px per grid cell in x and y."""
        return ((self.box[:, 2:] - self.box[:, :2]) / self.cells).float()

    def _grid_points(self) -> torch.Tensor:
        """(B, cells^2, 2) cell centres in crop px, row-major (float64)."""
        t = (torch.arange(self.cells, dtype=torch.float64, device=self.box.device) + 0.5) / self.cells
        box = self.box
        xs = box[:, 0:1] + t[None] * (box[:, 2:3] - box[:, 0:1])
        ys = box[:, 1:2] + t[None] * (box[:, 3:4] - box[:, 1:2])
        gx = xs[:, None, :].expand(-1, self.cells, -1)
        gy = ys[:, :, None].expand(-1, -1, self.cells)
        return torch.stack([gx, gy], -1).reshape(box.shape[0], -1, 2)

    def _spline(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) spline displacement in crop px at (B, N, 2) crop px points (float32 evaluation of
        the float64 solve: positions are in normalised units, where that keeps 1e-5 px)."""
        p = points.float() * self._scale
        controls = self._controls.float()
        coefficients = self._coefficients.float()
        n = controls.shape[1]
        squared = (p * p).sum(-1, keepdim=True) + (controls * controls).sum(-1)[:, None, :] - 2 * p @ controls.transpose(1, 2)
        radial = _kernel(squared.clamp_min(0.0))
        affine = torch.cat([torch.ones_like(p[..., :1]), p], -1)
        out = radial @ coefficients[:, :n] + affine @ coefficients[:, n:]
        return out.double() / self._scale

    def _field(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Displacement (B, N, 2) and matte (B, N) at crop px points (float64).

        The spline inside the head ring, the outline's rigid motion beyond it, fading to zero at the
        outer ring; rings measured where the head is in the driving frame (carried by its rigid motion).
        """
        in_source = apply_affine(self._rigid_inverse, points)
        radius = self.head.radius(in_source)
        fade = 1.0 - _smoothstep(1.0, self.head.outer_factor[:, None], radius)
        inside = 1.0 - _smoothstep(0.9, 1.1, radius)
        rigid = in_source - points
        field = rigid * ((1.0 - inside) * fade)[..., None]
        # The spline only where it counts (inside the head ring): the rows and columns of the grid that
        # any frame's ring touches, a third of the grid or less.
        used = (inside > 0).reshape(-1, self.cells, self.cells).any(0)
        rows, cols = used.any(1).nonzero()[:, 0], used.any(0).nonzero()[:, 0]
        if len(rows):
            r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
            grid = field.reshape(-1, self.cells, self.cells, 2)
            sub = points.reshape(-1, self.cells, self.cells, 2)[:, r0:r1, c0:c1]
            weight = inside.reshape(-1, self.cells, self.cells)[:, r0:r1, c0:c1, None]
            spline = self._spline(sub.reshape(sub.shape[0], -1, 2)).reshape(sub.shape)
            grid[:, r0:r1, c0:c1] += spline * weight
        return field, fade

    # -- sampling ------------------------------------------------------------------------------------------
    def _sample(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 3) grid channels (displacement x, y in crop px; matte) at (B, N, 2) crop px points;
        zero outside the grid's box."""
        box = self.box.to(points.device, torch.float32)
        size = (box[:, 2:] - box[:, :2])[:, None]
        normalised = (points.float() - box[:, None, :2]) / size * 2 - 1
        sampled = F.grid_sample(
            self.grid.to(points.device), normalised.unsqueeze(1), mode="bilinear", padding_mode="zeros",
            align_corners=False,
        )
        return sampled[:, :, 0].transpose(1, 2)

    def displacement_at(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) displacement (source - driving position) in crop px at (B, N, 2) crop px points."""
        return self._sample(points)[..., :2]

    def matte_at(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N) how much of the moving head a driving-frame point shows: 1 on the head, fading to 0 at
        the outer ring (both carried by the head's rigid motion)."""
        return self._sample(points)[..., 2]

    def flow(self, size: int) -> torch.Tensor:
        """(B, 2, size, size) backward flow over the crop in grid_sample's normalised coordinates."""
        batch = self.grid.shape[0]
        step = self.resolution / size
        centres = (torch.arange(size, dtype=torch.float32, device=self.grid.device) + 0.5) * step - 0.5
        gx = centres[None, :].expand(size, -1)
        gy = centres[:, None].expand(-1, size)
        points = torch.stack([gx, gy], -1).reshape(1, -1, 2).expand(batch, -1, -1)
        moved = points + self.displacement_at(points)
        normalised = (moved + 0.5) * (2.0 / self.resolution) - 1.0
        return normalised.transpose(1, 2).reshape(batch, 2, size, size)

    def frames(self, offset: torch.Tensor | None = None, offset_is_motion: bool = False) -> list[FrameMotion]:
        """Every frame's final motion grid as numpy, for the renderer (any thread).

        `offset` (B, 2, h, w) is the flow net's learned displacement in crop px on its grid over the crop:
        added to the head's motion inside the crop and the head's region (the matte), faded out toward
        the crop's border (beyond it the network saw nothing) and the region's edge, or, with
        `offset_is_motion` (a flow without the landmark spline), taking the head's motion's place there. The sum is made fold-free again (the learned part can fold).
        """
        grid, before, after = self.grid, self.folded_before, self.folded_after
        if offset is not None:
            points = self._grid_points().float()
            learned = _sample_crop_grid(offset.to(points.device).float(), points, self.resolution)
            matte = grid[:, 2].flatten(1)  # the head's region: beyond it nothing moves, whatever the net says
            weight = (crop_window(points, self.resolution) * matte)[..., None]
            current = grid[:, :2].flatten(2).transpose(1, 2)
            moved = current + weight * (learned - current) if offset_is_motion else current + weight * learned
            moved = moved.transpose(1, 2).reshape_as(grid[:, :2])
            repaired, before_offset, after = unfold(moved, self.spacing, MIN_DET)
            before = torch.maximum(before, before_offset)
            grid = torch.cat([repaired, grid[:, 2:]], 1)
        grids = grid.detach().cpu().numpy()
        boxes = self.box.tolist()
        return [
            FrameMotion(grids[k], tuple(boxes[k]), float(before[k]), float(after[k])) for k in range(len(grids))
        ]


@dataclass(frozen=True)
class FrameMotion:
    """One frame's motion grid: channels displacement x, y (crop px) and matte, over `box` in crop px."""

    grid: np.ndarray  # (3, G, G) float32
    box: tuple[float, float, float, float]
    folded_before: float = 0.0
    folded_after: float = 0.0

    def sample(self, crop_x: np.ndarray, crop_y: np.ndarray) -> np.ndarray:
        """(..., 3) channels at crop px positions (float32 arrays of one shape); zero outside the box."""
        import cv2

        cells_y, cells_x = self.grid.shape[1:]
        x0, y0, x1, y1 = self.box
        fx = ((crop_x - x0) * (cells_x / (x1 - x0)) - 0.5).astype(np.float32)
        fy = ((crop_y - y0) * (cells_y / (y1 - y0)) - 0.5).astype(np.float32)
        grid = np.ascontiguousarray(np.moveaxis(self.grid, 0, -1))
        return cv2.remap(grid, fx, fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))


#: Share of the crop's side over which what the network adds fades out toward the crop's border.
CROP_FADE = 0.08


def crop_window(points: torch.Tensor, resolution: int) -> torch.Tensor:
    """(...,) 1 well inside the crop, fading to 0 at its border (`CROP_FADE` of the side), at (..., 2)
    crop px points."""
    fade = CROP_FADE * resolution
    lo, hi = -0.5, resolution - 0.5
    inside = _smoothstep(0.0, 1.0, (points - lo) / fade) * _smoothstep(0.0, 1.0, (hi - points) / fade)
    return inside[..., 0] * inside[..., 1]


def _sample_crop_grid(values: torch.Tensor, points: torch.Tensor, resolution: int) -> torch.Tensor:
    """(B, N, C) of a grid (B, C, h, w) laid over the crop, at (B, N, 2) crop px (held beyond it)."""
    normalised = (points + 0.5) * (2.0 / resolution) - 1.0
    sampled = F.grid_sample(values, normalised.unsqueeze(1), mode="bilinear", padding_mode="border", align_corners=False)
    return sampled[:, :, 0].transpose(1, 2)


def _box_corners(box: torch.Tensor) -> torch.Tensor:
    """(B, 4, 2) corners of (B, 4) boxes."""
    x0, y0, x1, y1 = box.unbind(1)
    return torch.stack([torch.stack([x0, y0], 1), torch.stack([x1, y0], 1), torch.stack([x1, y1], 1),
                        torch.stack([x0, y1], 1)], 1)


def _corners_box(points: torch.Tensor) -> torch.Tensor:
    """(B, 4) bounding boxes of (B, K, 2) points."""
    return torch.cat([points.amin(1), points.amax(1)], 1)


def _solve(controls: torch.Tensor, values: torch.Tensor, ridge: torch.Tensor) -> torch.Tensor:
    """Thin-plate coefficients (B, n + 3, 2) smoothing `values` (B, n, 2) at `controls` (B, n, 2), each
    point with its own ridge term (B, n): 0 interpolates it exactly, more lets the spline pass by."""
    batch, n, _ = controls.shape
    f64 = {"dtype": torch.float64, "device": controls.device}
    affine = torch.cat([torch.ones(batch, n, 1, **f64), controls], 2)
    system = torch.zeros(batch, n + 3, n + 3, **f64)
    system[:, :n, :n] = _kernel(torch.cdist(controls, controls).square()) + torch.diag_embed(ridge)
    system[:, :n, n:] = affine
    system[:, n:, :n] = affine.transpose(1, 2)
    rhs = torch.cat([values, torch.zeros(batch, 3, 2, **f64)], 1)
    return torch.linalg.solve(system, rhs)
