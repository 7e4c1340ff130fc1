"""Exceptions raised by the inference package.

Messages of :class:`ImageRejected` and :class:`ModelNotInstalled` are shown to
people verbatim (on the site and in the CLI), so they are written as plain
sentences that say what went wrong and what to do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only, keeps import cheap
    from .registry import ModelSpec


class InferenceError(Exception):
    """Base class of every error the inference package raises on purpose."""


class ImageRejected(InferenceError):
    """An uploaded or given file cannot be used as an image (message is user-facing)."""


class ModelNotInstalled(InferenceError):
    """The weights file of a registered model is not on disk.

    Attributes:
        spec: the :class:`~inference.registry.ModelSpec` whose file is missing.
    """

    def __init__(self, spec: "ModelSpec", message: str | None = None) -> None:
        self.spec = spec
        if message is None:
            message = (
                f"The {spec.title} model is not installed (expected {spec.path}). {spec.install_help}"
            )
        super().__init__(message)


class CheckpointError(InferenceError):
    """A weights file cannot be read, or does not match the network's layout."""


class FetchError(InferenceError):
    """Downloading a model's weights failed (network, checksum or content)."""
