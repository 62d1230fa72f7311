"""VGG19 `features`, laid out exactly like torchvision's, so its ImageNet weights load without torchvision.

torchvision's ``vgg19`` (configuration "E") numbers its feature layers 0-36: 16 convolutions, each
followed by a ReLU, and five max-pools. Our `VGG19Features.features` is the same `nn.Sequential`, so
the keys of torchvision's weight file ``vgg19-dcbb9e9d.pth`` (``features.0.weight`` ...
``features.34.bias``; the ``classifier.*`` keys are ignored) load directly. The file is looked for at
a configured path, then in the torch hub cache (``$TORCH_HOME/hub/checkpoints`` or
``~/.cache/torch/hub/checkpoints``). Nothing is downloaded: without the file the caller decides.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from core.errors import ConfigError

VGG19_FILENAME = "vgg19-dcbb9e9d.pth"
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"

# Configuration "E": output widths of the convolutions, "M" for a 2x2 max-pool.
_CFG_E: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                                  512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _layer_names() -> dict[str, int]:
    """'relu{block}_{conv}' -> index of that ReLU in `features`."""
    names: dict[str, int] = {}
    index, block, conv = 0, 1, 0
    for item in _CFG_E:
        if item == "M":
            index += 1
            block, conv = block + 1, 0
        else:
            conv += 1
            names[f"relu{block}_{conv}"] = index + 1
            index += 2
    return names


LAYER_INDEX: dict[str, int] = _layer_names()


class VGG19Features(nn.Module):
    """Frozen VGG19 feature extractor: images in [-1, 1] -> the requested ReLU outputs, in order."""

    def __init__(self, layers: tuple[str, ...]):
        super().__init__()
        unknown = [name for name in layers if name not in LAYER_INDEX]
        if unknown:
            raise ConfigError(f"unknown VGG19 layers {unknown}; known: {', '.join(LAYER_INDEX)}")
        modules: list[nn.Module] = []
        previous = 3
        for item in _CFG_E:
            if item == "M":
                modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                modules += [nn.Conv2d(previous, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=False)]
                previous = int(item)
        self.features = nn.Sequential(*modules)
        self.layers = tuple(layers)
        self._indices = [LAYER_INDEX[name] for name in layers]
        self._last = max(self._indices)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGG19Features:
        """Always in eval mode: a fixed feature extractor."""
        return super().train(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = ((image + 1) / 2 - self.mean.to(image.dtype)) / self.std.to(image.dtype)
        wanted = {index: i for i, index in enumerate(self._indices)}
        outputs: list[torch.Tensor | None] = [None] * len(self._indices)
        for index, module in enumerate(self.features):
            x = module(x)
            if index in wanted:
                outputs[wanted[index]] = x
            if index == self._last:
                break
        return [out for out in outputs if out is not None]

    def load_torchvision(self, path: str | Path) -> None:
        """Load torchvision's vgg19 weights (``features.*`` keys; others ignored) from `path`."""
        path = Path(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as err:
            raise ConfigError(f"{path} is not a readable VGG19 weight file ({err.__class__.__name__}: {err})") from err
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise ConfigError(f"{path} does not hold a state dict")
        features = {k: v for k, v in state.items() if k.startswith("features.")}
        expected = self.state_dict()
        missing = sorted(set(expected) - set(features))
        if missing:
            raise ConfigError(
                f"{path} is not torchvision's vgg19 weights: it lacks {', '.join(missing[:4])}"
                f"{' ...' if len(missing) > 4 else ''}"
            )
        wrong = [k for k in expected if tuple(features[k].shape) != tuple(expected[k].shape)]
        if wrong:
            raise ConfigError(
                f"{path} has VGG weights of other shapes ({wrong[0]}: {tuple(features[wrong[0]].shape)}, "
                f"expected {tuple(expected[wrong[0]].shape)}): it is not vgg19"
            )
        self.load_state_dict(features)


def hub_checkpoint_dirs() -> list[Path]:
    """Where torchvision would have cached the file: torch.hub's dir, $TORCH_HOME, ~/.cache/torch."""
    dirs = [Path(torch.hub.get_dir()) / "checkpoints"]
    torch_home = os.environ.get("TORCH_HOME")
    if torch_home:
        dirs.append(Path(torch_home) / "hub" / "checkpoints")
    dirs.append(Path.home() / ".cache" / "torch" / "hub" / "checkpoints")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_vgg19_weights(configured: str | Path | None = None) -> Path | None:
    """The configured file (which must exist), else the first hub-cache copy, else None."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ConfigError(f"VGG19 weight file {path} not found (set by vgg_weights / --vgg-weights)")
        return path
    for folder in hub_checkpoint_dirs():
        candidate = folder / VGG19_FILENAME
        if candidate.is_file():
            return candidate
    return None
