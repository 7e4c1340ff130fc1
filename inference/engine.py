"""Devices and loaded networks, cached per process.

A worker process loads each model once and keeps it: the cache key includes
the weights file's mtime, so replacing a file (``models fetch`` again) is
picked up on the next call without a restart. CUDA is only touched when a
function here is called, never at import, so importing before a fork is safe.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch
from torch import nn

from .errors import CheckpointError, InferenceError, ModelNotInstalled
from .registry import ModelSpec, net_from_state_dict

# (spec name, resolved weights path, device) -> (mtime_ns, net)
_CACHE: dict[tuple[str, str, str], tuple[int, nn.Module]] = {}
# One lock for loading: two threads asking for the same model at once must
# not both spend seconds and hundreds of MB reading it.
_LOCK = threading.Lock()


def pick_device(preferred: str | None = None) -> torch.device:
    """Choose where to run: ``preferred``, else ``$ATELIER_DEVICE``, else cuda if available, else cpu.

    Raises:
        InferenceError: unknown device name, or CUDA asked for but not available.
    """
    name = preferred or os.environ.get("ATELIER_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise InferenceError(f"Unknown device {name!r}; use 'cpu' or 'cuda' (or 'cuda:N').") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InferenceError("A CUDA device was requested, but no GPU is available to PyTorch here.")
    return device


def load_net(spec: ModelSpec, *, weights: Path | None = None, device: torch.device | str | None = None) -> nn.Module:
    """Return ``spec``'s network with its weights, in eval mode, on ``device``, cached.

    Args:
        spec: the registry entry (its ``arch`` decides the network).
        weights: a weights file to use instead of the installed one.
        device: where to put the net; default :func:`pick_device`.

    Returns:
        The network with gradients disabled; the same object on later calls
        while the weights file is unchanged.

    Raises:
        ModelNotInstalled: the installed file is missing (message has the install command).
        CheckpointError: the given weights file is missing, unreadable or of the wrong layout.
    """
    from .checkpoints import read_state_dict

    device = pick_device(str(device)) if device is not None else pick_device()
    path = Path(weights) if weights is not None else spec.path
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        if weights is None:
            raise ModelNotInstalled(spec) from None
        raise CheckpointError(f"The weights file {path} does not exist.") from None
    key = (spec.name, str(path.resolve()), str(device))

    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        _CACHE.pop(key, None)  # drop a stale copy before loading the new one
        net = net_from_state_dict(spec, read_state_dict(path))
        net.eval().requires_grad_(False)
        net = net.to(device)
        _CACHE[key] = (mtime, net)
        return net


def clear_cache() -> None:
    """Forget every loaded network (and give cached GPU memory back)."""
    with _LOCK:
        _CACHE.clear()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()
