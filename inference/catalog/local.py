"""Models trained on this machine (``manage.py train ...``), kept beside the weights.

``<models dir>/local-models.json`` holds one ModelSpec per trained model, so a
trained model appears in the registry, the model pickers and the CLI exactly
like a published one. :func:`install_trained` is the one way in: it builds
the record (:func:`trained_spec`), writes the files and records it.
"""

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import write_atomically
from ..modelspec import ModelSpec
from ..paths import models_dir


def _catalog_path() -> Path:
    return models_dir() / "local-models.json"


# Names older records (and older trainers) used for the network, per family.
_OLD_ARCH = {("adain", "decoder"): "adain", ("adain", "encoder"): "normalised_vgg19"}


def _current(record: dict) -> dict:
    """A record written by an older Atelier, read as today's fields.

    Older records kept the kind of style network twice (``arch`` and
    ``options["mode"]``) and called the AdaIN decoder "decoder"; ``arch``
    alone says it now.
    """
    options = dict(record.get("options") or {})
    mode = options.pop("mode", None)
    arch = record.get("arch") or mode
    arch = _OLD_ARCH.get((record.get("family"), arch), arch)
    return {**record, "arch": arch, "options": options}


# (path, inode, mtime, size) of the catalog last read -> its specs. The live worker looks a model up for
# every frame; the file changes only when a model is trained or removed.
_read: tuple[tuple, list[ModelSpec]] = ((), [])


def local_specs() -> list[ModelSpec]:
    """The locally trained models recorded in the models directory (none if there is no file)."""
    global _read
    path = _catalog_path()
    try:
        stat = path.stat()
    except OSError:
        return []
    key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)  # an atomic rewrite is a new inode
    if _read[0] == key:
        return list(_read[1])
    specs = _parse(path)
    _read = (key, specs)
    return list(specs)


def _parse(path: Path) -> list[ModelSpec]:
    try:
        records = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # a damaged catalog must not stop the studio from starting
    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    specs = []
    for record in records:
        try:
            specs.append(ModelSpec(**{k: v for k, v in _current(record).items() if k in fields}))
        except (TypeError, AttributeError):
            continue  # one damaged record hides that model, not the others
    return specs


def register_local(spec: ModelSpec) -> None:
    """Add or replace ``spec`` in the local catalog (written atomically, in today's fields)."""
    records = [dataclasses.asdict(s) for s in local_specs() if s.name != spec.name]
    records.append(_current(dataclasses.asdict(spec)))
    write_atomically(_catalog_path(), json.dumps(records, indent=2).encode(), durable=True)


def trained_spec(name: str, sha256: str, facts: Mapping[str, Any]) -> ModelSpec:
    """The registry record of a model trained here, from what its trainer knows.

    Args:
        name: registry name; the weights are ``<name>.safetensors``.
        sha256: of the weights file.
        facts: ModelSpec fields the trainer supplies (family, task, arch,
            title, input_size, paper, description, options); the rest are
            the same for every trained model.
    """
    return ModelSpec(**{
        "title": name, "url": "", "licence": "NOASSERTION", "default": False, "sha256_prefix": None,
        "description": "Trained on this machine.", **facts,
        "name": name, "filename": f"{name}.safetensors", "sha256": sha256,
    })


def install_trained(name: str, weights: bytes, facts: Mapping[str, Any],
                    files: Mapping[str, bytes] | None = None) -> ModelSpec:
    """Install a trained model: check it loads, write its files, record it in the local catalog.

    Args:
        name: registry name.
        weights: the weights as safetensors bytes.
        facts: see :func:`trained_spec`.
        files: further files (e.g. style thumbnails), by path relative to the
            models directory.

    Raises:
        CheckpointError: the weights do not load into the network the facts
            describe (nothing is written then).
    """
    from ..checkpoints import read_state_dict
    from ..registry import net_from_state_dict

    spec = trained_spec(name, hashlib.sha256(weights).hexdigest(), facts)
    net_from_state_dict(spec, read_state_dict(weights))
    for relative, data in (files or {}).items():
        write_atomically(models_dir() / relative, data)
    write_atomically(spec.path, weights, durable=True)
    register_local(spec)
    return spec
