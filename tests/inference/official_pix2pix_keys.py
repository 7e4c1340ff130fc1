"""The key layout of the official pix2pix generator files, written down by hand.

Built from the layer facts of junyanz/pytorch-CycleGAN-and-pix2pix
(``UnetGenerator`` nesting ``UnetSkipConnectionBlock``s from the innermost
out), NOT from Atelier's own module, so tests loading these dicts check our
net against the official layout rather than against itself:

- outermost level, Sequential ``model.model``: 0 down-conv (ngf, input_nc, 4, 4),
  no bias; 1 the next level; 2 ReLU; 3 up-conv (2 ngf, output_nc, 4, 4) with
  bias; 4 Tanh.
- every other level but the innermost, Sequential ``<p>`` = ``model.model.1.model``
  then ``.3.model`` per further level: 0 LeakyReLU; 1 down-conv (inner, outer, 4, 4);
  2 BatchNorm(inner); 3 the next level; 4 ReLU; 5 up-conv (2 inner, outer, 4, 4);
  6 BatchNorm(outer); [7 Dropout]. No conv biases (BatchNorm).
- innermost: 0 LeakyReLU; 1 down-conv (inner, outer, 4, 4); 2 ReLU;
  3 up-conv (inner, outer, 4, 4); 4 BatchNorm(outer).
- widths (outer -> inner) from the outside: ngf -> 2 ngf, 2 ngf -> 4 ngf,
  4 ngf -> 8 ngf, then 8 ngf -> 8 ngf for every further level.

Each row is (key prefix, kind, shape) with kind "down" (Conv2d weight
(out, in, 4, 4)), "up" (ConvTranspose2d weight (in, out, 4, 4)), "up_bias" (the
same plus a bias) or "bn" (weight, bias, running_mean, running_var
[, num_batches_tracked]).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch


def _prefix(depth: int) -> str:
    return "model.model" if depth == 0 else "model.model.1.model" + ".3.model" * (depth - 1)


def unet_layers(num_downs: int = 8, ngf: int = 64, input_nc: int = 3, output_nc: int = 3) -> list[tuple[str, str, tuple]]:
    """The official UnetGenerator's parameter layout, outermost level first."""
    widths = [(ngf, 2 * ngf), (2 * ngf, 4 * ngf), (4 * ngf, 8 * ngf)] + [(8 * ngf, 8 * ngf)] * (num_downs - 4)
    rows: list[tuple[str, str, tuple]] = [
        ("model.model.0", "down", (ngf, input_nc, 4, 4)),
        ("model.model.3", "up_bias", (2 * ngf, output_nc, 4, 4)),
    ]
    for depth, (outer, inner) in enumerate(widths, start=1):
        p = _prefix(depth)
        if depth < num_downs - 1:
            rows += [
                (f"{p}.1", "down", (inner, outer, 4, 4)),
                (f"{p}.2", "bn", (inner,)),
                (f"{p}.5", "up", (2 * inner, outer, 4, 4)),
                (f"{p}.6", "bn", (outer,)),
            ]
        else:  # innermost
            rows += [
                (f"{p}.1", "down", (inner, outer, 4, 4)),
                (f"{p}.3", "up", (inner, outer, 4, 4)),
                (f"{p}.4", "bn", (outer,)),
            ]
    return rows


def official_state_dict(layers, *, seed: int, num_batches_tracked: bool = False) -> "OrderedDict[str, torch.Tensor]":
    """Random weights in the official key layout (He-scaled convs, BatchNorm near identity).

    The released files were saved before torch 0.4.1 added
    ``num_batches_tracked``, so it is only written when asked for.
    """
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict[str, torch.Tensor] = OrderedDict()
    for prefix, kind, shape in layers:
        if kind == "bn":
            (c,) = shape
            sd[f"{prefix}.weight"] = 1.0 + 0.1 * torch.randn(c, generator=g)
            sd[f"{prefix}.bias"] = 0.1 * torch.randn(c, generator=g)
            sd[f"{prefix}.running_mean"] = 0.1 * torch.randn(c, generator=g)
            sd[f"{prefix}.running_var"] = 1.0 + 0.5 * torch.rand(c, generator=g)
            if num_batches_tracked:
                sd[f"{prefix}.num_batches_tracked"] = torch.tensor(1000)
            continue
        # A stride-2 transposed conv feeds each output from a quarter of its taps.
        fan_in = shape[1] * 16 if kind == "down" else shape[0] * 4
        sd[f"{prefix}.weight"] = torch.randn(shape, generator=g) * math.sqrt(2.0 / fan_in)
        if kind == "up_bias":
            sd[f"{prefix}.bias"] = 0.01 * torch.randn(shape[1], generator=g)
    return sd


def write_checkpoint(state_dict, path, *, legacy: bool = False) -> None:
    """torch.save the dict; ``legacy`` writes the pre-zip format of torch < 1.6."""
    torch.save(state_dict, path, _use_new_zipfile_serialization=not legacy)
