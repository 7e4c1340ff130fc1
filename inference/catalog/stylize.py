"""stylize models: filled in by the stylize work."""

from ..modelspec import ModelSpec

SPECS: tuple[ModelSpec, ...] = ()
