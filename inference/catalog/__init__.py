"""Model catalogs, one module per tool, plus the models trained here.

Each module holds a ``SPECS`` tuple of ModelSpec records (no torch, so the web
process can read them cheaply) for the network families one tool runs:
``colorization`` (Colorize: the colorization family), ``pix2pix`` (Sketch: the
pix2pix family), ``stylize`` (Stylize: the transformer_net, adain and vgg
families, which work together) and ``edit`` (Edit: the npe family). A record's ``family`` names its module in
:mod:`inference.nets` and its ``arch`` the builder there. Locally trained
models are recorded in ``<models dir>/local-models.json`` by
:mod:`inference.catalog.local`.
"""

import importlib

from ..modelspec import ModelSpec

# catalog module per tool
CATALOGS = ("colorization", "pix2pix", "stylize", "upscale", "edit")


def published_specs() -> list[ModelSpec]:
    """Every published or bundled model, in catalog order."""
    specs: list[ModelSpec] = []
    for catalog in CATALOGS:
        specs.extend(importlib.import_module(f"{__name__}.{catalog}").SPECS)
    return specs


def all_specs() -> list[ModelSpec]:
    """Published and bundled models, then the ones trained on this machine."""
    from .local import local_specs

    return published_specs() + local_specs()
