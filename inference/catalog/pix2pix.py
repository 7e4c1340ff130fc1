"""pix2pix models: filled in by the pix2pix work."""

from ..modelspec import ModelSpec

SPECS: tuple[ModelSpec, ...] = ()
