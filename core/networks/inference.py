"""Make an inference copy of a generator: spectral norm and batch norm folded into plain conv weights.

Spectral norm divides each weight by its largest singular value on every forward; at inference that
value is fixed, so the division is done once. A batch-norm layer after a convolution is an affine map
with fixed statistics in eval mode and folds into the convolution's weight and bias. Together with
channels-last memory this is what makes per-frame rendering cheap on a CPU.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from core.networks.blocks import ConvBlock

_SN_SUFFIX = ".parametrizations.weight.original"


def folded_state_dict(module: nn.Module) -> dict[str, torch.Tensor]:
    """`module`'s state with every spectrally normalised weight replaced by its effective value.

    In eval mode the parametrisation divides by the stored singular-value estimate without a power
    iteration, so the result is exactly what the module computes. Keys are those of the same module
    built with ``spectral_norm=False``. (Removing parametrisations in place would also alter every
    deep copy: the parametrised classes are shared.)
    """
    was_training = module.training
    module.eval()
    state: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for key, value in module.state_dict().items():
            if key.endswith(_SN_SUFFIX):
                path = key[: -len(_SN_SUFFIX)]
                state[path + ".weight"] = module.get_submodule(path).weight.detach().clone()
            elif ".parametrizations.weight." not in key:
                state[key] = value
    module.train(was_training)
    return state


def fuse_batch_norm(module: nn.Module) -> nn.Module:
    """Fold conv -> BatchNorm2d pairs of every ConvBlock into one convolution, in place (eval only)."""
    for block in module.modules():
        if isinstance(block, ConvBlock) and isinstance(block[1], nn.BatchNorm2d):
            block[0] = fuse_conv_bn_eval(block[0], block[1])
            block[1] = nn.Identity()
    return module


def for_inference(generator: nn.Module, channels_last: bool = True) -> nn.Module:
    """A frozen, eval-mode copy with folded weights; the original is untouched.

    `generator` must take its `config` (a dataclass with ``spectral_norm``) as its only argument.
    """
    frozen = type(generator)(replace(generator.config, spectral_norm=False))
    frozen.load_state_dict(folded_state_dict(generator))
    frozen.eval()
    fuse_batch_norm(frozen)
    for p in frozen.parameters():
        p.requires_grad_(False)
    if channels_last:
        frozen = frozen.to(memory_format=torch.channels_last)
    return frozen
