"""What the registry knows about one model: a frozen record per checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    def path(self) -> Path:
        """Where the weights live (evaluated now, so ATELIER_MODELS_DIR changes are seen)."""
        return (BUNDLED_DIR if self.bundled else models_dir()) / self.filename

    @property
    def installed(self) -> bool:
        """Whether the weights file exists."""
        return self.path.is_file()

    @property
    def install_command(self) -> str:
        """The shell command that downloads these weights."""
        return f"python manage.py models fetch {self.name}"

    def hash_matches(self, sha256: str) -> bool:
        """Whether a file's hex sha256 is the published one (full hash, else prefix)."""
        sha256 = sha256.lower()
        if self.sha256:
            return sha256 == self.sha256.lower()
        if self.sha256_prefix:
            return sha256.startswith(self.sha256_prefix.lower())
        return False


