"""What a Stylize request may ask for, checked without torch.

Kept free of torch (like :mod:`inference.pipelines.hints`) so the web
process can validate a form's strength, colour preservation, preview size
and tile size; :mod:`inference.pipelines.stylize` re-exports both names.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InferenceError

PRESERVE_COLOUR_MODES = ("none", "luminance", "match")
# Smallest tile side: more than the AdaIN tiles' overlap (2 * 80 + 32 px) plus the alignment.
MIN_TILE = 256


@dataclass(frozen=True)
class StyleOptions:
    """How to stylise, for every kind of style model.

    Attributes:
        strength: 0 (the photo) .. 1 (full style). Multi-style nets mix
            towards their identity style, AdaIN mixes content and stylised
            features (the paper's alpha), single-style nets cross-fade pixels.
        preserve_colour: "none", "luminance" (keep the photo's chroma, take
            the style's luminance) or "match" (recolour the result to the
            photo's colour statistics).
        max_side: scale the photo down so its longer side is at most this
            many pixels first (previews); None keeps the full resolution.
        tile: tile side in pixels for photos with a longer side above it;
            0 never tiles. At least 256 otherwise.
        style_weights: multi-style nets: one non-negative weight per style,
            in the net's order (unused by the other kinds).
        style_statistics: AdaIN: ``((mean, std), weight)`` per style image,
            statistics from :func:`inference.engine.style_statistics` (unused
            by the other kinds).
    """

    strength: float = 1.0
    preserve_colour: str = "none"
    max_side: int | None = None
    tile: int = 1024
    style_weights: tuple[float, ...] = ()
    style_statistics: tuple = ()

    def __post_init__(self) -> None:
        if not (isinstance(self.strength, (int, float)) and 0.0 <= self.strength <= 1.0):
            raise InferenceError(f"Strength must be between 0 and 1, got {self.strength!r}.")
        if self.preserve_colour not in PRESERVE_COLOUR_MODES:
            raise InferenceError(
                f"Colour preservation must be one of {', '.join(PRESERVE_COLOUR_MODES)}, got {self.preserve_colour!r}."
            )
        if self.max_side is not None and (not isinstance(self.max_side, int) or self.max_side < 16):
            raise InferenceError(f"max_side must be at least 16 pixels, got {self.max_side!r}.")
        if not isinstance(self.tile, int) or (self.tile != 0 and self.tile < MIN_TILE):
            raise InferenceError(f"tile must be 0 (never tile) or at least {MIN_TILE} pixels, got {self.tile!r}.")
