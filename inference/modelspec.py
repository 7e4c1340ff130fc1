"""What the registry knows about one model: a frozen record per checkpoint.

Where a source publishes a sha256, only the published file is kept under the
catalog's file name; any other file that loads in the right layout (a
fine-tune, another release) is kept as ``<name>.sha256-<first 8 hex><ext>``
beside it, so the file name itself says "not the official file". A file
found under the catalog's name is hashed once per version (:attr:`ModelSpec.state`),
so one copied there by hand is not taken for the published file either. One
file per entry: installing one removes the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import cached_sha256
from .paths import models_dir

BUNDLED_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelSpec:
    """One published checkpoint and what is needed to fetch, check and run it.

    Attributes:
        name: registry key and CLI name, e.g. "eccv16".
        family: network family module in ``inference.nets``, e.g. "colorization".
        task: the tool that uses it, e.g. "colorize".
        arch: which network: the name of a builder in the family module, one per
            published configuration ("eccv16", "unet_256", "unet_small", "single",
            "multistyle", "adain", ...). ``build(spec)`` calls that builder, and the
            tools dispatch on it (Stylize: "single", "multistyle" or "adain").
        title: human name shown in the UI.
        url: official download address.
        filename: file name under :func:`inference.paths.models_dir`.
        sha256: full published sha256, or None when only a prefix is known.
        sha256_prefix: leading hex digits of the sha256 (torch.hub's file
            name convention, e.g. "-9b330a0b.pth"), or None.
        licence: SPDX identifier of the weights' licence.
        input_size: side of the square the network runs at.
        default: whether the tool offers it by default.
        paper: citation of the paper the weights come from.
        description: one or two sentences for the model picker.
        bundled: the weights ship inside the package (``inference/weights``), trained
            by Atelier's own scripts; nothing to download.
        options: family-specific facts the pipeline needs (a label palette,
            a direction, the encoder a decoder pairs with, ...); never the kind of
            network, which is ``arch``.
    """

    name: str
    family: str
    task: str
    arch: str
    title: str
    url: str
    filename: str
    sha256: str | None
    sha256_prefix: str | None
    licence: str
    input_size: int
    default: bool
    paper: str
    description: str
    bundled: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def official_path(self) -> Path:
        """Where the published (or, for a model trained here, the recorded) file lives, installed or not.

        Evaluated now, so ATELIER_MODELS_DIR changes are seen.
        """
        return (BUNDLED_DIR if self.bundled else models_dir()) / self.filename

    def own_hash_path(self, sha256: str, suffix: str) -> Path:
        """Where a file that is not the published one is kept: named after the entry and its own hash, with
        the suffix of its own format (".pth" or ".safetensors", which need not be the published file's)."""
        return self.official_path.with_name(f"{self.name}.sha256-{sha256[:8].lower()}{suffix}")

    def own_hash_files(self) -> list[Path]:
        """This entry's files kept under their own hash (normally none or one)."""
        folder = self.official_path.parent
        pattern = re.compile(rf"{re.escape(self.name)}\.sha256-[0-9a-f]{{8}}\.(pth|safetensors)")
        try:
            return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file())
        except FileNotFoundError:
            return []

    @property
    def path(self) -> Path:
        """The weights file to load: the published file if present, else one kept under its own hash,
        else where the published file would go (so "expected <path>" messages name it)."""
        official = self.official_path
        if official.is_file():
            return official
        own = self.own_hash_files()
        return own[-1] if own else official

    @property
    def installed(self) -> bool:
        """Whether a weights file for this entry exists (the published one or another)."""
        return self.path.is_file()

    @property
    def has_published_hash(self) -> bool:
        return bool(self.sha256 or self.sha256_prefix)

    @property
    def state(self) -> str:
        """"missing"; "official" (the published file); "not official" (a file whose hash differs from the
        published one); or "installed" (no hash is published to compare).

        A file under the catalog's name is hashed too (once per file version, :func:`cached_sha256`):
        one copied there by hand is not taken for the published file.
        """
        path = self.path
        if not path.is_file():
            return "missing"
        if path != self.official_path:
            return "not official"
        if not self.has_published_hash:
            return "installed"
        try:
            return "official" if self.hash_matches(cached_sha256(path)) else "not official"
        except OSError:  # removed meanwhile
            return "missing"

    @property
    def state_label(self) -> str:
        """The state in words, the same on every page and in ``models list``."""
        return STATE_LABELS[self.state]

    @property
    def install_command(self) -> str:
        """The shell command that downloads these weights."""
        return f"python manage.py models fetch {self.name}"

    @property
    def import_command(self) -> str:
        """The shell command that installs a file downloaded by hand."""
        return f"python manage.py models import {self.name} FILE"

    @property
    def install_help(self) -> str:
        """How to install this model, both ways: see :func:`install_help`."""
        return install_help([self])

    def hash_matches(self, sha256: str) -> bool:
        """Whether a file's hex sha256 is the published one (full hash, else prefix)."""
        sha256 = sha256.lower()
        if self.sha256:
            return sha256 == self.sha256.lower()
        if self.sha256_prefix:
            return sha256.startswith(self.sha256_prefix.lower())
        return False


STATE_LABELS = {
    "missing": "not installed",
    "official": "installed, the official file",
    "not official": "installed, not the official file",
    "installed": "installed",
}


def install_help(specs: Iterable[ModelSpec]) -> str:
    """The sentence every "not installed" message ends with: the fetch command, and for a machine
    without network the file's address and the import command (the Models page takes the same file).

    E.g. "Install it with: python manage.py models fetch eccv16 — or, without network, download
    https://.../colorization_release_v2-9b330a0b.pth and run: python manage.py models import eccv16 FILE".
    """
    specs = list(specs)
    fetchable = [s for s in specs if s.url]
    steps = []
    for spec in specs:
        if not spec.url:  # bundled or trained here: nothing to download, a file in its layout can be imported
            steps.append(f"install a weights file in its layout with: {spec.import_command}")
            continue
        member = spec.options.get("archive_member")
        source = f"download {spec.url}" + (f", take {member} out of that zip archive" if member else "")
        steps.append(f"{source} and run: {spec.import_command}")
    if not fetchable:
        text = "; ".join(steps)
        return text[0].upper() + text[1:] + "."
    return (f"Install {'it' if len(specs) == 1 else 'them'} with: python manage.py models fetch "
            + " ".join(s.name for s in fetchable) + " — or, without network, " + "; ".join(steps) + ".")
