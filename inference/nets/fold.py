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
  :class:`PerImageNorm`: the textbook two passes (mean, then the mean of the
  squared deviations), each a matrix product over the pixels, and one fused
  multiply-add per element.

In both copies a resize-convolution (:class:`~inference.nets.pix2pix.ResizeConv2d`,
the bundled demos' decoder) becomes the same function computed at the low
resolution (:class:`SubPixelResizeConv`): bilinear doubling followed by a
3 x 3 convolution is, for each of the four output phases of a 2 x 2 cell,
one 3 x 3 convolution of the input, so the four run as one convolution with
four times the output channels and a pixel shuffle. Same arithmetic, but no
full-resolution resize and padding passes (on the 2-core CPU they took 11 of
the demo model's 37 ms a frame).

Copies for the CPU (``inference_copies(net, cpu_size=...)``) also run the
4 x 4 stride-2 convolutions and transposed convolutions that measurably win
there as Winograd minimal filtering (:mod:`inference.nets.winograd`: fewer
multiplications, the only way past sgemm speed, where oneDNN already runs);
GPU copies keep cuDNN's convolutions.

Both copies are channels_last (no reorders around oneDNN's convolutions) and
stay :class:`~inference.nets.pix2pix.UnetGenerator` instances with the same
dropout layers, so :func:`inference.pipelines.sketch.generate` runs them with
its per-image seeded dropout unchanged. The original network is not touched.
Outputs agree with the plain module to float32 rounding (the Winograd
layers to a few float32 roundings more; tests check 8-bit equality within
the fidelity tolerance).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .pix2pix import ResizeConv2d, UnetGenerator, UnetSkipConnectionBlock


class PerImageNorm(nn.Module):
    """BatchNorm2d at batch size 1 applied to every image of a batch on its own (instance norm + affine).

    Same as ``F.instance_norm(x, weight, bias, eps=eps)`` (biased variance, as
    BatchNorm normalises with). The means over the pixels are matrix products
    with a row of 1 / (H W), which on a channels_last tensor read memory in
    order: 5-10 times faster on the CPU than ``var_mean`` over (H, W), which
    walks it with a stride. The variance is the mean of the squared
    deviations from the mean (two passes), never E[x²] - E[x]², which loses
    digits when the mean is large against the spread.
    """

    def __init__(self, norm: nn.BatchNorm2d) -> None:
        super().__init__()
        self.eps = norm.eps
        self.weight = nn.Parameter(norm.weight.detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(norm.bias.detach().clone(), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype != torch.float32:  # half precision (GPU): var_mean accumulates in float32, a product may not
            var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
            scale = self.weight.view(1, -1, 1, 1) * torch.rsqrt(var + self.eps)
            return torch.addcmul(self.bias.view(1, -1, 1, 1) - mean * scale, x, scale)
        n, c, h, w = x.shape
        pixels = x.permute(0, 2, 3, 1).reshape(n, h * w, c)  # a view for channels_last input
        average = x.new_full((n, 1, h * w), 1.0 / (h * w))
        deviation = pixels - torch.bmm(average, pixels)
        var = torch.bmm(average, deviation * deviation)
        scale = self.weight * torch.rsqrt(var + self.eps)
        out = torch.addcmul(self.bias, deviation, scale)
        return out.view(n, h, w, c).permute(0, 3, 1, 2)  # channels_last again


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


# Bilinear doubling (align_corners=False) then a 3-tap kernel w, seen from the input: output phase a
# (even or odd pixel) of input position m is sum_e (PHASE_TAPS[a] @ w)[e] * x[m - 1 + e].
PHASE_TAPS = torch.tensor([[[0.75, 0.25, 0.0], [0.25, 0.75, 0.75], [0.0, 0.0, 0.25]],
                           [[0.25, 0.0, 0.0], [0.75, 0.75, 0.25], [0.0, 0.25, 0.75]]], dtype=torch.float64)


class SubPixelResizeConv(nn.Module):
    """:class:`ResizeConv2d` computed at the input's resolution: one convolution for the four output phases.

    ``conv(pad(resize(x)))`` with bilinear doubling and replicate padding
    equals ``pixel_shuffle(conv'(pad(x)))``, where conv' has, for each
    output channel, one 3 x 3 kernel per phase (a, b) of a 2 x 2 cell:
    ``PHASE_TAPS[a] @ k @ PHASE_TAPS[b].T`` for the original kernel k. The
    identity holds at the borders too: the bilinear resize clamps at the
    edge, which is what replicate-padding its input by one pixel does.
    """

    def __init__(self, resize: ResizeConv2d) -> None:
        super().__init__()
        kernel = resize.conv.weight.detach().double()  # (out, in, 3, 3)
        phases = [torch.einsum("ed,oidf,gf->oieg", PHASE_TAPS[a], kernel, PHASE_TAPS[b])
                  for a in (0, 1) for b in (0, 1)]
        # pixel_shuffle reads channel 4 o + 2 a + b as phase (a, b) of output channel o.
        weight = torch.stack(phases, 1).flatten(0, 1).to(resize.conv.weight.dtype)
        self.weight = nn.Parameter(weight, requires_grad=False)
        bias = resize.conv.bias
        self.bias = None if bias is None else nn.Parameter(bias.detach().repeat_interleave(4), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), self.weight, self.bias), 2)


def _conv_before(layer: nn.Module) -> nn.Module | None:
    """The convolution whose output ``layer`` is (a Sequential's last module counts), else None."""
    if isinstance(layer, nn.Sequential) and len(layer):
        layer = layer[-1]
    if isinstance(layer, ResizeConv2d):  # its last step is its own 3 x 3 convolution
        layer = layer.conv
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
    for block in _blocks(net):
        for i, layer in enumerate(block.model):
            if isinstance(layer, ResizeConv2d):
                block.model[i] = SubPixelResizeConv(layer)
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


def inference_copies(net: UnetGenerator, *, cpu_size: int | None = None) -> dict[str, UnetGenerator]:
    """{"official": per_image_norm(net), "eval": fold_for_eval(net)} for a BatchNorm U-Net, else {}.

    An instance-norm network has no mode to choose and is run as it is.
    ``cpu_size``: the copies will run on the CPU, on images of this side;
    their strided convolutions that win there become Winograd layers
    (:func:`inference.nets.winograd.for_cpu`). Leave it None for copies that
    go to a GPU (cuDNN's convolutions stay).
    """
    if not _has_batch_norm(net):
        return {}
    copies = {"official": per_image_norm(net), "eval": fold_for_eval(net)}
    if cpu_size is not None:
        from .winograd import for_cpu

        copies = {mode: for_cpu(copy_, cpu_size) for mode, copy_ in copies.items()}
    return copies
