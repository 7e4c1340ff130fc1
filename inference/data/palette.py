"""The label palette of Atelier's landscape models, defined once.

The procedural data set (:mod:`inference.data.landscapes`) paints its label
maps with these colours, the ``landscape-paint`` model is trained on them, and
its catalog entry hands them to the studio's brush (``spec.options["palette"]``).
Colours are far apart so that anti-aliased brush strokes snap back to the
right label (:func:`inference.pipelines.sketch.prepare`).
"""

from __future__ import annotations

import numpy as np

# (label, "#rrggbb"), in drawing order from the back of a scene to the front.
LANDSCAPE_LABELS: tuple[tuple[str, str], ...] = (
    ("sky", "#64b4f0"),
    ("cloud", "#d2d2e6"),
    ("mountain", "#785a8c"),
    ("snow", "#ffffff"),
    ("water", "#1e50b4"),
    ("sand", "#f0dc82"),
    ("grass", "#78c83c"),
    ("rock", "#8c7864"),
    ("tree", "#236e28"),
)

# The materials whose colour changes most from scene to scene (sky mood and the sky at the horizon,
# whose haze tints everything far away; clouds, mountain rock, water, grass): what a drawing cannot say, so
# the style-conditioned demo models are told them as their style. Each model lists the ones it
# takes, in its own order (its catalog entry's options["style"]; inference.pipelines.sketch_options).
STYLE_MATERIALS: tuple[str, ...] = ("sky", "horizon", "cloud", "mountain", "water", "grass")


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0..255."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"expected a colour like '#rrggbb', got {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def palette_option(labels: tuple[tuple[str, str], ...] = LANDSCAPE_LABELS) -> list[dict[str, str]]:
    """The palette as a model spec option: ``[{"name": "sky", "color": "#64b4f0"}, ...]``."""
    return [{"name": name, "color": colour} for name, colour in labels]


LANDSCAPE_PALETTE: list[dict[str, str]] = palette_option()
LABEL_INDEX: dict[str, int] = {name: i for i, (name, _) in enumerate(LANDSCAPE_LABELS)}
LABEL_RGB: tuple[tuple[int, int, int], ...] = tuple(hex_to_rgb(colour) for _, colour in LANDSCAPE_LABELS)


def snap_to_palette(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Replace every pixel by the nearest palette colour (Euclidean in RGB).

    Anti-aliased brush edges and bicubic resizing blend neighbouring labels
    into colours a label-map model never saw; snapping turns them back into
    labels. Pixels already in the palette (most of a label map) are found
    with one cheap membership test and left alone.

    Args:
        pixels: (H, W, 3) uint8.
        palette: (K, 3) uint8.

    Returns:
        (H, W, 3) uint8 holding palette colours only.
    """
    pixels = np.asarray(pixels, dtype=np.uint8)
    palette = np.asarray(palette, dtype=np.uint8)
    codes = (pixels[..., 0].astype(np.int32) << 16) | (pixels[..., 1].astype(np.int32) << 8) | pixels[..., 2]
    palette_codes = (palette[:, 0].astype(np.int32) << 16) | (palette[:, 1].astype(np.int32) << 8) | palette[:, 2]
    stray = ~np.isin(codes, palette_codes)
    if not stray.any():
        return pixels.copy()
    out = pixels.copy()
    flat = pixels[stray].astype(np.float32)
    colours = palette.astype(np.float32)
    # |p - c|^2 = |p|^2 - 2 p.c + |c|^2, and |p|^2 is the same for every c.
    # Float32 is exact here: every product and sum is an integer below 2^24.
    scores = flat @ (colours.T * -2.0) + (colours ** 2).sum(axis=1)[None, :]
    out[stray] = palette[scores.argmin(axis=1)]
    return out
