"""Where Atelier keeps its data on disk.

Both functions read the environment at call time, not at import time, so
tests and long-lived processes see changes to ``ATELIER_DATA_DIR`` and
``ATELIER_MODELS_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

# The repository root is the parent of the ``inference`` package directory.
_REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return the data directory: ``$ATELIER_DATA_DIR``, else ``<repo root>/var``."""
    value = os.environ.get("ATELIER_DATA_DIR")
    return Path(value).expanduser() if value else _REPO_ROOT / "var"


def models_dir() -> Path:
    """Return the model weights directory: ``$ATELIER_MODELS_DIR``, else ``data_dir()/models``."""
    value = os.environ.get("ATELIER_MODELS_DIR")
    return Path(value).expanduser() if value else data_dir() / "models"
