"""Models trained on this machine (``manage.py train ...``), kept beside the weights.

``<models dir>/local-models.json`` holds one ModelSpec per trained model, so a
trained model appears in the registry, the model pickers and the CLI exactly
like a published one.
"""

import dataclasses
import json
import os
import tempfile
from pathlib import Path

from ..modelspec import ModelSpec
from ..paths import models_dir


def _catalog_path() -> Path:
    return models_dir() / "local-models.json"


def local_specs() -> list[ModelSpec]:
    """The locally trained models recorded in the models directory (none if there is no file)."""
    try:
        records = json.loads(_catalog_path().read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # a damaged catalog must not stop the studio from starting
    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    return [ModelSpec(**{k: v for k, v in record.items() if k in fields}) for record in records]


def register_local(spec: ModelSpec) -> None:
    """Add or replace ``spec`` in the local catalog (written atomically)."""
    records = [dataclasses.asdict(s) for s in local_specs() if s.name != spec.name]
    records.append(dataclasses.asdict(spec))
    path = _catalog_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".local-models.", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(records, fh, indent=2)
    os.replace(tmp, path)
