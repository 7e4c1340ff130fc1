"""A Stylize request as one record, and its rendering with whichever network it names.

A blend names one network and a weight per style of it:
- a multi-style net (conditional instance norm): weights per style index, mixed γ/β;
- AdaIN (``adain-decoder``): weights per style image, mixed feature statistics;
- a single fast_neural_style model: no weights, one style.
Styles of different networks cannot be mixed: their blends live in different spaces.

:func:`parse_blend` is torch-free so the web process can validate a request;
:func:`blend_options` turns a blend into the options of
:func:`inference.pipelines.stylize.render`, for previews and full renders alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InferenceError
from ..modelspec import ModelSpec
from .style_options import PRESERVE_COLOUR_MODES, StyleOptions

MAX_STYLES = 16


# The ``arch`` of every style model of its own (the encoders are parts of others).
STYLE_ARCHS = ("single", "multistyle", "adain")


def check_style_model(spec: ModelSpec) -> ModelSpec:
    """``spec`` if it is a style model of its own; InferenceError otherwise (the AdaIN encoder, VGG-16)."""
    if spec.task == "stylize" and spec.arch in STYLE_ARCHS:
        return spec
    raise InferenceError(f"{spec.name!r} is not a style model of its own.")


@dataclass(frozen=True)
class Blend:
    """Which network, which styles with which weights, how strong, and whether to keep the photo's colours.

    Attributes:
        model: registry name of a multi-style net, a fast_neural_style model or an AdaIN decoder.
        weights: (style key, weight) pairs: a style's index (as text) for a multi-style
            net, a style image's id for AdaIN; empty for a single-style model.
        strength: 0 (the photo) .. 1 (full style).
        preserve_colour: "none", "luminance" or "match".
    """

    model: str
    weights: tuple[tuple[str, float], ...] = ()
    strength: float = 1.0
    preserve_colour: str = "none"

    def as_dict(self) -> dict:
        """The JSON form that :func:`parse_blend` reads back (kept with each render for re-runs)."""
        return {"model": self.model, "weights": dict(self.weights), "strength": self.strength,
                "preserve_colour": self.preserve_colour}

    @property
    def style_keys(self) -> list[str]:
        return [key for key, _ in self.weights]


def parse_blend(data: object, spec_of: Callable[[str], ModelSpec]) -> Blend:
    """Validate a blend given as {"model", "weights": {key: w}, "strength", "preserve_colour"}.

    Args:
        data: decoded JSON.
        spec_of: looks a model name up (the tool's check, which also refuses models not installed).

    Raises:
        InferenceError: with a message for people.
    """
    if not isinstance(data, dict):
        raise InferenceError("A blend must be an object with a model and style weights.")
    spec = check_style_model(spec_of(str(data.get("model", ""))))
    arch = spec.arch
    raw = data.get("weights") or {}
    if not isinstance(raw, dict) or len(raw) > MAX_STYLES:
        raise InferenceError(f"Style weights must be an object of at most {MAX_STYLES} styles.")
    weights = []
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1000:
            raise InferenceError(f"The weight of style {key!r} must be a number from 0 upwards.")
        if value > 0:
            weights.append((str(key), float(value)))
    if arch == "multistyle":
        count = len(spec.options.get("styles", ()))
        for key, _ in weights:
            if not key.isdigit() or int(key) >= count:
                raise InferenceError(f"{spec.title} has no style {key!r}.")
    if arch != "single" and not weights:
        raise InferenceError("Give at least one style a weight above zero.")
    if arch == "single":
        weights = []
    strength = data.get("strength", 1.0)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise InferenceError("Strength must be between 0 and 1.")
    preserve = data.get("preserve_colour", "none")
    if preserve not in PRESERVE_COLOUR_MODES:
        raise InferenceError(f"Colour preservation must be one of {', '.join(PRESERVE_COLOUR_MODES)}.")
    return Blend(spec.name, tuple(sorted(weights)), float(strength), preserve)


def blend_options(blend: Blend, nets, statistics: Callable[[str], object], *, max_side: int | None = None,
                  tile: int = 1024) -> StyleOptions:
    """The :class:`StyleOptions` that paint ``blend`` with ``nets`` (for :func:`inference.pipelines.stylize.render`).

    Args:
        blend: from :func:`parse_blend` (or built by the command line).
        nets: :class:`inference.engine.Nets` of ``blend.model``.
        statistics: a style image's AdaIN statistics by its key (AdaIN blends
            only), e.g. :func:`inference.engine.style_statistics`, which caches them.
        max_side: downscale first (previews); None renders at full resolution (tiled when large).
        tile: tile side for large photos; 0 never tiles.

    Raises:
        InferenceError: a style the network does not have.
    """
    arch = nets.spec.arch
    style_weights: tuple[float, ...] = ()
    style_statistics: tuple = ()
    if arch == "multistyle":
        vector = [0.0] * nets.net.n_styles
        for key, weight in blend.weights:
            if not key.isdigit() or int(key) >= len(vector):
                raise InferenceError(f"{nets.spec.title} has no style {key!r}.")
            vector[int(key)] = weight
        style_weights = tuple(vector)
    elif arch == "adain":
        style_statistics = tuple((statistics(key), weight) for key, weight in blend.weights)
    return StyleOptions(strength=blend.strength, preserve_colour=blend.preserve_colour, max_side=max_side,
                        tile=tile, style_weights=style_weights, style_statistics=style_statistics)
