"""Data-parallel training on an existing engine: `torch.distributed` with DDP.

``torchrun --nproc_per_node=K main.py train ...`` sets RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous
address; `init_distributed` joins the group with NCCL on CUDA and gloo on CPU, each process on its own
GPU (``cuda:LOCAL_RANK``). Without those variables it returns a single-process context and nothing
else changes. Only rank 0 writes checkpoints, logs and samples (`DistContext.is_main`).

The generator keeps plain batch norm: each rank normalises with its own batch, and DDP broadcasts
rank 0's running statistics (and the spectral-norm vectors) at every forward, so the ranks' buffers
stay identical like their weights.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from core.device import pick_device
from core.errors import ConfigError


@dataclass(frozen=True)
class DistContext:
    """This process's place in the group (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # noqa: RUF009 - an immutable default
    backend: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: str = "auto") -> DistContext:
    """Join the process group when started by torchrun; otherwise a single-process context.

    `device` is ``auto``, ``cpu`` or ``cuda`` (the rank's GPU is chosen from LOCAL_RANK).
    """
    if not launched_by_torchrun():
        return DistContext(device=pick_device(device))
    rank = int(os.environ["RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = pick_device(device)
    if chosen.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(
                f"local rank {local_rank} has no GPU ({torch.cuda.device_count()} visible): "
                "start at most one process per GPU"
            )
        chosen = torch.device("cuda", local_rank)
        torch.cuda.set_device(chosen)
        backend = "nccl"
    elif chosen.type == "cpu":
        backend = "gloo"
    else:
        raise ConfigError(f"distributed training runs on CUDA or CPU, not {chosen.type}: use --device cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistContext(rank, world_size, local_rank, chosen, backend)


def wrap(module: nn.Module, context: DistContext) -> nn.Module:
    """`module` in DistributedDataParallel when the group has more than one process; else itself."""
    if not context.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids, broadcast_buffers=True)


def any_rank(flag: bool, context: DistContext) -> bool:
    """True on every rank when `flag` is true on any (a stop request seen by one stops all)."""
    if not context.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=context.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def mean_across_ranks(values: dict[str, float], context: DistContext) -> dict[str, float]:
    """Average named numbers over the ranks (for logging the whole group's losses)."""
    if not context.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], device=context.device, dtype=torch.float64)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor /= context.world_size
    return dict(zip(keys, tensor.tolist(), strict=True))


def barrier(context: DistContext) -> None:
    if context.distributed:
        dist.barrier()


def shutdown(context: DistContext) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
