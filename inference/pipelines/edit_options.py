"""Edit's strokes and options, without torch: the web process validates a request cheaply.

:mod:`inference.pipelines.edit` re-exports every name here.

Strokes are in picture coordinates: x, y in [0, 1] from the top-left corner,
radius as a fraction of the picture side, colour as 8-bit RGB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stroke:
    """One brush stroke (or one segment of it, on the live path).

    Attributes:
        points: ((x, y), ...) in [0, 1], the brush's path; one point is a dab.
        colour: (r, g, b), 0-255.
        radius: brush radius as a fraction of the picture side (0.06 is about 4 pixels of 64).
    """

    points: tuple[tuple[float, float], ...]
    colour: tuple[int, int, int]
    radius: float = 0.06

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a stroke needs at least one point")
        for x, y in self.points:
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError("stroke points must be finite numbers")
        if not (math.isfinite(self.radius) and 0.0 < self.radius <= 1.0):
            raise ValueError("the brush radius must be in (0, 1]")
        if len(self.colour) != 3 or any(not 0 <= int(c) <= 255 for c in self.colour):
            raise ValueError("the colour must be three values from 0 to 255")


@dataclass(frozen=True)
class EditOptions:
    """How to edit.

    Attributes:
        strokes: applied in order.
        seed: start from the random face of this seed instead of the photo (None: the photo).
        mix_seed: interpolate the starting latent towards the random face of this seed...
        mix: ... by this much (0 = the start, 1 = that face).
        steps: gradient steps on z per stroke (per segment on the live path).
        step_size: eta of ``z <- z - eta * grad``.
        mask_sigma: the mask's Gaussian blur, in pixels of the 64 x 64 picture.
        mask_gain: the blurred mean absolute difference is multiplied by this ...
        mask_floor: ... after subtracting this (differences below it count as unchanged),
            then clipped to [0, 1].
    """

    strokes: tuple[Stroke, ...] = ()
    seed: int | None = None
    mix_seed: int | None = None
    mix: float = 0.0
    steps: int = 4
    step_size: float = 12.0
    mask_sigma: float = 2.0
    mask_gain: float = 6.0
    mask_floor: float = 0.03


def strokes_from_json(data: Sequence | dict) -> tuple[Stroke, ...]:
    """Strokes from their JSON form: ``[{"points": [[x, y], ...], "colour": "#rrggbb" or [r, g, b], "radius": r}, ...]``.

    Raises:
        ValueError: anything malformed (the message says what).
    """
    if isinstance(data, dict):
        data = data.get("strokes", [])
    if not isinstance(data, (list, tuple)):
        raise ValueError("strokes must be a list")
    strokes = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"stroke {i + 1} must be an object")
        try:
            colour = item["colour"] if "colour" in item else item["color"]
            if isinstance(colour, str):
                text = colour.lstrip("#")
                if len(text) != 6:
                    raise ValueError
                colour = tuple(int(text[k:k + 2], 16) for k in (0, 2, 4))
            points = tuple((float(p[0]), float(p[1])) for p in item["points"])
            if any(len(p) != 2 for p in item["points"]):
                raise ValueError
            strokes.append(Stroke(points, tuple(int(c) for c in colour), float(item.get("radius", 0.06))))
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"stroke {i + 1} needs points [[x, y], ...] and a colour") from exc
        except ValueError as exc:
            raise ValueError(f"stroke {i + 1}: {str(exc) or 'bad colour or point'}") from exc
    return tuple(strokes)


__all__ = ["EditOptions", "Stroke", "strokes_from_json"]
