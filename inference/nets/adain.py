"""Arbitrary style transfer with adaptive instance normalisation (AdaIN).

Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive
Instance Normalization" (ICCV 2017), in the layout of naoto0804/pytorch-AdaIN:

* encoder: the normalised VGG-19 up to relu4_1
  (:class:`inference.nets.vgg.NormalisedVGG19`, file ``vgg_normalised.pth``);
* AdaIN: content features re-normalised to the style's channel statistics,
  ``AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)``;
* decoder: mirror of the encoder with nearest upsampling instead of pooling
  (:class:`AdaINDecoder`, file ``decoder.pth``), trained to invert it.

Pixels are RGB in [0, 1] on both ends (the decoder's output is not clamped).
Because AdaIN is affine in (mu, sigma), blending styles with weights w is
AdaIN with the weighted statistics (sum_i w_i mu_i, sum_i w_i sigma_i), which
is exactly what pytorch-AdaIN's interpolation computes (it mixes the AdaIN
outputs); the content-style trade-off alpha mixes AdaIN output and content
features: ``alpha t + (1 - alpha) f(c)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from ..errors import InferenceError
from .vgg import ADAIN_STAGES, NormalisedVGG19, from_official_vgg_normalised

__all__ = ["AdaINDecoder", "NormalisedVGG19", "adain", "mean_std", "mix_statistics", "build", "from_state_dict"]

EPS = 1e-5  # added to the variance, as the official calc_mean_std does

# The decoder's convs in order, "U" for a x2 nearest upsampling; each conv is
# preceded by a reflection pad and followed by a ReLU except the last.
_DECODER_PLAN: tuple[tuple[int, int] | str, ...] = (
    (512, 256), "U",
    (256, 256), (256, 256), (256, 256), (256, 128), "U",
    (128, 128), (128, 64), "U",
    (64, 64), (64, 3),
)


class AdaINDecoder(nn.Sequential):
    """pytorch-AdaIN's decoder: relu4_1 features (N, 512, h, w) -> RGB (N, 3, 8h, 8w).

    Keys are the official Sequential indices: ``1.weight`` (256, 512, 3, 3),
    ``5.weight``, ``8.weight``, ``11.weight``, ``14.weight`` (128, 256, 3, 3),
    ``18.weight``, ``21.weight``, ``25.weight``, ``28.weight`` (3, 64, 3, 3).
    """

    def __init__(self) -> None:
        layers: list[nn.Module] = []
        convs_left = sum(item != "U" for item in _DECODER_PLAN)
        for item in _DECODER_PLAN:
            if item == "U":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            c_in, c_out = item
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, kernel_size=3)]
            convs_left -= 1
            if convs_left:  # no ReLU after the last conv: RGB may be negative before clamping
                layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


def mean_std(features: Tensor, eps: float = EPS) -> tuple[Tensor, Tensor]:
    """Channel mean and standard deviation, as pytorch-AdaIN's ``calc_mean_std``.

    Args:
        features: (N, C, H, W).

    Returns:
        mean, std: each (N, C, 1, 1); std = sqrt(unbiased variance + eps).
    """
    n, c = features.shape[:2]
    flat = features.reshape(n, c, -1)
    var, mean = torch.var_mean(flat, dim=2, correction=1)
    return mean.view(n, c, 1, 1), (var + eps).sqrt().view(n, c, 1, 1)


def adain(
    content_feat: Tensor,
    style_mean: Tensor,
    style_std: Tensor,
    content_stats: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Adaptive instance normalisation: give content features the style's channel statistics.

    Args:
        content_feat: (N, C, H, W) encoder features of the content.
        style_mean, style_std: (N or 1, C, 1, 1) or (C,) target statistics.
        content_stats: (mean, std) of the content to use instead of
            ``content_feat``'s own, each (N, C, 1, 1): the whole photo's
            statistics when ``content_feat`` is one tile of it.

    Returns:
        (N, C, H, W) ``style_std * (x - mu) / sigma + style_mean``.
    """
    c = content_feat.shape[1]
    mean, std = content_stats if content_stats is not None else mean_std(content_feat)
    s_mean = style_mean.reshape(-1, c, 1, 1).to(content_feat)
    s_std = style_std.reshape(-1, c, 1, 1).to(content_feat)
    return (content_feat - mean) / std * s_std + s_mean


def mix_statistics(statistics: Sequence[tuple[Tensor, Tensor]], weights: Sequence[float]) -> tuple[Tensor, Tensor]:
    """Convex mix of several styles' (mean, std): the AdaIN form of a style blend.

    Args:
        statistics: one (mean, std) per style, each of shape (C,) or (1, C, 1, 1).
        weights: one non-negative weight per style, not all zero; normalised to sum 1.

    Returns:
        (mean, std), each (C,): sum_i w_i mean_i and sum_i w_i std_i.
    """
    if len(statistics) != len(weights) or not statistics:
        raise InferenceError("Give one weight per style image, and at least one style.")
    w = torch.tensor([float(v) for v in weights], dtype=torch.float64)
    if not torch.isfinite(w).all() or (w < 0).any() or float(w.sum()) <= 0:
        raise InferenceError("Style weights must be non-negative numbers, and at least one must be above zero.")
    w = w / w.sum()
    mean = sum(float(wi) * m.reshape(-1).double() for wi, (m, _) in zip(w, statistics))
    std = sum(float(wi) * s.reshape(-1).double() for wi, (_, s) in zip(w, statistics))
    return mean.float(), std.float()


def adain_decoder() -> AdaINDecoder:
    """The AdaIN decoder with random weights (load ``decoder.pth`` to use it)."""
    return AdaINDecoder()


def build(spec) -> nn.Module:
    """The registry's entry point: "adain" (the decoder) or "normalised_vgg19" (the encoder to relu4_1), random weights."""
    if spec.arch == "adain":
        return adain_decoder()
    if spec.arch == "normalised_vgg19":
        return NormalisedVGG19()
    raise InferenceError(f"No AdaIN network called {spec.arch!r}.")


def from_state_dict(spec, state_dict: Mapping[str, Tensor]) -> nn.Module:
    """Load ``decoder.pth`` as it is, or ``vgg_normalised.pth`` cut to relu4_1 (strict)."""
    from ..checkpoints import load_strict

    if spec.arch == "normalised_vgg19":
        return load_strict(NormalisedVGG19(), from_official_vgg_normalised(state_dict))
    return load_strict(build(spec), state_dict)


STYLE_LAYERS = tuple(ADAIN_STAGES)  # relu1_1 .. relu4_1: the style loss's layers
