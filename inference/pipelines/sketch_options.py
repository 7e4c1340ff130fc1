"""The style colours of a style-conditioned Sketch model, checked and encoded without torch.

The web process checks a request's style (webapp/studio/tools.py) and the
pipeline and trainer turn it into the network's extra input channels, from
this one definition. A style is ``{material: "#rrggbb"}``: the colour the
picture should give each material the model knows (its ``options["style"]``,
e.g. :data:`inference.data.palette.STYLE_MATERIALS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..data.palette import hex_to_rgb
from ..errors import InferenceError

MAX_MATERIALS = 16  # far more than any model knows; keeps a request's style small

def check_style(style, materials: Sequence[str] | None = None) -> dict[str, str]:
    """A style as ``{material: "#rrggbb"}`` (lower case), from a mapping or pairs; raises InferenceError.

    Args:
        style: ``{material: colour}`` or ``((material, colour), ...)``; None or empty for none.
        materials: the names a model knows; None accepts any name.
    """
    if not style:
        return {}
    try:
        pairs = list(style.items() if isinstance(style, Mapping) else style)
        if len(pairs) > MAX_MATERIALS:
            raise ValueError
        checked = {str(name): str(colour).lower() for name, colour in pairs}
    except (TypeError, ValueError):
        raise InferenceError('style must map materials to colours, like {"sky": "#88aadd"}.') from None
    for name, colour in checked.items():
        if materials is not None and name not in materials:
            known = f"it takes {', '.join(materials)}" if materials else "it takes no colours"
            raise InferenceError(f"This model has no colour for {name!r}: {known}.")
        if len(colour) != 7 or colour[0] != "#" or any(c not in "0123456789abcdef" for c in colour[1:]):
            raise InferenceError(f"The {name} colour must be written #rrggbb, not {colour!r}.")
    return checked


def style_planes(style, materials: Sequence[str]) -> np.ndarray:
    """The style input of a style-conditioned model: (4 K,) float32 for its K ``materials``.

    Per material, in order: red, green, blue in [-1, 1] and 1 when the style
    gives its colour; four zeros when it does not (the model's own choice,
    as it learnt from training pairs whose colour was withheld). Colours of
    other materials (a scene's full style) have no plane; requests are
    checked against the model's materials where they come in (check_style).
    """
    given = check_style(style)
    values = np.zeros(4 * len(materials), dtype=np.float32)
    for k, name in enumerate(materials):
        if name in given:
            values[4 * k:4 * k + 3] = np.asarray(hex_to_rgb(given[name]), dtype=np.float32) / np.float32(127.5) - 1
            values[4 * k + 3] = 1.0
    return values


def picture_channels(options: Mapping) -> int:
    """The input channels of a Sketch model's entry that are the picture: ``input_nc`` less the
    4 planes of each style material it takes."""
    return int(options.get("input_nc", 3)) - 4 * len(options.get("style") or ())
