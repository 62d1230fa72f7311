"""Checkpoints: every network's weights, optional optimiser and training state, and the config.

Saved with plain types only (tensors, numbers, strings, lists, dicts) and loaded with
``torch.load(weights_only=True)``, so a file carrying pickled objects is refused instead of run.
The `ModelConfig` that built the networks travels inside, so `load_generator` rebuilds the exact
network; a different format or config is reported by name instead of failing on a shape mismatch.
Writes go to a temporary file beside the target and are renamed when complete.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core import __version__
from core.atomic import atomic_path
from core.config import ModelConfig
from core.errors import CheckpointError, ConfigError

FORMAT = "reenact-studio-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """A loaded checkpoint: plain data, not yet bound to modules."""

    path: Path
    config: ModelConfig
    generator: dict[str, torch.Tensor]
    discriminators: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    optimizers: dict[str, Any] = field(default_factory=dict)
    train_state: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    project_version: str = ""


def save_checkpoint(
    path: str | Path,
    config: ModelConfig,
    generator: nn.Module,
    discriminators: dict[str, nn.Module] | None = None,
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    train_state: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically; on any failure the previous file at `path` is intact."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "project_version": __version__,
        "model_config": config.to_dict(),
        "generator": _cpu_state(generator.state_dict()),
        "discriminators": {k: _cpu_state(m.state_dict()) for k, m in (discriminators or {}).items()},
        "optimizers": {k: o.state_dict() for k, o in (optimizers or {}).items()},
        "train_state": train_state or {},
        "metadata": metadata or {},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(buffer.getbuffer())
        fh.flush()
        os.fsync(fh.fileno())
    return path


def _cpu_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu() for k, v in state.items()}


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint (onto the CPU); every problem is a `CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (an interrupted copy?)")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path.name} is not a readable PyTorch checkpoint (not a zip archive; damaged?)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path.name} contains pickled Python objects, which could run code when loaded; refusing it. "
            "Reenact Studio checkpoints hold only tensors and plain values."
        ) from err
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as err:
        raise CheckpointError(f"{path.name} is not a readable PyTorch checkpoint ({err.__class__.__name__})") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        keys = ", ".join(sorted(map(str, payload))[:6]) if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path.name} is a PyTorch file but not a Reenact Studio checkpoint (it holds: {keys})")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name} has checkpoint format {version}, written by a newer Reenact Studio "
            f"({payload.get('project_version', '?')}); this version ({__version__}) reads format {FORMAT_VERSION}"
        )
    try:
        config = ModelConfig.from_dict(payload.get("model_config"))
    except ConfigError as err:
        raise CheckpointError(f"{path.name} holds a model config this version cannot build: {err}") from err
    return Checkpoint(
        path=path,
        config=config,
        generator=payload["generator"],
        discriminators=payload.get("discriminators", {}),
        optimizers=payload.get("optimizers", {}),
        train_state=payload.get("train_state", {}),
        metadata=payload.get("metadata", {}),
        project_version=str(payload.get("project_version", "")),
    )


def config_differences(a: ModelConfig, b: ModelConfig) -> list[str]:
    """Human-readable 'key: a vs b' for every field that differs."""
    da, db = a.to_dict(), b.to_dict()
    return [f"{k}: {da[k]} vs {db[k]}" for k in da if da[k] != db[k]]


def require_config(checkpoint: Checkpoint, expected: ModelConfig) -> None:
    """Raise when the checkpoint was built with another config (before any shape mismatch)."""
    diffs = config_differences(checkpoint.config, expected)
    if diffs:
        raise CheckpointError(
            f"{checkpoint.path.name} was trained with a different model config ({'; '.join(diffs[:5])}): "
            "use a matching config or start a new run"
        )


def load_state(module: nn.Module, state: dict[str, torch.Tensor], what: str, path: Path) -> None:
    """`load_state_dict` with a readable error instead of a wall of missing keys and shapes."""
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise CheckpointError(f"{path.name}: the {what} weights do not fit this network ({detail[:200]})") from err


def load_generator(path: str | Path, device: torch.device | str = "cpu") -> tuple[nn.Module, Checkpoint]:
    """Rebuild the generator from the checkpoint's own config and load its weights (eval mode)."""
    from core.networks.generator import Generator

    checkpoint = load_checkpoint(path)
    generator = Generator(checkpoint.config)
    load_state(generator, checkpoint.generator, "generator", checkpoint.path)
    return generator.to(device).eval(), checkpoint
