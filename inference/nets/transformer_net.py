"""Feed-forward style transfer networks: fast_neural_style's TransformerNet and its multi-style form.

Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016), with instance normalisation (Ulyanov et al.
2016), in the layout of pytorch/examples' ``fast_neural_style``: three
convs down (9x9, 3x3 s2, 3x3 s2), five residual blocks at 1/4 resolution,
two nearest-upsample + conv layers and a final 9x9 conv; every conv is
preceded by a reflection pad. Keys: ``conv1.conv2d.weight``, ``in1.weight``,
``res1.conv1.conv2d.weight``, ``res1.in1.weight`` ... ``deconv3.conv2d.bias``.
Pixels go in and come out in [0, 255] (the output is not clamped).

The multi-style net is Dumoulin, Shlens, Kudlur, "A Learned Representation
for Artistic Style" (ICLR 2017): the same convolutions shared by all styles,
and *conditional* instance norm, whose scale gamma and shift beta are rows of
an (n_styles, C) table. A convex weight vector w over the styles blends
them: gamma = sum_i w_i gamma_i, beta = sum_i w_i beta_i. Atelier's nets have
one extra last row, the identity style, trained with the content loss only,
so a stylisation strength s is a real mix of styles towards the photo:
w_effective = s w + (1 - s) e_identity (see :func:`style_mixture`).

Every instance norm can use statistics recorded on another pass instead of
its input's own (:class:`InstanceStatistics`): that is how a large photo is
rendered in tiles without seams, each tile normalised with the whole image's
statistics rather than its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CheckpointError, InferenceError

EPS = 1e-5  # nn.InstanceNorm2d's default, which the official models were trained with


class InstanceStatistics:
    """Per-layer instance-norm statistics, recorded on one pass and replayed on later ones.

    Pass a fresh object to a forward pass to record every norm layer's mean
    and variance; call :meth:`freeze`, then pass it to other forward passes
    (tiles of the same photo) to normalise with those numbers instead of the
    tile's own. One object per image and call: never shared between threads.
    """

    def __init__(self) -> None:
        self.layers: dict[str, tuple[Tensor, Tensor]] = {}
        self.frozen = False

    def freeze(self) -> "InstanceStatistics":
        """Stop recording: later passes read the stored statistics. Returns self."""
        self.frozen = True
        return self

    def normalise(self, key: str, x: Tensor) -> Tensor:
        """Record (first pass) or apply (frozen) the statistics of layer ``key``.

        Args:
            x: (N, C, H, W).

        Returns:
            (N, C, H, W) ``(x - mean) / sqrt(var + eps)`` with mean and
            (biased) variance per image and channel, each (N, C, 1, 1).
        """
        if self.frozen:
            try:
                mean, var = self.layers[key]
            except KeyError:
                raise InferenceError(f"No recorded statistics for layer {key}; record a pass first.") from None
        else:
            var, mean = torch.var_mean(x, dim=(2, 3), correction=0, keepdim=True)
            self.layers[key] = (mean, var)
        return (x - mean) * torch.rsqrt(var + EPS)


@dataclass(frozen=True)
class NormInputs:
    """What every instance norm of one forward pass needs besides its input.

    Attributes:
        style_weights: (N, n_styles + 1) convex weights, for conditional norms only.
        statistics: fixed or recording statistics; None for each input's own.
    """

    style_weights: Tensor | None = None
    statistics: InstanceStatistics | None = None


class _Norm(nn.Module):
    """Shared part of both instance norms: the normalisation, own or fixed statistics."""

    key = ""  # the module's name in its net, set by the net

    def normalise(self, x: Tensor, inputs: NormInputs) -> Tensor:
        if inputs.statistics is None:
            return F.instance_norm(x, eps=EPS)
        return inputs.statistics.normalise(self.key, x)


class InstanceNorm(_Norm):
    """Instance norm with a learned per-channel scale and shift (``nn.InstanceNorm2d(C, affine=True)``).

    Keys ``weight`` (C,) and ``bias`` (C,), as the official files hold them.
    """

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor, inputs: NormInputs) -> Tensor:
        """x: (N, C, H, W) -> (N, C, H, W)."""
        return self.normalise(x, inputs) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class ConditionalInstanceNorm(_Norm):
    """Conditional instance norm: one (gamma, beta) row per style, mixed by the style weights.

    Keys ``weight`` (n_styles, C) and ``bias`` (n_styles, C).
    """

    def __init__(self, num_features: int, n_styles: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_styles, num_features))
        self.bias = nn.Parameter(torch.zeros(n_styles, num_features))

    def forward(self, x: Tensor, inputs: NormInputs) -> Tensor:
        """x: (N, C, H, W), inputs.style_weights (N, n_styles) -> (N, C, H, W)."""
        w = inputs.style_weights
        if w is None:
            raise InferenceError("A multi-style network needs style weights.")
        gamma = (w @ self.weight).view(w.shape[0], -1, 1, 1)
        beta = (w @ self.bias).view(w.shape[0], -1, 1, 1)
        return self.normalise(x, inputs) * gamma + beta


class ConvLayer(nn.Module):
    """Reflection pad then conv, so the output keeps the size (divided by the stride)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) -> (N, C_out, ceil(H / stride), ceil(W / stride))."""
        return self.conv2d(self.reflection_pad(x))


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour upsampling then a padded conv: no checkerboard artefacts (Odena et al. 2016)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, upsample: int) -> None:
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) -> (N, C_out, H * upsample, W * upsample) for stride 1."""
        x = F.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    """Two 3x3 conv + instance norm layers with an identity shortcut (He et al. 2016)."""

    def __init__(self, channels: int, make_norm: Callable[[int], _Norm]) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = make_norm(channels)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = make_norm(channels)

    def forward(self, x: Tensor, inputs: NormInputs) -> Tensor:
        """(N, C, H, W) -> (N, C, H, W)."""
        y = F.relu(self.in1(self.conv1(x), inputs))
        return x + self.in2(self.conv2(y), inputs)


class _TransformerBody(nn.Module):
    """The layers of TransformerNet with the official attribute names, for either kind of norm."""

    def __init__(self, make_norm: Callable[[int], _Norm], residual_blocks: int = 5) -> None:
        super().__init__()
        self.conv1 = ConvLayer(3, 32, kernel_size=9, stride=1)
        self.in1 = make_norm(32)
        self.conv2 = ConvLayer(32, 64, kernel_size=3, stride=2)
        self.in2 = make_norm(64)
        self.conv3 = ConvLayer(64, 128, kernel_size=3, stride=2)
        self.in3 = make_norm(128)
        for i in range(1, residual_blocks + 1):
            setattr(self, f"res{i}", ResidualBlock(128, make_norm))
        self.residual_blocks = residual_blocks
        self.deconv1 = UpsampleConvLayer(128, 64, kernel_size=3, stride=1, upsample=2)
        self.in4 = make_norm(64)
        self.deconv2 = UpsampleConvLayer(64, 32, kernel_size=3, stride=1, upsample=2)
        self.in5 = make_norm(32)
        self.deconv3 = ConvLayer(32, 3, kernel_size=9, stride=1)
        for name, module in self.named_modules():
            if isinstance(module, _Norm):
                module.key = name

    def run(self, x: Tensor, inputs: NormInputs) -> Tensor:
        """x: (N, 3, H, W) in [0, 255] -> (N, 3, 4 ceil(H/4), 4 ceil(W/4)), roughly [0, 255]."""
        y = F.relu(self.in1(self.conv1(x), inputs))
        y = F.relu(self.in2(self.conv2(y), inputs))
        y = F.relu(self.in3(self.conv3(y), inputs))
        for i in range(1, self.residual_blocks + 1):
            y = getattr(self, f"res{i}")(y, inputs)
        y = F.relu(self.in4(self.deconv1(y), inputs))
        y = F.relu(self.in5(self.deconv2(y), inputs))
        return self.deconv3(y)


class TransformerNet(_TransformerBody):
    """fast_neural_style's single-style network (one style baked into its weights)."""

    def __init__(self) -> None:
        super().__init__(InstanceNorm)

    def forward(self, x: Tensor, statistics: InstanceStatistics | None = None) -> Tensor:
        """Stylise a batch.

        Args:
            x: (N, 3, H, W) RGB in [0, 255].
            statistics: fixed (or recording) instance-norm statistics; None
                normalises each image with its own, as the official code does.

        Returns:
            (N, 3, H', W') RGB, roughly [0, 255], unclamped; H' = H when H is
            a multiple of 4 (the two stride-2 convs round up).
        """
        return self.run(x, NormInputs(statistics=statistics))


class MultiStyleTransformerNet(_TransformerBody):
    """TransformerNet with conditional instance norm: ``n_styles`` styles plus the identity slot.

    Args:
        n_styles: number of real styles; the tables have ``n_styles + 1``
            rows, the last (:attr:`identity_slot`) being the identity style.
        style_names: names of the real styles, in slot order (for people).
    """

    def __init__(self, n_styles: int, style_names: Sequence[str] | None = None) -> None:
        if n_styles < 1:
            raise ValueError("a multi-style network needs at least one style")
        super().__init__(lambda channels: ConditionalInstanceNorm(channels, n_styles + 1))
        self.n_styles = n_styles
        self.identity_slot = n_styles
        names = list(style_names) if style_names is not None else [f"style {i + 1}" for i in range(n_styles)]
        if len(names) != n_styles:
            raise ValueError(f"{len(names)} style names for {n_styles} styles")
        self.style_names = names

    def forward(self, x: Tensor, style_weights: Tensor, statistics: InstanceStatistics | None = None) -> Tensor:
        """Stylise a batch with a blend of styles.

        Args:
            x: (N, 3, H, W) RGB in [0, 255].
            style_weights: (n_styles + 1,) or (N, n_styles + 1) weights over
                all slots, identity last (see :func:`style_mixture`).
            statistics: as for :meth:`TransformerNet.forward`.

        Returns:
            (N, 3, H', W') RGB, roughly [0, 255].
        """
        w = style_weights.to(device=x.device, dtype=x.dtype)
        if w.dim() == 1:
            w = w.unsqueeze(0).expand(x.shape[0], -1)
        if w.shape != (x.shape[0], self.n_styles + 1):
            raise InferenceError(
                f"Expected {self.n_styles + 1} style weights (identity last) per image, got {tuple(w.shape)}."
            )
        return self.run(x, NormInputs(style_weights=w, statistics=statistics))


def style_mixture(weights: Sequence[float], strength: float, n_styles: int) -> Tensor:
    """Weights over all slots for a blend of styles at a given strength.

    ``weights`` (one per real style, non-negative, not all zero) are
    normalised to sum 1, then mixed with the identity slot:
    ``s * w + (1 - s) * e_identity``. Strength 1 is the pure blend,
    strength 0 the identity style (the photo as the net reproduces it).

    Returns:
        (n_styles + 1,) float32, summing to 1, identity last.
    """
    if len(weights) != n_styles:
        raise InferenceError(f"This network has {n_styles} styles; got {len(weights)} style weights.")
    w = torch.tensor([float(v) for v in weights], dtype=torch.float64)
    if not torch.isfinite(w).all() or (w < 0).any() or float(w.sum()) <= 0:
        raise InferenceError("Style weights must be non-negative numbers, and at least one must be above zero.")
    if not 0.0 <= strength <= 1.0:
        raise InferenceError(f"Strength must be between 0 and 1, got {strength}.")
    mixed = torch.zeros(n_styles + 1, dtype=torch.float64)
    mixed[:n_styles] = strength * w / w.sum()
    mixed[n_styles] += 1.0 - strength
    return mixed.float()


_OLD_RUNNING_STATS = re.compile(r"in\d+\.(running_mean|running_var|num_batches_tracked)$")


def from_official_fast_neural_style(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Drop the instance norms' running statistics that old fast_neural_style files carry.

    Files saved with PyTorch 0.3 (when InstanceNorm2d tracked running
    statistics by default) hold ``running_mean``/``running_var`` for every
    norm; instance norm never uses them at test time, and pytorch/examples'
    ``neural_style.py`` deletes them the same way before loading.

    Before (old ``candy.pth``)::

        conv1.conv2d.weight  in1.weight  in1.bias  in1.running_mean  in1.running_var
        res1.in1.weight  res1.in1.running_mean  ...  deconv3.conv2d.bias

    After::

        conv1.conv2d.weight  in1.weight  in1.bias  res1.in1.weight  ...  deconv3.conv2d.bias
    """
    return {k: v for k, v in state_dict.items() if not _OLD_RUNNING_STATS.search(k)}


def arch_of(state_dict: Mapping[str, Tensor]) -> str:
    """"single" or "multistyle", read from the shape of ``in1.weight`` (1-D or 2-D)."""
    gamma = state_dict.get("in1.weight")
    if gamma is None:
        raise CheckpointError("These weights are not a style transfer network (no in1.weight).")
    return "multistyle" if gamma.dim() == 2 else "single"


def single(spec) -> TransformerNet:
    """fast_neural_style's TransformerNet (one style), random weights."""
    return TransformerNet()


def multistyle(spec) -> MultiStyleTransformerNet:
    """The multi-style net with one conditional norm row per ``spec.options["styles"]`` entry, random weights."""
    names = [style["name"] for style in spec.options.get("styles", ())]
    return MultiStyleTransformerNet(len(names), names)


# spec.arch -> builder
ARCHITECTURES = {"single": single, "multistyle": multistyle}


def build(spec) -> nn.Module:
    """The registry's entry point: a random-weight network for ``spec.arch`` ("single" or "multistyle")."""
    if spec.arch not in ARCHITECTURES:
        raise InferenceError(f"No style transfer network called {spec.arch!r}.")
    return ARCHITECTURES[spec.arch](spec)


def from_state_dict(spec, state_dict: Mapping[str, Tensor]) -> nn.Module:
    """A network for ``spec`` holding ``state_dict`` (official or Atelier layout), loaded strictly.

    The number of styles of a multi-style file is read from its tables and
    must agree with the style names in ``spec.options`` when it has any.
    """
    from ..checkpoints import load_strict

    sd = from_official_fast_neural_style(state_dict)
    if spec.arch == "single":
        if arch_of(sd) != "single":
            raise CheckpointError("This is a multi-style network file, not a single-style fast_neural_style model.")
        return load_strict(TransformerNet(), sd)
    if spec.arch != "multistyle":
        raise InferenceError(f"No style transfer network called {spec.arch!r}.")
    if arch_of(sd) != "multistyle":
        raise CheckpointError("This is a single-style fast_neural_style file, not a multi-style network.")
    n_styles = sd["in1.weight"].shape[0] - 1
    if n_styles < 1:
        raise CheckpointError("This multi-style file has no style besides the identity slot.")
    names = [style["name"] for style in spec.options.get("styles", ())] or None
    if names is not None and len(names) != n_styles:
        raise CheckpointError(f"The file holds {n_styles} styles but the model lists {len(names)} style names.")
    return load_strict(MultiStyleTransformerNet(n_styles, names), sd)
