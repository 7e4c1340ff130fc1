"""The key layout of richzhang/colorization's released checkpoints, written down by hand.

Built from the papers' / official code's layer list, NOT from Atelier's own
nets, so that a test loading these dicts checks our nets against the
official layout rather than against themselves.

Each row is (prefix, in_channels, out_channels, kind) with kind:
  "conv3"  3x3 conv with bias        weight (out, in, 3, 3), bias (out,)
  "conv1"  1x1 conv with bias        weight (out, in, 1, 1), bias (out,)
  "conv1x" 1x1 conv without bias     weight (out, in, 1, 1)
  "up4"    4x4 transposed conv       weight (in, out, 4, 4), bias (out,)
  "bn"     BatchNorm2d               weight, bias, running_mean, running_var (out,)
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch


def _encoder(first_in: int) -> list[tuple[str, int, int, str]]:
    """model1..model7: 3x3 convs (ReLUs between, not in the dict) then BatchNorm."""
    blocks = (
        ("model1", [first_in, 64, 64]),
        ("model2", [64, 128, 128]),
        ("model3", [128, 256, 256, 256]),
        ("model4", [256, 512, 512, 512]),
        ("model5", [512, 512, 512, 512]),
        ("model6", [512, 512, 512, 512]),
        ("model7", [512, 512, 512, 512]),
    )
    rows = []
    for block, channels in blocks:
        pairs = list(zip(channels[:-1], channels[1:]))
        for i, (c_in, c_out) in enumerate(pairs):
            rows.append((f"{block}.{2 * i}", c_in, c_out, "conv3"))
        rows.append((f"{block}.{2 * len(pairs)}", channels[-1], channels[-1], "bn"))
    return rows


ECCV16_LAYERS = _encoder(1) + [
    ("model8.0", 512, 256, "up4"),
    ("model8.2", 256, 256, "conv3"),
    ("model8.4", 256, 256, "conv3"),
    ("model8.6", 256, 313, "conv1"),
    ("model_out", 313, 2, "conv1x"),
]

SIGGRAPH17_LAYERS = _encoder(4) + [
    ("model8up.0", 512, 256, "up4"),
    ("model3short8.0", 256, 256, "conv3"),
    ("model8.1", 256, 256, "conv3"),
    ("model8.3", 256, 256, "conv3"),
    ("model8.5", 256, 256, "bn"),
    ("model9up.0", 256, 128, "up4"),
    ("model2short9.0", 128, 128, "conv3"),
    ("model9.1", 128, 128, "conv3"),
    ("model9.3", 128, 128, "bn"),
    ("model10up.0", 128, 128, "up4"),
    ("model1short10.0", 64, 128, "conv3"),
    ("model10.1", 128, 128, "conv3"),
    ("model_class.0", 256, 529, "conv1"),
    ("model_out.0", 128, 2, "conv1"),
]


def official_state_dict(layers, *, seed: int, num_batches_tracked: bool = False) -> "OrderedDict[str, torch.Tensor]":
    """Random weights in the official key layout.

    Weights are He-scaled so that a forward pass stays finite and the
    output is colourful; BatchNorm variances are positive. Official files
    lack ``num_batches_tracked``, so it is only written when asked for.
    """
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict[str, torch.Tensor] = OrderedDict()
    for prefix, c_in, c_out, kind in layers:
        if kind == "bn":
            sd[f"{prefix}.weight"] = 1.0 + 0.1 * torch.randn(c_out, generator=g)
            sd[f"{prefix}.bias"] = 0.1 * torch.randn(c_out, generator=g)
            sd[f"{prefix}.running_mean"] = 0.1 * torch.randn(c_out, generator=g)
            sd[f"{prefix}.running_var"] = 1.0 + 0.5 * torch.rand(c_out, generator=g)
            if num_batches_tracked:
                sd[f"{prefix}.num_batches_tracked"] = torch.tensor(1000)
            continue
        if kind == "up4":
            shape, fan_in = (c_in, c_out, 4, 4), c_in * 4  # stride 2: each output sees a quarter of the taps
        elif kind == "conv3":
            shape, fan_in = (c_out, c_in, 3, 3), c_in * 9
        else:
            shape, fan_in = (c_out, c_in, 1, 1), c_in
        if prefix == "model_out":
            # ECCV16's model_out holds the ab bin centres (in units of 110).
            sd[f"{prefix}.weight"] = torch.rand(shape, generator=g) * 2.0 - 1.0
        else:
            sd[f"{prefix}.weight"] = torch.randn(shape, generator=g) * math.sqrt(2.0 / fan_in)
        if kind != "conv1x":
            sd[f"{prefix}.bias"] = 0.01 * torch.randn(c_out, generator=g)
    return sd


def write_checkpoint(state_dict, path, *, legacy: bool = False) -> None:
    """torch.save the dict; ``legacy`` writes the pre-zip format of torch < 1.6."""
    torch.save(state_dict, path, _use_new_zipfile_serialization=not legacy)
