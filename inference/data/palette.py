"""The label palette of Atelier's landscape models, defined once.

The procedural data set (:mod:`inference.data.landscapes`) paints its label
maps with these colours, the ``landscape-paint`` model is trained on them, and
its catalog entry hands them to the studio's brush (``spec.options["palette"]``).
Colours are far apart so that anti-aliased brush strokes snap back to the
right label (:func:`inference.pipelines.sketch.prepare`).
"""

from __future__ import annotations

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
