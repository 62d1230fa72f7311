"""The one place that picks the compute device. Modules receive a device; they never choose one."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Literal

import torch

from core.errors import ConfigError

log = logging.getLogger(__name__)

DeviceName = Literal["auto", "cpu", "cuda", "mps"]
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(requested: str = "auto") -> torch.device:
    """CUDA, then MPS, then CPU for ``auto``; a named device that is absent is a user error."""
    requested = (requested or "auto").lower()
    if requested not in DEVICE_CHOICES:
        raise ConfigError(f"unknown device {requested!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("CUDA was requested but no CUDA GPU is available: use --device cpu or auto")
    if requested == "mps" and not _mps_available():
        raise ConfigError("MPS was requested but this machine has no Apple GPU: use --device cpu or auto")
    return torch.device(requested)


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The reduced precision that is safe and fast on `device`, or None to stay in float32."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return None


def describe(device: torch.device) -> str:
    """A short human name for the device, for status bars and benchmark tables."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'' if threads == 1 else 's'})"
    return str(device)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the platform says, else all)."""
    if hasattr(os, "sched_getaffinity"):
        with contextlib.suppress(OSError):
            return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op thread count when given, at most the machine's cores (more threads than
    cores only adds switching; 1,000 would start thousands of OS threads); return the count in use."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {threads}")
        cores = available_cores()
        if threads > cores:
            log.warning("--threads %d is more than the %d CPU core(s) here: using %d", threads, cores, cores)
            threads = cores
        torch.set_num_threads(threads)
    return torch.get_num_threads()
