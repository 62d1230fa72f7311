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
a turn smears the cheek after it), and the inner lips, which a closing mouth puts on top of each other
with different sources (followed exactly, the teeth between them fold into a zig-zag).

The field is evaluated once per frame on a grid over the outer ring's box, made fold-free there
(`core.faces.folds.unfold`), and every use samples that one grid: the network's landmark flow at its
own resolution (`flow`), the full-resolution renderer at any size (`displacement_at`) and the matte
(`matte_at`: 1 on the moving head, fading to 0 at the outer ring, following the head).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
#: Cells of the evaluation grid along the outer ring's box.
GRID_CELLS = 128
#: The jaw's landmarks trace the face's silhouette, which slides over the skin when the head turns:
#: the spline only approximates them (a ridge term), so a turn does not smear the cheek after them.
JAW_CONTOUR: tuple[int, ...] = tuple(range(0, 17))
CONTOUR_REGULARIZATION = 3e-1
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
    outer_factor: float

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
        return cls(centre, axes, region.outer_factor)

    def radius(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N) egg radius of (B, N, 2) points: 1 on the head ring, `outer_factor` on the outer one."""
        d = points - self.centre[:, None]
        ay = torch.where(d[..., 1] > 0, self.axes[:, None, 1] * LOWER_FLATTEN, self.axes[:, None, 1])
        return torch.sqrt((d[..., 0] / self.axes[:, None, 0]) ** 2 + (d[..., 1] / ay) ** 2)

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


def outline_pose(landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre (B, 2), scale (B,) and in-plane angle (B,) of (B, 68, 2) faces' rigid points.

    The weak-perspective camera of `core.faces.shape_model.fit_shapes`: the least-squares affine map of
    the mean face's rigid points onto the landmarks, orthonormalised; its scale does not shrink when the
    face turns (unlike a 2D similarity's), and the angle is that of the face's own x axis in the image.
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
    return centre, s.mean(-1), torch.atan2(rows[:, 1, 0], rows[:, 0, 0])


def outline_motion(source: torch.Tensor, driving: torch.Tensor) -> torch.Tensor:
    """(B, 2, 3) similarities carrying the source head's outline to the driving frame's: the change of
    roll and size about the source's centre, then the centre's move."""
    c_s, s_s, a_s = outline_pose(source)
    c_d, s_d, a_d = outline_pose(driving)
    ratio, angle = s_d / s_s.clamp_min(1e-9), a_d - a_s
    cos, sin = ratio * torch.cos(angle), ratio * torch.sin(angle)
    linear = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (B, 2, 2)
    shift = c_d - (linear @ c_s[..., None])[..., 0]
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
    return squared_distance * torch.log(squared_distance.clamp_min(1e-20))


def _smoothstep(edge0: float | torch.Tensor, edge1: float | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    t = ((x - edge0) / (edge1 - edge0)).clamp(0, 1)
    return t * t * (3 - 2 * t)


class HeadMotion:
    """The backward motion of driving frames (B, 68, 2) relative to their source landmarks, in crop px.

    `source_landmarks` is (68, 2), (1, 68, 2) or (B, 68, 2). Built on the CPU or the landmarks' device
    in float64 (the spline solve) and float32 (the grid); costs about a millisecond a frame plus the
    grid evaluation.
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
        driving = driving_landmarks.detach().double()
        if driving.dim() == 2:
            driving = driving[None]
        batch = driving.shape[0]
        source = source_landmarks.detach().double().to(driving.device)
        if source.dim() == 2:
            source = source[None]
        source = source.expand(batch, -1, -1)
        self.resolution = int(resolution)
        self.region = region
        self.head = HeadRegion.of(source, region)
        self.rigid = outline_motion(source, driving)
        head_ring = self.head.ring(HEAD_RING_POINTS, 1.0)
        controls = torch.cat([driving, apply_affine(self.rigid, head_ring)], 1)
        values = torch.cat([source, head_ring], 1)
        ridge = torch.full(controls.shape[:2], regularization, dtype=torch.float64, device=driving.device)
        ridge[:, list(JAW_CONTOUR)] = CONTOUR_REGULARIZATION  # a silhouette, not points of the skin
        ridge[:, list(INNER_LIPS)] = INNER_LIP_REGULARIZATION
        self._scale = 2.0 / self.resolution  # crop px -> normalised units (better conditioned)
        self._controls = controls * self._scale
        self._coefficients = _solve(self._controls, (values - controls) * self._scale, ridge)
        self.box = self.head.box().float()
        self.cells = int(cells)
        grid_points = self._grid_points()
        field = self._field(grid_points).transpose(1, 2).reshape(batch, 2, self.cells, self.cells)
        self.grid, self.folded_before, self.folded_after = unfold(field.float(), self.spacing, MIN_DET)

    # -- construction --------------------------------------------------------------------------------------
    @property
    def spacing(self) -> torch.Tensor:
        """(B, 2) crop px per grid cell in x and y."""
        return torch.stack(
            [(self.box[:, 2] - self.box[:, 0]) / self.cells, (self.box[:, 3] - self.box[:, 1]) / self.cells], 1
        )

    def _grid_points(self) -> torch.Tensor:
        """(B, cells^2, 2) cell centres in crop px, row-major."""
        t = (torch.arange(self.cells, dtype=torch.float64, device=self.box.device) + 0.5) / self.cells
        box = self.box.double()
        xs = box[:, 0:1] + t[None] * (box[:, 2:3] - box[:, 0:1])
        ys = box[:, 1:2] + t[None] * (box[:, 3:4] - box[:, 1:2])
        gx = xs[:, None, :].expand(-1, self.cells, -1)
        gy = ys[:, :, None].expand(-1, -1, self.cells)
        return torch.stack([gx, gy], -1).reshape(box.shape[0], -1, 2)

    def _spline(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) spline displacement in crop px at (B, N, 2) crop px points (float64)."""
        p = points.double() * self._scale
        n = self._controls.shape[1]
        radial = _kernel(torch.cdist(p, self._controls).square())
        affine = torch.cat([torch.ones_like(p[..., :1]), p], -1)
        out = radial @ self._coefficients[:, :n] + affine @ self._coefficients[:, n:]
        return out / self._scale

    def _field(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) displacement at crop px points: the spline inside the head ring, the outline's
        rigid motion beyond it, fading smoothly to zero at the outer ring."""
        radius = self.head.radius(points)
        outer = self.region.outer_factor
        rigid = apply_affine(invert_affine(self.rigid), points) - points
        fade = 1.0 - _smoothstep(1.0, outer, radius)
        inside = 1.0 - _smoothstep(0.9, 1.1, radius)
        return (self._spline(points) * inside[..., None] + rigid * ((1.0 - inside) * fade)[..., None])

    # -- sampling ------------------------------------------------------------------------------------------
    def displacement_at(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) displacement (source - driving position) in crop px at (B, N, 2) crop px points.

        Bilinear in the fold-free grid; exactly zero beyond the outer ring's box.
        """
        box = self.box.to(points.device)
        size = (box[:, 2:] - box[:, :2])[:, None]
        normalised = (points.float() - box[:, None, :2]) / size * 2 - 1
        sampled = F.grid_sample(
            self.grid.to(points.device), normalised.unsqueeze(1), mode="bilinear", padding_mode="zeros",
            align_corners=False,
        )
        return sampled[:, :, 0].transpose(1, 2)

    def flow(self, size: int) -> torch.Tensor:
        """(B, 2, size, size) backward flow over the crop in grid_sample's normalised coordinates."""
        batch = self.grid.shape[0]
        centres = (torch.arange(size, dtype=torch.float32, device=self.grid.device) + 0.5) * (self.resolution / size) - 0.5
        gx = centres[None, :].expand(size, -1)
        gy = centres[:, None].expand(-1, size)
        points = torch.stack([gx, gy], -1).reshape(1, -1, 2).expand(batch, -1, -1)
        moved = points + self.displacement_at(points)
        normalised = (moved + 0.5) * (2.0 / self.resolution) - 1.0
        return normalised.transpose(1, 2).reshape(batch, 2, size, size)

    def matte_at(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N) how much of the moving head a driving-frame point shows: 1 on the head (its ring
        carried by the head's rigid motion), fading to 0 at the outer ring."""
        in_source = apply_affine(invert_affine(self.rigid).to(points.device), points.double())
        radius = self.head.radius(in_source)
        return (1.0 - _smoothstep(1.0, self.region.outer_factor, radius)).float()


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
