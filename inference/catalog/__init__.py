"""Model catalogs, one module per network family, plus the models trained here.

Each family module holds a ``SPECS`` tuple of ModelSpec records (no torch, so
the web process can read them cheaply). Locally trained models are recorded in
``<models dir>/local-models.json`` by :mod:`inference.catalog.local`.
"""

import importlib

from ..modelspec import ModelSpec

FAMILIES = ("colorization", "pix2pix", "stylize")


def published_specs() -> list[ModelSpec]:
    """Every published or bundled model, in family order."""
    specs: list[ModelSpec] = []
    for family in FAMILIES:
        specs.extend(importlib.import_module(f"{__name__}.{family}").SPECS)
    return specs


def all_specs() -> list[ModelSpec]:
    """Published and bundled models, then the ones trained on this machine."""
    from .local import local_specs

    return published_specs() + local_specs()
