"""The generator: appearance extractor, flow net, local nets and fusion net, composed.

Split for speed: `prepare_source` computes everything that depends only on the source (F_a, Theta,
source heatmaps, the local parts' crops and heatmaps) once; `render` runs per driving frame.
`forward` is both. Landmarks are (B, 68, 2) pixels in the aligned crop at the model's resolution,
pixel centres at integers; images are (B, 3, R, R) in [-1, 1]. Landmarks, their heatmaps, the
landmark spline and the flow stay in float32 under mixed precision (at 256 px a bf16 coordinate
rounds to 0.5-1 px): only the networks' inputs are cast to the feature dtype.

A prepared source of batch 1 renders any number of driving frames at once (it is broadcast). In eval
mode with batch statistics, Theta is folded with the AAN layers' running statistics into one scale and
shift per layer during `prepare_source`, so a frame costs one multiply-add per AAN layer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import nn

from core.config import ModelConfig
from core.faces.heatmaps import landmark_heatmaps, region_heatmaps
from core.faces.motion import HeadMotion
from core.faces.regions import LOCAL_INDICES, NUM_LANDMARKS, region_boxes
from core.networks.appearance import AppearanceExtractor
from core.networks.flow import FlowEstimator, upsample_flow, warp
from core.networks.fusion import FusionNet, Modulation
from core.networks.local import LocalNets, crop_regions, paste_regions
from core.networks.synthesis_region import limit_synthesis


def check_shape(tensor: torch.Tensor, expected: tuple[int | None, ...], name: str) -> None:
    """Raise ValueError naming the expected shape (None = any size) when `tensor` does not match."""
    ok = tensor.dim() == len(expected) and all(e is None or e == s for e, s in zip(expected, tensor.shape, strict=True))
    if not ok:
        want = ", ".join("B" if e is None else str(e) for e in expected)
        raise ValueError(f"{name} must have shape ({want}), got {tuple(tensor.shape)}")


@dataclass
class PreparedSource:
    """Everything `render` needs that depends only on the source."""

    landmarks: torch.Tensor  # (B, 68, 2)
    image: torch.Tensor  # (B, 3, R, R) the source crop
    appearance: torch.Tensor  # F_a (B, C_0, h, w)
    modulations: list[Modulation]  # Theta, or (scale, shift) per AAN layer when `folded`
    folded: bool
    heatmaps: torch.Tensor  # (B, 68, h, w)
    local_crops: torch.Tensor  # (B, 4, 3, L, L)
    local_heatmaps: list[torch.Tensor]  # per part (B, k, L, L)

    @property
    def batch(self) -> int:
        return self.appearance.shape[0]

    def broadcast(self, batch: int) -> PreparedSource:
        """The same source for `batch` frames (views, no copies); a no-op when sizes already match."""
        if batch == self.batch:
            return self
        if self.batch != 1:
            raise ValueError(f"a prepared source of batch {self.batch} cannot render {batch} frames")

        def grow(t: torch.Tensor) -> torch.Tensor:
            return t.expand(batch, *t.shape[1:])

        return PreparedSource(
            landmarks=grow(self.landmarks),
            image=grow(self.image),
            appearance=grow(self.appearance),
            modulations=[(grow(a), grow(b)) for a, b in self.modulations],
            folded=self.folded,
            heatmaps=grow(self.heatmaps),
            local_crops=grow(self.local_crops),
            local_heatmaps=[grow(h) for h in self.local_heatmaps],
        )

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> PreparedSource:
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device=device, dtype=dtype if t.is_floating_point() and dtype else t.dtype)

        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                values[f.name] = move(value)
            elif f.name == "modulations":
                values[f.name] = [(move(a), move(b)) for a, b in value]
            elif f.name == "local_heatmaps":
                values[f.name] = [move(h) for h in value]
        return replace(self, **values)


@dataclass
class GeneratorOutput:
    image: torch.Tensor  # (B, 3, R, R) in [-1, 1]
    local_images: torch.Tensor  # (B, 4, 3, L, L): each local net's reenacted part, in its crop frame
    local_canvas: torch.Tensor  # (B, 4, R, R): the parts moved to the driving positions, RGB + coverage
    flow: torch.Tensor  # (B, 2, h, w) backward flow in normalised coordinates, float32
    fine_flow: torch.Tensor  # (B, 2, R, R) the same motion at the image's resolution
    base_flow: torch.Tensor | None = None  # (B, 2, h, w) the head motion the flow refines (landmark_flow)
    warped_source: torch.Tensor | None = None  # (B, 3, R, R) the source crop warped by `flow` (warp_source)
    mask: torch.Tensor | None = None  # (B, 1, R, R) blend weight of `warped_source` in `image` (warp_source)


class Generator(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.appearance = AppearanceExtractor(config)
        self.flow = FlowEstimator(config)
        self.local = LocalNets(config)
        self.fusion = FusionNet(config)

    def _check_landmarks(self, landmarks: torch.Tensor, name: str) -> None:
        check_shape(landmarks, (None, NUM_LANDMARKS, 2), name)

    def prepare_source(self, source: torch.Tensor, source_landmarks: torch.Tensor) -> PreparedSource:
        cfg = self.config
        r = cfg.resolution
        check_shape(source, (None, 3, r, r), "source")
        self._check_landmarks(source_landmarks, "source_landmarks")
        if source.shape[0] != source_landmarks.shape[0]:
            raise ValueError("source and source_landmarks must have the same batch size")
        source_landmarks = source_landmarks.float()
        appearance, theta = self.appearance(source)
        norms = self.fusion.norms()
        folded = all(norm.foldable() for norm in norms)
        modulations = [norm.fold(g, b) for norm, (g, b) in zip(norms, theta, strict=True)] if folded else theta
        boxes = region_boxes(source_landmarks)
        local_crops = crop_regions(source, boxes, cfg.local_size)
        local_heatmaps = [
            region_heatmaps(source_landmarks, boxes[:, i], indices, cfg.local_size, cfg.heatmap_sigma)
            for i, indices in enumerate(LOCAL_INDICES)
        ]
        heatmaps = landmark_heatmaps(source_landmarks, cfg.feature_size, r, cfg.flow_heatmap_sigma)
        return PreparedSource(
            landmarks=source_landmarks,
            image=source,
            appearance=appearance,
            modulations=modulations,
            folded=folded,
            heatmaps=heatmaps.to(source.dtype),
            local_crops=local_crops,
            local_heatmaps=[h.to(source.dtype) for h in local_heatmaps],
        )

    def render(
        self, prepared: PreparedSource, driving_landmarks: torch.Tensor, motion: HeadMotion | None = None
    ) -> GeneratorOutput:
        """Reenact the prepared source with (B, 68, 2) driving landmarks.

        With ``landmark_flow`` the flow refines the head's motion (`core.faces.motion.HeadMotion`),
        built here unless the caller passes the one it renders with (the app's region settings).
        """
        cfg = self.config
        self._check_landmarks(driving_landmarks, "driving_landmarks")
        prepared = prepared.broadcast(driving_landmarks.shape[0])
        dtype = prepared.appearance.dtype
        driving_landmarks = driving_landmarks.float()
        driving_heatmaps = landmark_heatmaps(
            driving_landmarks, cfg.feature_size, cfg.resolution, cfg.flow_heatmap_sigma
        ).to(dtype)
        base = base_fine = None
        if cfg.landmark_flow:
            if motion is None:
                motion = HeadMotion(prepared.landmarks, driving_landmarks, cfg.resolution)
            base, base_fine = motion.flow(cfg.feature_size), motion.flow(cfg.resolution)
        flow = self.flow(prepared.heatmaps, driving_heatmaps, base).float()
        if base is None:
            fine_flow = upsample_flow(flow, (cfg.resolution, cfg.resolution))
        else:  # the spline at full size plus the learned offset, brought up as an offset
            fine_flow = base_fine + torch.nn.functional.interpolate(
                flow - base, size=(cfg.resolution, cfg.resolution), mode="bilinear", align_corners=False
            )
        warped = warp(prepared.appearance, flow)
        boxes = region_boxes(driving_landmarks)
        driving_local = [
            region_heatmaps(driving_landmarks, boxes[:, i], indices, cfg.local_size, cfg.heatmap_sigma).to(dtype)
            for i, indices in enumerate(LOCAL_INDICES)
        ]
        local_images = self.local(prepared.local_crops, prepared.local_heatmaps, driving_local)
        local_canvas = paste_regions(local_images, boxes, cfg.resolution)
        guide, warped_source = local_canvas, None
        if cfg.warp_source:
            warped_source = warp(prepared.image, fine_flow, padding="border")
            guide = torch.cat([local_canvas, warped_source], 1)
        image, mask = self.fusion(warped, guide, prepared.modulations, prepared.folded)
        if warped_source is not None and mask is not None:
            image, mask = limit_synthesis(cfg.synthesis_region, image, warped_source, mask, driving_landmarks)
        return GeneratorOutput(
            image=image,
            local_images=local_images,
            local_canvas=local_canvas,
            flow=flow,
            fine_flow=fine_flow,
            base_flow=base,
            warped_source=warped_source,
            mask=mask,
        )

    def forward(
        self, source: torch.Tensor, source_landmarks: torch.Tensor, driving_landmarks: torch.Tensor
    ) -> GeneratorOutput:
        return self.render(self.prepare_source(source, source_landmarks), driving_landmarks)
