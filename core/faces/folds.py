"""Folds in a backward map, found and smoothed away.

A backward map ``m(p) = p + d(p)`` tells each output position where to sample. Where its Jacobian
determinant ``det(I + grad d)`` is at or below zero the map folds over: neighbouring output pixels
sample the source in mirrored order, which shows as zig-zag teeth (crossing inner lips) or a torn,
smeared cheek (a flow that pulls far-away content across the face). A determinant close to zero is a
near-fold (a huge magnification of a sliver of the source).

`unfold` repairs a displacement grid locally: it finds the cells whose determinant is below
`min_det`, and pulls the displacement there (and in a small neighbourhood, with a soft weight) toward
its local average, a few times over. Smoothing a displacement field lowers its gradients, so folds
open up while the motion elsewhere is left exactly as it was. A fold that smoothing alone does not
open (a mirror image: two landmarks that swapped sides) is then also damped toward no motion there,
which always ends it (no displacement, no fold). Large motions degrade into a softer, smaller
deformation instead of tearing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Determinant below which a cell counts as folded (or about to): the map magnifies it over 10x.
MIN_DET = 0.3


def jacobian_determinant(displacement: torch.Tensor, spacing: torch.Tensor | tuple[float, float]) -> torch.Tensor:
    """det(I + grad d) of displacements (B, 2, H, W) on a grid of `spacing` (x, y) units per cell.

    `spacing` is a pair of numbers or a (B, 2) tensor; the result is (B, H, W), central differences
    inside and one-sided ones at the border.
    """
    spacing = torch.as_tensor(spacing, dtype=displacement.dtype, device=displacement.device)
    if spacing.dim() == 1:
        spacing = spacing.expand(displacement.shape[0], 2)
    sx = spacing[:, 0].view(-1, 1, 1)
    sy = spacing[:, 1].view(-1, 1, 1)
    dx_dx, dx_dy = _gradient(displacement[:, 0])
    dy_dx, dy_dy = _gradient(displacement[:, 1])
    return (1 + dx_dx / sx) * (1 + dy_dy / sy) - (dx_dy / sy) * (dy_dx / sx)


def _gradient(field: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(d/dx, d/dy) of (B, H, W) in cells: central differences, one-sided at the border."""
    padded = F.pad(field[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
    gx = (padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]) * 0.5
    gy = (padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]) * 0.5
    gx[:, :, [0, -1]] *= 2.0
    gy[:, [0, -1], :] *= 2.0
    return gx, gy


def _blur(field: torch.Tensor, passes: int = 1) -> torch.Tensor:
    """A 3x3 binomial blur of (B, C, H, W), edges replicated."""
    kernel = torch.tensor([1.0, 2.0, 1.0], dtype=field.dtype, device=field.device)
    kernel = (kernel[:, None] * kernel[None, :]) / 16.0
    channels = field.shape[1]
    weight = kernel.expand(channels, 1, 3, 3)
    for _ in range(passes):
        field = F.conv2d(F.pad(field, (1, 1, 1, 1), mode="replicate"), weight, groups=channels)
    return field


def folded_fraction(
    displacement: torch.Tensor, spacing: torch.Tensor | tuple[float, float], region: torch.Tensor | None = None
) -> torch.Tensor:
    """(B,) share of cells (inside `region` (B, H, W) > 0 when given) whose map folds (det <= 0)."""
    folded = (jacobian_determinant(displacement, spacing) <= 0).to(displacement.dtype)
    if region is None:
        return folded.mean((1, 2))
    weight = (region > 0).to(displacement.dtype)
    return (folded * weight).sum((1, 2)) / weight.sum((1, 2)).clamp_min(1.0)


def unfold(
    displacement: torch.Tensor,
    spacing: torch.Tensor | tuple[float, float],
    min_det: float = MIN_DET,
    iterations: int = 40,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Displacements (B, 2, H, W) with folds smoothed away, and the folded cell shares before and after.

    Only cells near a (near-)fold change; a grid without one comes back unchanged (the same tensor).
    """
    spacing = torch.as_tensor(spacing, dtype=displacement.dtype, device=displacement.device)
    if spacing.dim() == 1:
        spacing = spacing.expand(displacement.shape[0], 2)
    before = folded_fraction(displacement, spacing)
    out = displacement
    active = torch.arange(displacement.shape[0], device=displacement.device)  # frames still being repaired
    for step in range(iterations):
        part, part_spacing = out[active], spacing[active]
        bad = (jacobian_determinant(part, part_spacing) < min_det).to(out.dtype).unsqueeze(1)
        still = bad.flatten(1).any(1)
        if not bool(still.any()):
            break
        if not bool(still.all()):  # frames without a (near-)fold are done: leave them be
            active, part, part_spacing, bad = active[still], part[still], part_spacing[still], bad[still]
        weight = _blur(F.max_pool2d(bad, 3, stride=1, padding=1), passes=2).clamp(0, 1)
        part = part + weight * (_blur(part, passes=2) - part)
        if step >= iterations // 3:  # smoothing has not opened it: damp the motion there as well
            part = part * (1.0 - 0.25 * weight)
        out = out.index_copy(0, active, part)
    return out, before, folded_fraction(out, spacing)
