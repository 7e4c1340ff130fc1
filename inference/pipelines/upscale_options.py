"""Upscale's options and size rules, without torch: the web process and ``--help`` read them cheaply.

:mod:`inference.pipelines.upscale` re-exports every name here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InferenceError

Progress = Callable[[float, str], None]

DEFAULT_MAX_OUTPUT_MEGAPIXELS = 64
MAX_SAMPLES = 16
MAX_TEMPERATURE = 2.0
# Tiles never shrink below this on out-of-memory retries (input pixels).
MIN_TILE = 64
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
