"""Typed, frozen configuration: one dataclass per concern, built from YAML/JSON with validation.

Unknown keys and impossible values are rejected with a message that names the key. A checkpoint
stores `ModelConfig.to_dict()` so that loading rebuilds exactly the network that was saved.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from core.animation.tracks import DEFAULT_CONTROLS, NO_ANIMATION, Animation, Controls
from core.errors import ConfigError

C = TypeVar("C")

NormKind = Literal["batch", "instance"]
BlockNorm = Literal["batch", "instance", "none"]
SynthesisRegion = Literal["face", "mouth"]  # where a warp_source model may paint: core.networks.synthesis_region


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    """Convert plain YAML/JSON values to the annotated type, or raise ConfigError naming `name`."""
    origin = get_origin(annotation)
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        options = get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, name)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if errors else f"{name} has an invalid value {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{name} must be a list, got {value!r}")
        args = get_args(annotation)
        item_type = args[0] if args else Any
        return tuple(_coerce(v, item_type, f"{name}[{i}]") for i, v in enumerate(value))
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
        return value
    return value


def from_dict(cls: type[C], data: Mapping[str, Any] | None, where: str = "") -> C:
    """Build the frozen dataclass `cls` from plain data; unknown keys and bad values raise ConfigError."""
    if data is not None and not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'the config'} must be a mapping of keys to values, got {type(data).__name__}")
    data = dict(data or {})
    prefix = f"{where}." if where else ""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(prefix + k for k in unknown)}; "
            f"known keys: {', '.join(sorted(known))}"
        )
    values = {key: _coerce(value, hints[key], prefix + key) for key, value in data.items()}
    return cls(**values)


def to_dict(config: Any) -> dict[str, Any]:
    """Plain types only (tuples become lists), so a checkpoint loads with ``weights_only=True``."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file into a dict, with a clear message when it is missing or malformed."""
    from core.safety import file_kind, parse_json

    path = Path(path)
    kind = file_kind(path)
    if kind not in ("file", "missing"):
        raise ConfigError(f"config {path} is a {kind}, not a file")
    if kind == "file" and path.stat().st_size > 1024 * 1024:
        raise ConfigError(f"config {path} is {path.stat().st_size / 1e6:.0f} MB: a config file is a few KB")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config {path}: {getattr(err, 'strerror', None) or err}") from err
    try:
        if path.suffix.lower() == ".json":
            data = parse_json(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except RecursionError as err:
        raise ConfigError(f"config {path} is nested too deeply to be a config file") from err
    except (ValueError, ImportError) as err:
        raise ConfigError(f"config {path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {err}") from err
    except Exception as err:
        if type(err).__module__.startswith("yaml"):
            raise ConfigError(f"config {path} is not valid YAML: {err}") from err
        raise
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must hold a mapping of keys to values")
    return data


#: Bounds of a model config, far beyond any useful model, so that a damaged or hostile config cannot
#: ask for a network that takes hundreds of gigabytes to build.
MAX_RESOLUTION = 1024
MAX_WIDTH = 512
MAX_LEVELS = 8

#: Longest side of a rendered picture (`RenderOptions.output_size`).
MAX_OUTPUT_SIZE = 8192

#: Channels of the local parts' canvas (`core.networks.local.paste_regions`): RGB + coverage.
LOCAL_CANVAS_CHANNELS = 4

@dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the generator's and discriminators' shapes.

    The fusion net starts from the warped appearance feature at ``resolution / 2**fusion_blocks``
    and each fusion block doubles the size with a pixel shuffle; ``fusion_widths[i]`` is the width of
    block i (the last entry is the width of the full-resolution output stage).
    """

    resolution: int = 256
    heatmap_variance: float = 3.0  # Gaussian variance in px^2 at 256 px, scaled with resolution
    # Variance of the flow net's landmark Gaussians in cells^2 of its own grid (R / 2**fusion_blocks);
    # None: heatmap_variance scaled like the other heatmaps, i.e. sqrt(3) * R / 256 px (0.43 of a cell
    # at 256 px: nearly single cells). See `flow_heatmap_sigma`.
    flow_heatmap_variance: float | None = None
    appearance_widths: tuple[int, ...] = (32, 64, 96, 128, 192)
    fusion_widths: tuple[int, ...] = (96, 48, 24)
    flow_widths: tuple[int, ...] = (48, 96, 128, 160)
    local_widths: tuple[int, ...] = (16, 24, 48, 96)
    local_size: int = 64
    output_convs: int = 1  # residual 3x3 convolutions at full resolution before the RGB convolution
    warp_source: bool = False  # fusion sees the flow-warped source image and blends it in (fusion.py)
    landmark_flow: bool = False  # the flow net refines a landmark thin-plate spline (landmark_flow.py)
    # Where the output may differ from the warped source (warp_source): "face", anywhere the blend mask
    # lets it (the paper's generator paints everything), or "mouth" (synthesis_region.py).
    synthesis_region: SynthesisRegion = "face"
    aan_statistics: NormKind = "batch"
    block_norm: BlockNorm = "batch"
    spectral_norm: bool = True
    discriminator_scales: int = 2
    discriminator_widths: tuple[int, ...] = (64, 128, 256, 512)

    def __post_init__(self) -> None:
        problems = []
        blocks = len(self.fusion_widths) - 1
        if blocks < 1:
            problems.append("fusion_widths needs at least two entries (one fusion block)")
        if len(self.appearance_widths) < blocks + 2:
            problems.append(
                f"appearance_widths needs at least {blocks + 2} entries for {blocks} fusion blocks"
            )
        if len(self.flow_widths) < 2:
            problems.append("flow_widths needs at least two entries")
        if len(self.local_widths) != 4:
            problems.append(
                "local_widths must have four entries: the input level and three down blocks (mirrored by "
                "three up blocks)"
            )
        if len(self.discriminator_widths) < 2:
            problems.append("discriminator_widths needs at least two entries")
        for name in ("appearance_widths", "fusion_widths", "flow_widths", "local_widths", "discriminator_widths"):
            widths = getattr(self, name)
            if any(not 1 <= w <= MAX_WIDTH for w in widths):
                problems.append(f"{name} must be between 1 and {MAX_WIDTH}")
            if len(widths) > MAX_LEVELS:
                problems.append(f"{name} has {len(widths)} entries, at most {MAX_LEVELS}")
        if problems:  # the checks below assume sane lengths
            raise ConfigError("invalid model config: " + "; ".join(problems))
        depth = max(len(self.appearance_widths) - 1, blocks + len(self.flow_widths) - 1)
        if not 32 <= self.resolution <= MAX_RESOLUTION or self.resolution % (2**depth):
            problems.append(
                f"resolution {self.resolution} must be 32 to {MAX_RESOLUTION} and divisible by {2**depth} "
                f"for these widths"
            )
        if not 16 <= self.local_size <= max(16, self.resolution) or self.local_size % 8:  # three halvings
            problems.append(f"local_size {self.local_size} must be a multiple of 8, from 16 to the resolution")
        if not 0 < self.heatmap_variance <= 100:
            problems.append(f"heatmap_variance must be in (0, 100], got {self.heatmap_variance}")
        if self.flow_heatmap_variance is not None and not 0 < self.flow_heatmap_variance <= 100:
            problems.append(f"flow_heatmap_variance must be in (0, 100], got {self.flow_heatmap_variance}")
        if not 0 <= self.output_convs <= 8:
            problems.append(f"output_convs must be 0 to 8, got {self.output_convs}")
        if self.synthesis_region not in get_args(SynthesisRegion):
            problems.append(f"synthesis_region must be one of {', '.join(get_args(SynthesisRegion))}, "
                            f"got {self.synthesis_region!r}")
        elif self.synthesis_region != "face" and not self.warp_source:
            problems.append(f"synthesis_region {self.synthesis_region} needs warp_source (outside it the output "
                            "is the warped source)")
        if not 1 <= self.discriminator_scales <= 4:
            problems.append(f"discriminator_scales must be 1 to 4, got {self.discriminator_scales}")
        if problems:
            raise ConfigError("invalid model config: " + "; ".join(problems))

    @property
    def fusion_blocks(self) -> int:
        return len(self.fusion_widths) - 1

    @property
    def guide_channels(self) -> int:
        """Channels the fusion stages read beside their features: the local canvas (+ warped source)."""
        return LOCAL_CANVAS_CHANNELS + (3 if self.warp_source else 0)

    @property
    def feature_size(self) -> int:
        """Side of the appearance feature F_a and of the flow field."""
        return self.resolution // 2**self.fusion_blocks

    @property
    def heatmap_sigma(self) -> float:
        """Gaussian sigma in pixels at this resolution (variance 3 at 256 px, as in the paper)."""
        return (self.heatmap_variance**0.5) * self.resolution / 256

    @property
    def flow_heatmap_sigma(self) -> float:
        """Sigma in crop pixels of the heatmaps the flow net sees on its coarse grid.

        The paper draws its heatmaps (variance 3 px^2) at the image's own resolution; the flow net here
        sees them at R/4 or R/8, where the same sigma is under half a cell. With
        `flow_heatmap_variance` the variance is counted in cells of that grid instead, which keeps the
        paper's shape of the Gaussian at the resolution the net actually reads.
        """
        if self.flow_heatmap_variance is None:
            return self.heatmap_sigma
        return (self.flow_heatmap_variance**0.5) * self.resolution / self.feature_size

    @classmethod
    def tiny(cls, resolution: int = 64) -> ModelConfig:
        """A few-hundred-kilobyte model for tests and quick CPU experiments."""
        return cls(
            resolution=resolution,
            appearance_widths=(8, 16, 24, 32),
            fusion_widths=(24, 16, 8),
            flow_widths=(16, 24, 32),
            local_widths=(8, 8, 16, 24),
            local_size=max(16, resolution // 4),
            discriminator_widths=(16, 32, 64),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ModelConfig:
        return from_dict(cls, data, "model")

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


@dataclass(frozen=True)
class RenderOptions:
    """How a driving sequence moves the source; the device is the Reenactor's, not an option.

    `output_size` is the longest side of the output in pixels; None keeps the native size (the full
    source photo with `paste_back`; the face's own size in the photo for a crop, at least the model's
    resolution, at most 2048). `mask_scale` (0.5-2) sizes the region that moves with the head (1: the
    face, forehead, hair and ears) and `mask_feather` (0-1) how softly the motion fades out beyond it
    (`core.faces.motion.MotionRegion`). `synthesis` (0-1) is how much of what the network paints beyond
    its own warp of the photo is shown (0: the learned motion alone; 1: all of it: the mouth's inside, what
    a turn reveals). `full_resolution` False shows the network's own picture magnified from its
    resolution, over the same framing, to compare with the full-resolution render.

    `controls` are the animator's static values and `animation` their keys (`core.animation.tracks`);
    `strength`, `identity_adaptation` and `smoothing` are the controls' own values (kept in step).
    `hold_flagged` shows the last good frame over frames the driving check flags
    (`core.faces.driving_check.HOLDABLE`).
    """

    strength: float = 1.0
    identity_adaptation: float = 0.0
    relative: bool = True
    reference_frame: int | None = None
    smoothing: float = 0.5
    paste_back: bool = False
    output_size: int | None = None
    mask_scale: float = 1.0
    mask_feather: float = 0.5
    synthesis: float = 1.0
    full_resolution: bool = True
    controls: Controls = DEFAULT_CONTROLS
    animation: Animation = NO_ANIMATION
    hold_flagged: bool = False

    def __post_init__(self) -> None:
        for name in ("strength", "identity_adaptation", "smoothing"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value:g}")
        if self.reference_frame is not None and self.reference_frame < 0:
            raise ConfigError(f"reference frame must be 0 or more, got {self.reference_frame}")
        if self.output_size is not None and not 16 <= self.output_size <= MAX_OUTPUT_SIZE:
            raise ConfigError(f"output size must be between 16 and {MAX_OUTPUT_SIZE} px, got {self.output_size}")
        if not 0.5 <= self.mask_scale <= 2.0:
            raise ConfigError(f"mask size must be between 0.5 and 2, got {self.mask_scale:g}")
        if not 0.0 <= self.mask_feather <= 1.0:
            raise ConfigError(f"mask feather must be between 0 and 1, got {self.mask_feather:g}")
        if not 0.0 <= self.synthesis <= 1.0:
            raise ConfigError(f"synthesis must be between 0 and 1, got {self.synthesis:g}")
        if not isinstance(self.controls, Controls) or not isinstance(self.animation, Animation):
            raise ConfigError("options.controls and options.animation must be Controls and Animation")
        masters = {name: getattr(self, name) for name in _MASTER_CONTROLS}
        if any(self.controls.value(name) != value for name, value in masters.items()):
            object.__setattr__(self, "controls", self.controls.with_values(**masters))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RenderOptions:
        """Plain options with nested ``controls`` (non-default values) and ``animation`` (keys)."""
        if data is not None and not isinstance(data, Mapping):
            return from_dict(cls, data, "options")  # the generic message
        plain = dict(data or {})
        controls = Controls.from_dict(plain.pop("controls", {}), "options.controls")
        animation = Animation.from_dict(plain.pop("animation", {"curves": {}}), "options.animation")
        masters = {name: controls.value(name) for name in _MASTER_CONTROLS if name not in plain}
        options = from_dict(cls, {**masters, **plain}, "options")
        return dataclasses.replace(options, controls=controls.with_values(**{
            name: getattr(options, name) for name in _MASTER_CONTROLS}), animation=animation)

    def to_dict(self) -> dict[str, Any]:
        out = to_dict(self)
        controls = self.controls.to_dict()
        out["controls"] = {name: value for name, value in controls.items() if name not in _MASTER_CONTROLS}
        out["animation"] = self.animation.to_dict()
        return out


#: Controls that are also `RenderOptions` fields (the field is the value).
_MASTER_CONTROLS = ("strength", "identity_adaptation", "smoothing")
