"""Colorize: a black-and-white (or any) photo in, a colour photo of the same size out.

The network only sees a small square (256 x 256 for the released models)
and only predicts chroma (ab). The photo's own lightness is kept at full
resolution and the predicted ab is upsampled to it, so detail and tones of
the original survive exactly; this is the official post-processing. Colours
the net predicts outside the sRGB gamut are either clipped per channel, as
the official code does (``gamut="clip"``), or brought into the gamut by
lowering their chroma so that L is kept (``gamut="preserve-luminance"``, the
default); see :mod:`inference.pipelines.colorize_options`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from ..color import lab_to_rgb_clipped, lab_to_rgb_in_gamut, rgb_to_lab, rgb_to_lightness
from ..errors import InferenceError
from ..images import to_rgb_or_l
from .colorize_options import DEFAULT_GAMUT, GAMUT_MODES, check_gamut
from .hints import Hint, parse_hints

__all__ = ["Hint", "parse_hints", "ColorizeOptions", "render", "colorize", "suggest_colours", "Suggestion",
           "GAMUT_MODES", "DEFAULT_GAMUT", "check_gamut"]

Progress = Callable[[float, str], None]

# Side of the square patch each hint paints at network resolution; 3x3 is
# what the interactive demo of the SIGGRAPH17 paper uses by default.
_HINT_PATCH = 3

# SIGGRAPH17's classification head quantises ab on a 23 x 23 grid of 10-unit
# steps from -110 to 110; class index = a_index * 23 + b_index (the official
# training code's encoding).
_AB_GRID = 23
_AB_STEP = 10.0
_AB_MAX = 110.0

# (N, 1, H, W) L and (N, 2, H, W) ab -> (N, 3, H, W) sRGB in [0, 1], by gamut mode.
GAMUT_MAPPINGS = {"preserve-luminance": lab_to_rgb_in_gamut, "clip": lab_to_rgb_clipped}


def _lightness(picture: Image.Image, device: torch.device) -> Tensor:
    """Lab L of an "RGB" or "L" picture.

    Returns:
        (1, 1, H, W) float32 in [0, 100] on ``device``.
    """
    pixels = torch.from_numpy(np.asarray(picture).copy()).to(device)
    if picture.mode == "L":
        # Grey levels have 256 possible L values: a lookup table is exact
        # and avoids converting three float planes of a 12-megapixel photo.
        # Built in float64 and rounded once, as the official code rounds
        # skimage's float64 L to float32.
        levels = torch.arange(256, dtype=torch.float64, device=device) / 255.0
        table = rgb_to_lightness(levels.view(1, 1, 1, 256).expand(1, 3, 1, 256).contiguous()).view(256).float()
        return table[pixels.long()].view(1, 1, *pixels.shape)
    rgb = pixels.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
    return rgb_to_lightness(rgb)


def _hint_planes(hints: Sequence[Hint], size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Rasterise hints at network resolution.

    Returns:
        ab_hint (1, 2, size, size) in Lab units and mask (1, 1, size, size)
        in {0, 1}; each hint fills a 3x3 patch (clipped at the borders).
    """
    ab_hint = torch.zeros((1, 2, size, size), device=device)
    mask = torch.zeros((1, 1, size, size), device=device)
    if not hints:
        return ab_hint, mask
    colours = torch.tensor([h.rgb for h in hints], dtype=torch.float32, device=device) / 255.0
    ab_values = rgb_to_lab(colours.T.reshape(1, 3, 1, len(hints)))[0, 1:, 0, :]  # (2, n_hints)
    half = _HINT_PATCH // 2
    for i, hint in enumerate(hints):
        # Relative coordinates of the original map straight onto the square,
        # since the whole photo is resized (not cropped) to the network input.
        col = min(int(hint.x * size), size - 1)
        row = min(int(hint.y * size), size - 1)
        rows = slice(max(0, row - half), min(size, row + half + 1))
        cols = slice(max(0, col - half), min(size, col + half + 1))
        ab_hint[0, :, rows, cols] = ab_values[:, i].view(2, 1, 1)
        mask[0, :, rows, cols] = 1.0
    return ab_hint, mask


@dataclass(frozen=True)
class ColorizeOptions:
    """How to colourise.

    Attributes:
        hints: colour hints with coordinates relative to the photo (SIGGRAPH17 uses them).
        gamut: how out-of-gamut Lab colours become pixels, one of :data:`GAMUT_MODES`.
    """

    hints: tuple[Hint, ...] = ()
    gamut: str = DEFAULT_GAMUT


def render(image: Image.Image, nets, options: ColorizeOptions = ColorizeOptions(),
           progress: Progress | None = None) -> Image.Image:
    """The Colorize tool's entry point: :func:`colorize` with the model's own input size.

    Args:
        image: any Pillow mode and size.
        nets: :class:`inference.engine.Nets` of a colorize model.
        options: hints and gamut mapping.
        progress: as :func:`colorize`.

    Returns:
        An "RGB" image of the same size as ``image``.
    """
    return colorize(image, nets.net, hints=options.hints, input_size=nets.spec.input_size, gamut=options.gamut,
                    progress=progress)


def _takes_hints(net: nn.Module) -> bool:
    return hasattr(net, "model_class")


def colorize(
    image: Image.Image,
    net: nn.Module,
    *,
    hints: Sequence[Hint] = (),
    input_size: int = 256,
    gamut: str = DEFAULT_GAMUT,
    progress: Progress | None = None,
) -> Image.Image:
    """Colourise a photo with a Zhang et al. colouriser, keeping its full-resolution lightness.

    Steps, as the official demo: resize the picture to ``input_size`` squared
    with bicubic resampling, take Lab L, predict ab (N=1), upsample ab
    bilinearly to the original size, join it with the original's own L and
    convert to sRGB with the chosen gamut mapping, then round to 8 bits.

    Hints are used by nets that accept them (SIGGRAPH17, recognised by its
    ``model_class`` head); ECCV16 silently ignores them, as it has no input
    for them.

    Args:
        image: any Pillow mode and size; colour input is re-coloured from its L.
        net: an eval-mode colouriser; runs on the device its parameters are on.
        hints: colour hints with coordinates relative to ``image``.
        input_size: side of the network input, a multiple of 8.
        gamut: "preserve-luminance" lowers the chroma of out-of-gamut colours
            so L is kept exactly (:func:`inference.color.lab_to_rgb_in_gamut`);
            "clip" clips each channel as the official ``skimage.color.lab2rgb``
            does (:func:`inference.color.lab_to_rgb_clipped`).
        progress: called as ``progress(fraction_done, stage)`` after each stage
            ("preprocess" 0.1, "forward" 0.5, "upsample" 0.8, "done" 1.0);
            it may raise to cancel, and the exception propagates unchanged.

    Returns:
        An "RGB" image of the same size as ``image``.

    Raises:
        InferenceError: an unknown ``gamut``, or the GPU ran out of memory.
    """
    to_rgb = GAMUT_MAPPINGS[check_gamut(gamut)]
    if input_size <= 0 or input_size % 8:
        raise ValueError(f"input_size must be a positive multiple of 8, got {input_size}")
    report = progress or (lambda fraction, stage: None)

    try:
        array = _colourise_pixels(to_rgb_or_l(image), net, hints, input_size, to_rgb, report)
        out_of_memory = False
    except torch.cuda.OutOfMemoryError:
        out_of_memory = True
    if out_of_memory:
        # Outside the except block: the traceback, and with it the frame
        # holding the big tensors, is gone, so the cache can really shrink.
        torch.cuda.empty_cache()
        raise InferenceError(
            "The GPU ran out of memory while colourising this photo. "
            "Try again in a moment, or with a smaller image."
        )

    result = Image.fromarray(array)
    report(1.0, "done")
    return result


def _colourise_pixels(
    picture: Image.Image, net: nn.Module, hints: Sequence[Hint], input_size: int,
    to_rgb: Callable[[Tensor, Tensor], Tensor], report: Progress,
) -> np.ndarray:
    """The tensor part of :func:`colorize`.

    Args:
        picture: mode "RGB" or "L", H x W.
        to_rgb: one of :data:`GAMUT_MAPPINGS`.

    Returns:
        (H, W, 3) uint8 sRGB.
    """
    parameter = next(net.parameters())
    device, dtype = parameter.device, parameter.dtype
    width, height = picture.size
    with torch.inference_mode():
        full_l = _lightness(picture, device)  # (1, 1, H, W)
        small = picture.resize((input_size, input_size), Image.Resampling.BICUBIC)
        small_l = _lightness(small, device)  # (1, 1, S, S)
        report(0.1, "preprocess")

        if _takes_hints(net):
            ab_hint, mask = _hint_planes(hints, input_size, device)
            ab = net(small_l.to(dtype), ab_hint.to(dtype), mask.to(dtype))
        else:
            ab = net(small_l.to(dtype))
        ab = ab.float()  # (1, 2, S, S)
        report(0.5, "forward")

        ab_full = F.interpolate(ab, size=(height, width), mode="bilinear", align_corners=False)
        report(0.8, "upsample")

        rgb = to_rgb(full_l, ab_full)  # (1, 3, H, W) in [0, 1]
        del ab_full, full_l
        pixels = rgb[0].mul_(255.0).round_().clamp_(0, 255).to(torch.uint8)
        return pixels.permute(1, 2, 0).contiguous().cpu().numpy()


@dataclass(frozen=True)
class Suggestion:
    """A colour the network finds likely at a point.

    Attributes:
        rgb: 8-bit sRGB, at the photo's own lightness there.
        probability: the share of the predicted distribution in this colour's ab bin.
    """

    rgb: tuple[int, int, int]
    probability: float

    def as_dict(self) -> dict:
        return {"color": "#{:02x}{:02x}{:02x}".format(*self.rgb), "probability": round(self.probability, 4)}


def suggest_colours(image: Image.Image, nets, x: float, y: float, *, hints: Sequence[Hint] = (),
                    count: int = 8) -> list[Suggestion]:
    """The most likely colours at one point of a photo, from SIGGRAPH17's predicted ab distribution.

    The interactive app of Zhang et al. (2017) offers such a palette where the
    user clicks: the classification head (``model_class``, 529 ab bins on a
    23 x 23 grid, at 1/4 of the input resolution) gives a distribution over
    colours given the photo and the other hints, where the regression head
    gives only one answer. Each bin's centre is shown at the photo's own
    lightness at that point, brought into the sRGB gamut by lowering chroma.

    Args:
        image: any Pillow mode and size (the same picture :func:`render` takes).
        nets: :class:`inference.engine.Nets` of a SIGGRAPH17 model.
        x, y: the point, relative to ``image`` (0..1).
        hints: the other hints (leave out the one being recoloured: given its own
            colour, the net would mostly suggest that colour back).
        count: how many colours, most probable first.

    Returns:
        At most ``count`` distinct colours, most probable first; bins that
        show as the same colour are merged, their probabilities added.

    Raises:
        InferenceError: the model has no distribution head (ECCV16 here takes no hints).
    """
    net, size = nets.net, nets.spec.input_size
    if not _takes_hints(net):
        raise InferenceError("Only a model that takes colour hints (SIGGRAPH17) suggests colours.")
    parameter = next(net.parameters())
    device, dtype = parameter.device, parameter.dtype
    with torch.inference_mode():
        small = to_rgb_or_l(image).resize((size, size), Image.Resampling.BICUBIC)
        small_l = _lightness(small, device)  # (1, 1, S, S)
        ab_hint, mask = _hint_planes(hints, size, device)
        logits, _ = net.heads(small_l.to(dtype), ab_hint.to(dtype), mask.to(dtype))  # (1, 529, S/4, S/4)
        rows, cols = logits.shape[2:]
        row, col = min(int(y * rows), rows - 1), min(int(x * cols), cols - 1)
        probabilities = torch.softmax(logits[0, :, row, col].float(), dim=0)  # (529,)
        # More bins than asked for: at the gamut's edge several bins become the same displayable colour.
        top = torch.topk(probabilities, min(3 * count, probabilities.numel()))
        bins = top.indices
        ab = torch.stack((bins // _AB_GRID, bins % _AB_GRID)).float() * _AB_STEP - _AB_MAX  # (2, k)
        lightness = small_l[0, 0, min(int(y * size), size - 1), min(int(x * size), size - 1)]
        l_plane = lightness.expand(1, 1, 1, ab.shape[1]).contiguous()
        rgb = lab_to_rgb_in_gamut(l_plane, ab.view(1, 2, 1, -1))[0, :, 0, :]  # (3, k) in [0, 1]
        pixels = rgb.mul(255.0).round().clamp(0, 255).to(torch.uint8).T.tolist()
    merged: dict[tuple[int, int, int], float] = {}
    for colour, probability in zip(pixels, top.values.tolist()):
        merged[tuple(colour)] = merged.get(tuple(colour), 0.0) + probability
    ranked = sorted(merged.items(), key=lambda item: -item[1])[:count]
    return [Suggestion(colour, probability) for colour, probability in ranked]
