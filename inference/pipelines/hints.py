"""Colour hints for the Colorize tool, parsed from the browser's JSON.

Kept free of torch so the web process can validate a request's hints
without loading torch; ``inference.pipelines.colorize`` re-exports both names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InferenceError

MAX_HINTS = 256
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Hint:
    """A colour the user wants at one point of the photo.

    Attributes:
        x: horizontal position relative to the ORIGINAL image, 0 (left) .. 1 (right).
        y: vertical position, 0 (top) .. 1 (bottom).
        rgb: the colour as 8-bit sRGB.
    """

    x: float
    y: float
    rgb: tuple[int, int, int]

    def as_dict(self) -> dict:
        """The JSON form that ``parse_hints`` reads back."""
        return {"x": self.x, "y": self.y, "color": "#{:02x}{:02x}{:02x}".format(*self.rgb)}


def _coordinate(item: dict, axis: str, index: int) -> float:
    value = item.get(axis)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InferenceError(f"Colour hint {index + 1}: '{axis}' must be a number between 0 and 1.")
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InferenceError(
            f"Colour hint {index + 1}: '{axis}' is {value:g}, but it must be between 0 and 1 "
            "(a fraction of the image's width or height)."
        )
    return value


def parse_hints(data: Any) -> list[Hint]:
    """Validate hints given as ``[{"x": 0.5, "y": 0.25, "color": "#ff0000"}, ...]``.

    Args:
        data: the decoded JSON list (None is read as no hints).

    Returns:
        The hints in order.

    Raises:
        InferenceError: with a message naming the bad hint and what is wrong.
    """
    if data is None:
        return []
    if not isinstance(data, list):
        raise InferenceError("Colour hints must be a list of {x, y, color} objects.")
    if len(data) > MAX_HINTS:
        raise InferenceError(f"There are {len(data)} colour hints; the limit is {MAX_HINTS}.")
    hints = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InferenceError(f"Colour hint {index + 1} must be an object with x, y and color.")
        x = _coordinate(item, "x", index)
        y = _coordinate(item, "y", index)
        colour = item.get("color")
        if not isinstance(colour, str) or not _HEX_COLOUR.fullmatch(colour.strip()):
            raise InferenceError(
                f"Colour hint {index + 1}: 'color' must look like \"#rrggbb\" (for example \"#c0392b\")."
            )
        colour = colour.strip()
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        hints.append(Hint(x=x, y=y, rgb=rgb))
    return hints
