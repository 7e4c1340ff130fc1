"""The model registry: which published checkpoints Atelier knows, as data.

Importing this module is cheap (no torch): the web process lists models and
checks whether they are installed without loading any network. Functions
that need torch (fetch, import_file, verify, build_net) import it lazily.
"""

from __future__ import annotations

import hashlib
import importlib
import http.client
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .catalog import published_specs
from .catalog.local import local_specs
from .errors import CheckpointError, FetchError, InferenceError
from .files import open_atomically, write_atomically
from .modelspec import ModelSpec, install_help

__all__ = ["ModelSpec", "REGISTRY", "all_models", "get_spec", "specs_for_task", "build_net",
           "net_from_state_dict", "fetch", "import_file", "verify", "Verification", "install_help", "FetchError"]

# Published and bundled models, gathered from the family catalogs (data, not code paths).
REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in published_specs()}


def all_models() -> list[ModelSpec]:
    """Published and bundled models, then those trained on this machine (read now, not at import)."""
    return list(REGISTRY.values()) + [s for s in local_specs() if s.name not in REGISTRY]



if TYPE_CHECKING:  # pragma: no cover
    from torch import nn


def get_spec(name: str) -> ModelSpec:
    """Return the registered model called ``name``.

    Raises:
        InferenceError: unknown name; the message lists the known ones.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    models = {s.name: s for s in all_models()}
    if name in models:
        return models[name]
    raise InferenceError(f"There is no model called {name!r}; known models: {', '.join(sorted(models))}.")


def specs_for_task(task: str) -> list[ModelSpec]:
    """Return the models serving a tool ("colorize", ...), defaults first, then by name."""
    return sorted((s for s in all_models() if s.task == task), key=lambda s: (not s.default, s.name))


def _family(spec: ModelSpec):
    """The ``inference.nets`` module of a spec's family, imported on first use (it needs torch)."""
    try:
        return importlib.import_module(f"inference.nets.{spec.family}")
    except ModuleNotFoundError:
        raise InferenceError(f"No network family {spec.family!r} for model {spec.name!r}.") from None


def build_net(spec: ModelSpec) -> "nn.Module":
    """Build the network for ``spec`` with random weights, in the official layout.

    Each family module in ``inference.nets`` provides ``build(spec)``.
    """
    return _family(spec).build(spec)


def net_from_state_dict(spec: ModelSpec, state_dict) -> "nn.Module":
    """A network for ``spec`` holding ``state_dict``, loaded strictly.

    A family whose checkpoints vary in shape or key layout provides
    ``from_state_dict(spec, state_dict)`` (remapping keys, reading depth and
    width from tensor shapes); the others are built and loaded as they are.
    """
    family = _family(spec)
    if hasattr(family, "from_state_dict"):
        return family.from_state_dict(spec, state_dict)
    from .checkpoints import load_strict

    return load_strict(family.build(spec), state_dict)


def _check_loads(spec: ModelSpec, data: bytes) -> None:
    """Raise CheckpointError unless ``data`` loads strictly into ``spec``'s network."""
    from .checkpoints import read_state_dict

    net_from_state_dict(spec, read_state_dict(data))


def _install_bytes(spec: ModelSpec, data: bytes, sha256: str) -> Path:
    """Write ``data`` as ``spec``'s one file, atomically and durably: readers never see a half-written file.

    The published file (or any file, where no hash is published) goes under
    the catalog's name; another file under its own hash
    (:meth:`ModelSpec.own_hash_path`). The entry's previous file is removed
    only once the new one is in place.
    """
    from .checkpoints import looks_like_safetensors

    official = spec.hash_matches(sha256) or not spec.has_published_hash
    suffix = ".safetensors" if looks_like_safetensors(data) else ".pth"  # read_state_dict goes by the suffix
    target = spec.official_path if official else spec.own_hash_path(sha256, suffix)
    write_atomically(target, data, durable=True)
    _remove_others(spec, keep=target)
    return target


def _remove_others(spec: ModelSpec, keep: Path) -> None:
    for other in [spec.official_path, *spec.own_hash_files()]:
        if other != keep:
            other.unlink(missing_ok=True)


def fetch(spec: ModelSpec, *, progress: bool = True, timeout: float = 30) -> Path:
    """Download a model's weights into place, checking hash and layout first.

    Streams into a temporary file beside the target (:func:`open_atomically`)
    with a tqdm progress bar, takes ``spec.options["archive_member"]`` out of
    the download when the URL is a zip archive, checks the sha256 (full or
    published prefix; of the member for an archive) and that the file loads
    strictly into the network, and only then renames it into place, so an
    interrupted or refused download never leaves a file that looks installed.

    Args:
        spec: the model to fetch.
        progress: show a progress bar on stderr.
        timeout: seconds to wait on each network operation.

    Returns:
        The installed path (``spec.official_path``: only a file that passed the hash check is fetched).

    Raises:
        FetchError: network failure, checksum mismatch or unusable content.
    """
    target = spec.official_path
    member = spec.options.get("archive_member")
    try:
        with open_atomically(target, durable=True) as out:
            if member:  # the weights are one file inside a downloaded zip; hashes refer to that file
                with tempfile.TemporaryFile(dir=target.parent) as archive:
                    _download(spec, archive, progress=progress, timeout=timeout)
                    data = _archive_member(spec, archive, member)
                out.write(data)
            else:
                _download(spec, out, progress=progress, timeout=timeout)
                out.seek(0)
                data = out.read()
            _check_download(spec, data)
    except OSError as exc:
        raise FetchError(f"Could not save {spec.title} to {target.parent}: {exc.strerror or exc}.") from None
    _remove_others(spec, keep=target)  # a file imported before is replaced by the published one
    return target


def _download(spec: ModelSpec, out, *, progress: bool, timeout: float) -> None:
    """Stream ``spec.url`` into the open binary file ``out`` (FetchError on any network failure)."""
    from tqdm import tqdm

    request = urllib.request.Request(spec.url, headers={"User-Agent": "atelier-model-fetch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=spec.name, disable=not progress
            ) as bar:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        raise FetchError(
            f"Could not download {spec.title}: the server answered {exc.code} {exc.reason} for {spec.url}."
        ) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"Could not download {spec.title} from {spec.url} ({reason}). Check the network connection "
            f"and try again, or download the file by hand and run: {spec.import_command}"
        ) from None


def _check_download(spec: ModelSpec, data: bytes) -> None:
    """FetchError unless ``data`` is the published file (where a hash is known) and loads into the network."""
    sha = hashlib.sha256(data).hexdigest()
    if (spec.sha256 or spec.sha256_prefix) and not spec.hash_matches(sha):
        expected = spec.sha256 or f"{spec.sha256_prefix}..."
        raise FetchError(
            f"The downloaded {spec.title} file is not the published one (sha256 {sha[:16]}..., "
            f"expected {expected}); it may be damaged or the server may have changed it. Try again."
        )
    try:
        _check_loads(spec, data)
    except CheckpointError as exc:
        raise FetchError(f"The downloaded {spec.title} file cannot be used: {exc}") from None


def _archive_member(spec: ModelSpec, archive, member: str) -> bytes:
    """The bytes of ``member`` in the downloaded zip ``archive``, a file object (FetchError if absent or not a zip)."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            return bundle.read(member)
    except KeyError:
        problem = f"it has no {member}"
    except (zipfile.BadZipFile, OSError) as exc:
        problem = f"it is not a readable zip archive ({exc})"
    raise FetchError(f"The archive downloaded for {spec.title} from {spec.url} cannot be used: {problem}.")


def import_file(spec: ModelSpec, source: Path) -> tuple[Path, bool]:
    """Install a weights file obtained by hand (or fine-tuned) as ``spec``'s weights.

    The file is read once (so a FIFO works), checked to load strictly into
    the family layout, and written into place atomically: under the
    catalog's name when it is the published file (or no hash is published),
    else under its own hash, so it shows as "installed, not the official
    file" (:attr:`ModelSpec.state`).

    Args:
        spec: the registry entry whose architecture the file must fit.
        source: the file to import.

    Returns:
        (installed path, whether the sha256 matches the published file), so
        a caller can warn when it is not the official release.

    Raises:
        CheckpointError: unreadable file or a layout that does not fit.
    """
    from .checkpoints import read_bytes

    data = read_bytes(source)
    _check_loads(spec, data)
    sha = hashlib.sha256(data).hexdigest()
    return _install_bytes(spec, data, sha), spec.hash_matches(sha)


class Verification(NamedTuple):
    """What ``models verify`` found for one entry.

    Attributes:
        ok: the entry is usable: a file is installed and loads (official or not).
        state: "official", "not official", "installed" (no published hash), "missing" or "broken".
        message: a sentence for people.
    """

    ok: bool
    state: str
    message: str


def verify(spec: ModelSpec) -> Verification:
    """Check an installed model: present, loadable, and whether it is the published file.

    A file that loads but differs from the published hash is reported as
    "installed, not the official file", not as a failure: that is what an
    imported fine-tune is. Only a missing or unloadable file is not ok.

    Returns:
        A :class:`Verification`, e.g. (False, "missing", "eccv16: not installed
        (...). Install it with: python manage.py models fetch eccv16 — or, without network, ...").
    """
    from .checkpoints import read_bytes

    if not spec.installed:
        return Verification(False, "missing", f"{spec.name}: not installed ({spec.path}). {spec.install_help}")
    path = spec.path
    try:
        data = read_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        _check_loads(spec, data)
    except CheckpointError as exc:
        return Verification(False, "broken", f"{spec.name}: {path} does not load: {exc} Reinstall it. "
                                             f"{spec.install_help}")
    if not spec.has_published_hash:
        return Verification(True, "installed", f"{spec.name}: OK, loads fine (sha256 {sha[:16]}...; "
                                               f"no published hash to compare).")
    if not spec.hash_matches(sha):
        expected = spec.sha256 or f"{spec.sha256_prefix}..."
        note = "" if path != spec.official_path else (
            " It is stored under the published file's name; import it again to keep it under its own hash.")
        return Verification(True, "not official", (
            f"{spec.name}: installed, not the official file: loads, but its sha256 ({sha[:16]}...) differs "
            f"from the published file ({expected}).{note} For the official file: {spec.install_command}"))
    return Verification(True, "official", f"{spec.name}: OK, the official file, loads fine (sha256 {sha[:16]}...).")
