"""A Stylize request as one record, and its rendering with whichever network it names.

A blend names one network and a weight per style of it:
- a multi-style net (conditional instance norm): weights per style index, mixed γ/β;
- AdaIN (``adain-decoder``): weights per style image, mixed feature statistics;
- a single fast_neural_style model: no weights, one style.
Styles of different networks cannot be mixed: their blends live in different spaces.

:func:`parse_blend` is torch-free so the web process can validate a request;
:func:`render_blend` runs in the worker, for previews and full renders alike.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from ..errors import InferenceError
from ..modelspec import ModelSpec
from .style_options import PRESERVE_COLOUR_MODES, StyleOptions

MAX_STYLES = 16


def engine_of(spec: ModelSpec) -> str:
    """"multistyle", "single" or "adain": how a stylize model blends its styles.

    Raises InferenceError for models that are parts of others (the AdaIN encoder) or not style models.
    """
    mode = spec.options.get("mode") or ("multistyle" if spec.arch == "multistyle" else None)
    if spec.task == "stylize" and mode in ("multistyle", "single", "adain"):
        return mode
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
    spec = spec_of(str(data.get("model", "")))
    engine = engine_of(spec)
    raw = data.get("weights") or {}
    if not isinstance(raw, dict) or len(raw) > MAX_STYLES:
        raise InferenceError(f"Style weights must be an object of at most {MAX_STYLES} styles.")
    weights = []
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1000:
            raise InferenceError(f"The weight of style {key!r} must be a number from 0 upwards.")
        if value > 0:
            weights.append((str(key), float(value)))
    if engine == "multistyle":
        count = len(spec.options.get("styles", ()))
        for key, _ in weights:
            if not key.isdigit() or int(key) >= count:
                raise InferenceError(f"{spec.title} has no style {key!r}.")
    if engine != "single" and not weights:
        raise InferenceError("Give at least one style a weight above zero.")
    if engine == "single":
        weights = []
    strength = data.get("strength", 1.0)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise InferenceError("Strength must be between 0 and 1.")
    preserve = data.get("preserve_colour", "none")
    if preserve not in PRESERVE_COLOUR_MODES:
        raise InferenceError(f"Colour preservation must be one of {', '.join(PRESERVE_COLOUR_MODES)}.")
    return Blend(spec.name, tuple(sorted(weights)), float(strength), preserve)


# AdaIN statistics per style image: a forward pass saved on every preview after the first.
_STATISTICS: OrderedDict = OrderedDict()
_STATISTICS_LOCK = threading.Lock()
_STATISTICS_SIZE = 256


def _cached_statistics(key: str, encoder, load: Callable[[], Image.Image]):
    from .stylize import style_statistics

    with _STATISTICS_LOCK:
        if key in _STATISTICS:
            _STATISTICS.move_to_end(key)
            return _STATISTICS[key]
    stats = style_statistics(encoder, load())
    with _STATISTICS_LOCK:
        _STATISTICS[key] = stats
        while len(_STATISTICS) > _STATISTICS_SIZE:
            _STATISTICS.popitem(last=False)
    return stats


def render_blend(image: Image.Image, blend: Blend, *, style_image: Callable[[str], Image.Image] | None = None,
                 max_side: int | None = None, tile: int = 1024, progress=None) -> Image.Image:
    """Stylise ``image`` with ``blend``: the one entry point of previews and full renders.

    Args:
        image: the photo, any mode and size.
        blend: from :func:`parse_blend`.
        style_image: loads an AdaIN style image by its key (AdaIN blends only); its
            statistics are computed once per key and cached.
        max_side: downscale first (previews); None renders at full resolution (tiled when large).
        progress: optional ``(fraction, stage)`` callback; may raise to cancel.
    """
    from ..engine import load_net
    from ..registry import get_spec
    from .stylize import stylize_adain, stylize_multistyle, stylize_transformer

    spec = get_spec(blend.model)
    options = StyleOptions(strength=blend.strength, preserve_colour=blend.preserve_colour, max_side=max_side,
                           tile=tile)
    engine = engine_of(spec)
    if engine == "single":
        return stylize_transformer(image, load_net(spec), options, progress=progress)
    if engine == "multistyle":
        vector = [0.0] * len(spec.options.get("styles", ()))
        for key, weight in blend.weights:
            vector[int(key)] = weight
        return stylize_multistyle(image, load_net(spec), vector, options, progress=progress)
    if style_image is None:
        raise InferenceError("An AdaIN blend needs its style images.")
    encoder = load_net(get_spec(spec.options.get("encoder", "adain-vgg")))
    decoder = load_net(spec)
    styles = [(_cached_statistics(f"{spec.options.get('encoder', 'adain-vgg')}:{key}", encoder,
                                  lambda key=key: style_image(key)), weight)
              for key, weight in blend.weights]
    return stylize_adain(image, encoder, decoder, styles, options, progress=progress)
