"""Upscale: a photo in, a larger picture out, by one of two network families.

Entry points (the shape of every tool, plus the samples PRSR draws)::

    render(image, nets, options=UpscaleOptions(), progress=None) -> Image          # the first (or only) result
    render_samples(image, nets, options=UpscaleOptions(), progress=None) -> list[Image]
    check_output_size(size, scale, max_pixels) -> None                              # InferenceError if too large
    output_size(spec, size) -> (width, height)                                      # what render will return

What each family does (``nets.spec.arch``):

- ``rrdbnet_x4`` / ``rrdbnet_x2`` (ESRGAN / Real-ESRGAN, :mod:`inference.nets.rrdbnet`):
  the whole photo (RGB; transparency on white, grey photos as RGB) is
  upscaled by the net's scale (4 or 2, read from the loaded network).
  Inputs larger than ``options.tile`` pixels on a side run in overlapping
  tiles blended without seams (:func:`inference.tiling.run_tiled` with
  ``scale``), equal to the untiled result within one level. On CUDA the
  forward runs in half precision (autocast); a GPU out-of-memory retries
  with half the tile size, down to :data:`MIN_TILE`, then fails with a
  sentence. ``render_samples`` returns one image; temperature, samples and
  seed are ignored. Progress: ``(fraction, "upscale")`` after each tile.
- ``prsr`` (pixel recursive super-resolution, :mod:`inference.nets.prsr`):
  the photo's centre square, area-downsampled (box filter) to the model's
  low-resolution side ``spec.input_size`` (8 for the bundled faces model),
  is the input; each sample is ``spec.input_size * scale`` squared (32 x 32),
  *not* enlarged: the web page enlarges it for display (nearest neighbour,
  so the sampled pixels stay visible). ``options.samples`` samples are
  drawn as one batch, sample k with seed ``options.seed + k`` at
  ``options.temperature`` (0: the most likely level at every step, the
  same picture for every seed; 1: the model's distribution). The same
  photo, model, temperature and seed give the same picture everywhere
  (CLI, site). Progress: ``(fraction, "sample")`` after each row.

:func:`check_output_size` is what the site and the CLI call before queueing
an RRDBNet job; :data:`DEFAULT_MAX_OUTPUT_MEGAPIXELS` is the default cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn

from ..errors import InferenceError
from ..images import to_rgb_or_l
from ..tiling import run_tiled

__all__ = ["UpscaleOptions", "render", "render_samples", "check_output_size", "output_size", "prsr_input",
           "upscale_tensor", "is_sampler", "DEFAULT_MAX_OUTPUT_MEGAPIXELS", "MAX_SAMPLES", "MIN_TILE"]

Progress = Callable[[float, str], None]

DEFAULT_MAX_OUTPUT_MEGAPIXELS = 64
MAX_SAMPLES = 16
MAX_TEMPERATURE = 2.0
# Tiles never shrink below this on out-of-memory retries (input pixels).
MIN_TILE = 64
# Input pixels discarded at a tile's inner sides and blended after them. RRDBNet's
# receptive field is hundreds of pixels, but its weights fall off within a few:
# Real-ESRGAN pads tiles by 10; 16 + a 16-pixel feather stays within one level.
RRDB_MARGIN = 16
RRDB_FEATHER = 16

PRSR_ARCHS = ("prsr",)


@dataclass(frozen=True)
class UpscaleOptions:
    """How to upscale.

    Attributes:
        temperature: PRSR only: softmax(logits / temperature), 0 to 2; 0 is
            the most likely level at every step, 1 the model's distribution.
        samples: PRSR only: how many samples to draw (1 to :data:`MAX_SAMPLES`).
        seed: PRSR only: seed of the first sample; sample k uses ``seed + k``.
        tile: RRDBNet only: tile side in input pixels; 0 runs the whole
            photo at once.
    """

    temperature: float = 0.8
    samples: int = 1
    seed: int = 0
    tile: int = 512

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= MAX_TEMPERATURE or math.isnan(self.temperature):
            raise InferenceError(f"The temperature must be between 0 and {MAX_TEMPERATURE:g}.")
        if not 1 <= self.samples <= MAX_SAMPLES:
            raise InferenceError(f"The number of samples must be between 1 and {MAX_SAMPLES}.")
        if self.tile != 0 and self.tile < MIN_TILE:
            raise InferenceError(f"The tile size must be 0 (no tiles) or at least {MIN_TILE} pixels.")


def is_sampler(spec) -> bool:
    """Whether ``spec`` is a PRSR model (draws samples of a fixed size) rather than an RRDBNet."""
    return spec.arch in PRSR_ARCHS


def _scale(spec) -> int:
    return int(spec.options.get("scale", 4))


def output_size(spec, size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of what :func:`render` returns for an input of ``size`` = (width, height).

    RRDBNet: the input times the scale; PRSR: ``input_size * scale`` squared,
    whatever the input.
    """
    scale = _scale(spec)
    if is_sampler(spec):
        side = int(spec.input_size) * scale
        return side, side
    return size[0] * scale, size[1] * scale


def _megapixels(pixels: float) -> str:
    value = pixels / 1e6
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def check_output_size(size: tuple[int, int], scale: int, max_pixels: int) -> None:
    """Refuse an input whose ×``scale`` result would exceed ``max_pixels``.

    Args:
        size: the input's (width, height).
        scale: the model's scale (``spec.options["scale"]``).
        max_pixels: the largest result allowed, in pixels.

    Raises:
        InferenceError: a sentence naming the result's size and the largest
            input of the same shape that fits, e.g. "Upscaled ×4, this
            3000 × 2000 photo would be 12000 × 8000 pixels (96 megapixels);
            the limit is 64 megapixels, so the largest photo of this shape
            that fits is 2449 × 1632 pixels."
    """
    width, height = size
    if width * height * scale * scale <= max_pixels:
        return
    factor = math.sqrt(max_pixels / (width * height * scale * scale))
    fit_w, fit_h = max(1, int(width * factor)), max(1, int(height * factor))
    while fit_w * fit_h * scale * scale > max_pixels and fit_w > 1 and fit_h > 1:
        fit_w, fit_h = (fit_w - 1, fit_h) if fit_w * height >= fit_h * width else (fit_w, fit_h - 1)
    raise InferenceError(
        f"Upscaled \u00d7{scale}, this {width} \u00d7 {height} photo would be {width * scale} \u00d7 "
        f"{height * scale} pixels ({_megapixels(width * height * scale * scale)} megapixels); the limit is "
        f"{_megapixels(max_pixels)} megapixels, so the largest photo of this shape that fits is "
        f"{fit_w} \u00d7 {fit_h} pixels."
    )


def _quiet(fraction: float, stage: str) -> None:
    pass


# -- RRDBNet ------------------------------------------------------------------------------------


def _to_tensor(image: Image.Image) -> Tensor:
    """Any Pillow image -> (1, 3, H, W) float32 in [0, 1] (transparency on white, grey as RGB)."""
    rgb = to_rgb_or_l(image).convert("RGB")
    array = np.asarray(rgb, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def _to_image(tensor: Tensor) -> Image.Image:
    """(1, 3, H, W) in [0, 1] -> "RGB" picture, rounded to the nearest level."""
    pixels = tensor[0].float().mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels.permute(1, 2, 0).numpy()), "RGB")


def _forward(net: nn.Module, x: Tensor) -> Tensor:
    """One RRDBNet pass on the net's device; fp16 autocast on CUDA. Returns float32 on the CPU."""
    parameter = next(net.parameters())
    x = x.to(device=parameter.device, dtype=parameter.dtype)
    with torch.inference_mode(), torch.autocast(device_type=parameter.device.type, dtype=torch.float16,
                                                enabled=parameter.device.type == "cuda"):
        return net(x).float().cpu()


def upscale_tensor(net: nn.Module, photo: Tensor, *, tile: int = 512, progress: Progress | None = None) -> Tensor:
    """Upscale ``photo`` with an RRDBNet, in tiles when it is larger than ``tile``.

    Args:
        net: an :class:`~inference.nets.rrdbnet.RRDBNet` (its ``scale`` and
            ``unshuffle`` attributes are read), on any device.
        photo: (1, 3, H, W) float32 in [0, 1] on the CPU.
        tile: tile side in input pixels; 0 runs the whole photo at once.
        progress: ``(fraction, "upscale")`` after each tile; may raise to cancel.

    Returns:
        (1, 3, H * scale, W * scale) float32 on the CPU, not clamped.

    Raises:
        InferenceError: the GPU ran out of memory even with :data:`MIN_TILE` tiles,
            or the photo's sides are not multiples of what a x2/x1 net needs.
    """
    report = progress or _quiet
    scale, align = int(net.scale), int(getattr(net, "unshuffle", 1))
    _, _, height, width = photo.shape
    if height % align or width % align:
        raise InferenceError(f"This model needs photos whose sides are multiples of {align} pixels.")
    side = max(height, width)
    current = tile if tile else side
    while True:
        try:
            return _upscale_once(net, photo, current, scale, align, report)
        except torch.cuda.OutOfMemoryError:
            pass
        # Outside the except block, so the frames holding the tensors are gone.
        torch.cuda.empty_cache()
        smaller = min(current, side) // 2
        if smaller < MIN_TILE:
            raise InferenceError(
                f"The GPU ran out of memory even with tiles of {MIN_TILE} pixels. Try again when it is less busy, "
                "or run the model on the CPU."
            )
        current = smaller


def _upscale_once(net: nn.Module, photo: Tensor, tile: int, scale: int, align: int, report: Progress) -> Tensor:
    _, _, height, width = photo.shape
    if max(height, width) <= tile:
        out = _forward(net, photo)
        report(1.0, "upscale")
        return out
    return run_tiled(photo, lambda x, _tile: _forward(net, x), tile=tile, margin=RRDB_MARGIN, feather=RRDB_FEATHER,
                     align=align, scale=scale, on_tile=lambda done, total: report(done / total, "upscale"))


def _pad_to_multiple(photo: Tensor, multiple: int) -> tuple[Tensor, int, int]:
    """Reflect-pad bottom and right so both sides are multiples of ``multiple``; returns the original size too."""
    _, _, height, width = photo.shape
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        photo = torch.nn.functional.pad(photo, (0, pad_w, 0, pad_h), mode=mode)
    return photo, height, width


def _render_rrdbnet(image: Image.Image, nets, options: UpscaleOptions, report: Progress) -> Image.Image:
    net = nets.net
    photo, height, width = _pad_to_multiple(_to_tensor(image), int(getattr(net, "unshuffle", 1)))
    out = upscale_tensor(net, photo, tile=options.tile, progress=lambda f, s: report(0.05 + 0.9 * f, s))
    scale = int(net.scale)
    return _to_image(out[:, :, : height * scale, : width * scale])


# -- PRSR ---------------------------------------------------------------------------------------


def prsr_input(image: Image.Image, side: int) -> Tensor:
    """The photo's centre square, area-downsampled to ``side`` squared: (1, 3, side, side) int64 levels."""
    rgb = to_rgb_or_l(image).convert("RGB")
    width, height = rgb.size
    square = min(width, height)
    left, top = (width - square) // 2, (height - square) // 2
    crop = rgb.crop((left, top, left + square, top + square))
    if crop.size != (side, side):
        crop = crop.resize((side, side), Image.Resampling.BOX)
    array = np.asarray(crop, dtype=np.int64)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0)


def _render_prsr(image: Image.Image, nets, options: UpscaleOptions, report: Progress) -> list[Image.Image]:
    model = nets.net
    low = prsr_input(image, int(nets.spec.input_size)).to(next(model.parameters()).device)
    seeds = [options.seed + k for k in range(options.samples)]
    levels = model.sample(low, seeds, temperature=options.temperature,
                          on_row=lambda done, rows: report(0.05 + 0.9 * done / rows, "sample"))
    pixels = levels.clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(np.ascontiguousarray(p), "RGB") for p in pixels]


# -- entry points -------------------------------------------------------------------------------


def render_samples(image: Image.Image, nets, options: UpscaleOptions = UpscaleOptions(),
                   progress: Progress | None = None) -> list[Image.Image]:
    """Every result of one request: PRSR's ``options.samples`` samples, or RRDBNet's one picture.

    Args:
        image: the photo, any Pillow mode and size (RRDBNet: check its size
            with :func:`check_output_size` first).
        nets: :class:`inference.engine.Nets` of an upscale model.
        options: see :class:`UpscaleOptions`.
        progress: optional ``(fraction, stage)`` callback; may raise to cancel.

    Returns:
        "RGB" pictures: PRSR ``options.samples`` of ``output_size`` (sample k
        drawn with seed ``options.seed + k``), RRDBNet a list of one.
    """
    report = progress or _quiet
    report(0.0, "prepare")
    if is_sampler(nets.spec):
        results = _render_prsr(image, nets, options, report)
    else:
        results = [_render_rrdbnet(image, nets, options, report)]
    report(1.0, "done")
    return results


def render(image: Image.Image, nets, options: UpscaleOptions = UpscaleOptions(),
           progress: Progress | None = None) -> Image.Image:
    """The Upscale tool's entry point: the first (or only) picture of :func:`render_samples`."""
    return render_samples(image, nets, options, progress)[0]
