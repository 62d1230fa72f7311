"""Checkpoints: every network's weights, optional optimiser and training state, and the config.

Saved with plain types only (tensors, numbers, strings, lists, dicts) and loaded with
``torch.load(weights_only=True)``, so a file carrying pickled objects is refused instead of run.
The `ModelConfig` that built the networks travels inside, so `load_generator` rebuilds the exact
network; a different format or config is reported by name instead of failing on a shape mismatch.
Writes go to a temporary file beside the target and are renamed when complete.

PyTorch does not check the zip archive's CRCs: a file damaged on disk or in a copy can load with one
tensor silently wrong. So a checksum of every network's weights, and of every optimiser's state (its
moments and settings, which a resume loads), is recorded when saving and verified when loading;
checkpoints written before a checksum existed, or whose checksum covered only the weights, load with
what they recorded checked. Weights that are not finite (a diverged run) are refused rather than
rendered as a black video.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import zipfile
from collections.abc import Mapping, Sequence
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
CHECKSUM_ALGORITHM = "blake2b-128"


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
    generator_state = _cpu_state(generator.state_dict())
    discriminator_states = {k: _cpu_state(m.state_dict()) for k, m in (discriminators or {}).items()}
    optimizer_states = {k: o.state_dict() for k, o in (optimizers or {}).items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "project_version": __version__,
        "model_config": config.to_dict(),
        "generator": generator_state,
        "discriminators": discriminator_states,
        "optimizers": optimizer_states,
        "train_state": train_state or {},
        "metadata": metadata or {},
        "weights_checksum": {
            "algorithm": CHECKSUM_ALGORITHM,
            "generator": weights_checksum(generator_state),
            "discriminators": {k: weights_checksum(v) for k, v in discriminator_states.items()},
            "optimizers": {k: state_checksum(v) for k, v in optimizer_states.items()},
        },
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


def weights_checksum(state: Mapping[str, torch.Tensor]) -> str:
    """A digest of a state dict: every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def state_checksum(state: object) -> str:
    """A digest of a nested state (an optimiser's ``state_dict``: mappings and lists of tensors and plain
    values): every tensor's place, dtype, shape and bytes, and every plain value, mappings in key order."""
    digest = hashlib.blake2b(digest_size=16)
    _digest_tree(digest, state, "")
    return digest.hexdigest()


def _digest_tree(digest: Any, value: object, place: str) -> None:
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"{place}|tensor|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, Mapping):
        digest.update(f"{place}|mapping|{len(value)}|".encode())
        for key in sorted(value, key=repr):
            _digest_tree(digest, value[key], f"{place}/{key!r}")
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):  # a tuple comes back a tuple or a list
        digest.update(f"{place}|sequence|{len(value)}|".encode())
        for index, item in enumerate(value):
            _digest_tree(digest, item, f"{place}/{index}")
    else:
        digest.update(f"{place}|{value!r}|".encode())


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint (onto the CPU); every problem is a `CheckpointError`."""
    path = Path(path)
    _check_file(path)
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path.name} is not a readable PyTorch checkpoint (not a zip archive; damaged?)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path.name} contains pickled Python objects, which could run code when loaded; refusing it. "
            "Reenact Studio checkpoints hold only tensors and plain values."
        ) from err
    except Exception as err:  # a damaged archive fails in many ways inside torch.load
        raise CheckpointError(
            f"{path.name} is not a readable PyTorch checkpoint ({err.__class__.__name__}): damaged or truncated?"
        ) from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        keys = ", ".join(sorted(map(str, payload))[:6]) if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path.name} is a PyTorch file but not a Reenact Studio checkpoint (it holds: {keys})")
    _check_version(path, payload)
    config_data = payload.get("model_config")
    if not isinstance(config_data, dict):
        raise CheckpointError(
            f"{path.name} is damaged: its model config is {_kind(config_data)}, not a mapping of settings"
        )
    try:
        config = ModelConfig.from_dict(config_data)
    except ConfigError as err:
        raise CheckpointError(f"{path.name} holds a model config this version cannot build: {err}") from err
    generator = _state(path, payload.get("generator"), "generator")
    discriminators = _part(path, payload, "discriminators")
    discriminators = {str(k): _state(path, v, f"{k} discriminator") for k, v in discriminators.items()}
    optimizers = _part(path, payload, "optimizers")
    _verify_checksums(path, payload.get("weights_checksum"), generator, discriminators, optimizers)
    return Checkpoint(
        path=path,
        config=config,
        generator=generator,
        discriminators=discriminators,
        optimizers=optimizers,
        train_state=_part(path, payload, "train_state"),
        metadata=_part(path, payload, "metadata"),
        project_version=str(payload.get("project_version", "")),
    )


def _check_file(path: Path) -> None:
    """The path is a regular, non-empty file; otherwise say what it is."""
    from core.safety import file_kind

    kind = file_kind(path)
    if kind == "missing":
        raise CheckpointError(f"checkpoint {path} not found")
    if kind == "folder":
        latest = path / "checkpoints" / "latest.pt"
        hint = f" (this looks like a run folder: pass {latest})" if latest.is_file() else ""
        raise CheckpointError(f"checkpoint {path} is a folder, not a checkpoint file: pass a .pt file{hint}")
    if kind != "file":
        raise CheckpointError(f"checkpoint {path} is a {kind}, not a checkpoint file: pass a .pt file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (an interrupted copy?)")


def _check_version(path: Path, payload: dict) -> None:
    version = payload.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(
            f"{path.name} is damaged or not from this app: its format_version is {_kind(version)} "
            f"({str(version)[:20]!r}), where a whole number is expected"
        )
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name} has checkpoint format {version}, written by a newer Reenact Studio "
            f"({str(payload.get('project_version', '?'))[:20]}); this version ({__version__}) reads format "
            f"{FORMAT_VERSION}: update Reenact Studio"
        )
    if version < 1:
        raise CheckpointError(f"{path.name} has an impossible checkpoint format {version}: the file is damaged")


def _kind(value: object) -> str:
    """A value's type in words, for messages about damaged files."""
    if value is None:
        return "missing"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _part(path: Path, payload: dict, key: str) -> dict[str, Any]:
    """An optional mapping of the checkpoint (absent: empty); any other type is damage."""
    value = payload.get(key, {})
    if not isinstance(value, dict):
        raise CheckpointError(f"{path.name} is damaged: its {key} is {_kind(value)}, not a mapping")
    return value


def _state(path: Path, state: object, what: str) -> dict[str, torch.Tensor]:
    """A state dict (names to tensors) of finite weights, or `CheckpointError` saying what is wrong."""
    if state is None:
        raise CheckpointError(f"{path.name} holds no {what} weights: it is not a usable model")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{path.name} is damaged: its {what} weights are not a mapping of names to tensors")
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{path.name}: the {what} weight {name} holds NaN or infinite values (a training run that "
                "diverged?): use an earlier checkpoint"
            )
    return state


def _verify_checksums(
    path: Path,
    recorded: object,
    generator: dict[str, torch.Tensor],
    discriminators: dict[str, dict[str, torch.Tensor]],
    optimizers: dict[str, Any],
) -> None:
    """Compare the weights and optimiser states with the checksums recorded when saving. None recorded
    (an older checkpoint): nothing to check; none recorded for the optimisers (their checksum came
    later): the weights alone."""
    if recorded is None:
        return
    if not isinstance(recorded, dict) or recorded.get("algorithm") != CHECKSUM_ALGORITHM:
        raise CheckpointError(f"{path.name} is damaged: its weights checksum cannot be read")
    expected = {"generator weights": recorded.get("generator")}
    actual = {"generator weights": weights_checksum(generator)}
    actual |= {f"{k} discriminator weights": weights_checksum(v) for k, v in discriminators.items()}
    saved_discriminators = recorded.get("discriminators", {})
    if isinstance(saved_discriminators, dict):
        expected |= {f"{k} discriminator weights": v for k, v in saved_discriminators.items()}
    if "optimizers" in recorded:
        saved_optimizers = recorded["optimizers"]
        if not isinstance(saved_optimizers, dict):
            raise CheckpointError(f"{path.name} is damaged: its optimizer checksum cannot be read")
        expected |= {f"{k} optimizer moments and settings": v for k, v in saved_optimizers.items()}
        actual |= {f"{k} optimizer moments and settings": state_checksum(v) for k, v in optimizers.items()}
    for what, digest in actual.items():
        if expected.get(what) != digest:
            raise CheckpointError(
                f"{path.name} is damaged: its {what} differ from the checksum recorded when it was "
                "saved (a bad copy or disk?): copy it again or use another checkpoint"
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
