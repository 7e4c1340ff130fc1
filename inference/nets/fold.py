"""Faster copies of a pix2pix U-Net for inference, one per normalisation mode.

The official generator spends a third of a CPU forward pass outside the
convolutions: BatchNorm, the activations, the skip concatenations and the
layout reorders oneDNN does around every convolution of an NCHW tensor. Two
copies of the network cut most of that while computing the same function:

- :func:`fold_for_eval`: ``test.py --eval`` (running statistics). Each
  BatchNorm is folded into the convolution before it: the norm is the affine
  map ``y = a x + b`` per channel (``a = gamma / sqrt(var + eps)``,
  ``b = beta - a mean``), so the convolution's weights are scaled by ``a``
  and ``b`` becomes its bias. The norm layers disappear (one that follows
  no convolution directly becomes the multiply-add :class:`RunningNorm`).
- :func:`per_image_norm`: the official mode (BatchNorm with the statistics
  of the image itself, batch size 1). Each BatchNorm becomes
  :class:`PerImageNorm`: mean and variance over (H, W) in one pass
  (``var_mean``), then a single fused multiply-add per element with the
  per-image scale and shift, on channels_last tensors as they come.

Both copies are channels_last (no reorders around oneDNN's convolutions) and
stay :class:`~inference.nets.pix2pix.UnetGenerator` instances with the same
dropout layers, so :func:`inference.pipelines.sketch.generate` runs them with
its per-image seeded dropout unchanged. The original network is not touched.
Outputs agree with the plain module to float32 rounding (tests check 8-bit
equality within the fidelity tolerance).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from .pix2pix import UnetGenerator, UnetSkipConnectionBlock


class PerImageNorm(nn.Module):
    """BatchNorm2d at batch size 1 applied to every image of a batch on its own (instance norm + affine).

    Same as ``F.instance_norm(x, weight, bias, eps=eps)`` (biased variance, as
    BatchNorm normalises with), computed as ``x * scale + shift`` with per
    (image, channel) ``scale`` and ``shift``: two passes over the activations
    instead of instance_norm's reshape to one big batch norm and its copies.
    """

    def __init__(self, norm: nn.BatchNorm2d) -> None:
        super().__init__()
        self.eps = norm.eps
        self.weight = nn.Parameter(norm.weight.detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(norm.bias.detach().clone(), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
        scale = self.weight.view(1, -1, 1, 1) * torch.rsqrt(var + self.eps)
        shift = self.bias.view(1, -1, 1, 1) - mean * scale
        return torch.addcmul(shift, x, scale)


class RunningNorm(nn.Module):
    """BatchNorm2d in eval mode as one multiply-add per element, for a norm with no convolution right before it."""

    def __init__(self, norm: nn.BatchNorm2d) -> None:
        super().__init__()
        scale = norm.weight.detach() / torch.sqrt(norm.running_var.detach() + norm.eps)
        self.scale = nn.Parameter(scale.view(1, -1, 1, 1).clone(), requires_grad=False)
        self.shift = nn.Parameter((norm.bias.detach() - norm.running_mean.detach() * scale).view(1, -1, 1, 1).clone(),
                                  requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        return torch.addcmul(self.shift, x, self.scale)


def _conv_before(layer: nn.Module) -> nn.Module | None:
    """The convolution whose output ``layer`` is (a Sequential's last module counts), else None."""
    if isinstance(layer, nn.Sequential) and len(layer):
        layer = layer[-1]
    return layer if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) and layer.groups == 1 else None


def _fold_into(conv: nn.Module, norm: nn.BatchNorm2d) -> None:
    """Scale ``conv``'s output channels by the norm's running-statistics affine map and give it the shift as bias."""
    scale = norm.weight.detach() / torch.sqrt(norm.running_var.detach() + norm.eps)
    shift = norm.bias.detach() - norm.running_mean.detach() * scale
    weight = conv.weight.detach()
    # Output channels: dim 0 of a Conv2d weight (out, in, kh, kw), dim 1 of a ConvTranspose2d's (in, out, kh, kw).
    shape = (1, -1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else (-1, 1, 1, 1)
    conv.weight = nn.Parameter(weight * scale.view(shape), requires_grad=False)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(shift)
    conv.bias = nn.Parameter(bias * scale + shift, requires_grad=False)


def _blocks(net: UnetGenerator):
    block = net.model
    while block is not None:
        yield block
        block = next((layer for layer in block.model if isinstance(layer, UnetSkipConnectionBlock)), None)


def _has_batch_norm(net: UnetGenerator) -> bool:
    return any(isinstance(m, nn.BatchNorm2d) for m in net.modules())


def _finish(net: UnetGenerator) -> UnetGenerator:
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    return net.eval().to(memory_format=torch.channels_last)


def fold_for_eval(net: UnetGenerator) -> UnetGenerator:
    """A channels_last copy of ``net`` with every BatchNorm folded into its convolution (eval mode only).

    A network without BatchNorm (instance norm) is copied unchanged but for the layout.
    """
    folded = copy.deepcopy(net).float()
    for block in _blocks(folded):
        layers = list(block.model)
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.BatchNorm2d):
                conv = _conv_before(layers[i - 1]) if i else None
                if conv is None:  # e.g. a layer between them: the norm stays, as one multiply-add
                    block.model[i] = RunningNorm(layer)
                else:
                    _fold_into(conv, layer)
                    block.model[i] = nn.Identity()
    return _finish(folded)


def per_image_norm(net: UnetGenerator) -> UnetGenerator:
    """A channels_last copy of ``net`` whose BatchNorms use each image's own statistics (the official mode)."""
    fused = copy.deepcopy(net).float()
    for block in _blocks(fused):
        for i, layer in enumerate(block.model):
            if isinstance(layer, nn.BatchNorm2d):
                block.model[i] = PerImageNorm(layer)
    return _finish(fused)


def inference_copies(net: UnetGenerator) -> dict[str, UnetGenerator]:
    """{"official": per_image_norm(net), "eval": fold_for_eval(net)} for a BatchNorm U-Net, else {}.

    An instance-norm network has no mode to choose and is run as it is.
    """
    if not _has_batch_norm(net):
        return {}
    return {"official": per_image_norm(net), "eval": fold_for_eval(net)}
