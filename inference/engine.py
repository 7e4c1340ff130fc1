"""Devices, loaded networks and what is computed once from them, cached per process.

A worker process loads each model once and keeps it: the cache key includes
the weights file's mtime, so replacing a file (``models fetch`` again) is
picked up on the next call without a restart. CUDA is only touched when a
function here is called, never at import, so importing before a fork is safe.

The pipelines (:mod:`inference.pipelines`) hold no state: every cache lives
here (networks, AdaIN style statistics), and :func:`load_nets` gives a
pipeline the networks one model needs.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor, nn

from .errors import CheckpointError, InferenceError, ModelNotInstalled
from .registry import ModelSpec, get_spec, net_from_state_dict

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
    with _STATISTICS_LOCK:
        _STATISTICS.clear()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


@dataclass(frozen=True)
class Nets:
    """The networks one model runs with, as a pipeline's ``render`` takes them.

    Attributes:
        spec: the model's registry entry (input size, palette, styles, ``arch``).
        net: its network, eval mode, no gradients.
        encoder: AdaIN only: the encoder its decoder was trained with.
        encoder_spec: the encoder's registry entry (AdaIN only).
    """

    spec: ModelSpec
    net: nn.Module
    encoder: nn.Module | None = None
    encoder_spec: ModelSpec | None = None


def load_nets(spec: ModelSpec, *, weights: Path | None = None, encoder_weights: Path | None = None,
              device: torch.device | str | None = None) -> Nets:
    """The networks ``spec`` needs, loaded (cached) on ``device``: for an AdaIN decoder, its encoder too.

    Args:
        spec: the model.
        weights: a file to use instead of the installed model's.
        encoder_weights: AdaIN: a file instead of the installed encoder (``spec.options["encoder"]``).
        device: as :func:`load_net`.

    Raises:
        ModelNotInstalled, CheckpointError: as :func:`load_net`, for either network.
    """
    device = pick_device(str(device)) if device is not None else pick_device()
    net = load_net(spec, weights=weights, device=device)
    if spec.family == "pix2pix":
        from .nets.pix2pix import entry_for_net

        return Nets(entry_for_net(spec, net), net)
    if spec.arch != "adain":
        return Nets(spec, net)
    encoder_spec = get_spec(spec.options.get("encoder", "adain-vgg"))
    encoder = load_net(encoder_spec, weights=encoder_weights, device=device)
    return Nets(spec, net, encoder, encoder_spec)


# AdaIN statistics per (encoder, style image, size): a forward pass saved on every preview after the first.
_STATISTICS: OrderedDict[tuple[str, int, str, int | None], tuple[Tensor, Tensor]] = OrderedDict()
_STATISTICS_LOCK = threading.Lock()
_STATISTICS_SIZE = 256


def style_statistics(nets: Nets, key: str, load: Callable[[], Image.Image], *,
                     max_side: int | None = 512) -> tuple[Tensor, Tensor]:
    """A style image's AdaIN statistics under ``nets.encoder``, computed once per key and kept (LRU, 256).

    Args:
        nets: from :func:`load_nets` for an AdaIN model.
        key: names the style image for as long as it exists (its id, or its path).
        load: reads the style image; called only when the statistics are not cached.
        max_side: as :func:`inference.pipelines.stylize.style_statistics`.

    Returns:
        (mean, std), each (512,) float32 on the CPU.
    """
    from .pipelines.stylize import style_statistics as compute

    if nets.encoder is None or nets.encoder_spec is None:
        raise InferenceError(f"{nets.spec.title} takes no style images.")
    # id(): another weights file for the same encoder (a new file, --encoder) is another network.
    cache_key = (nets.encoder_spec.name, id(nets.encoder), key, max_side)
    with _STATISTICS_LOCK:
        if cache_key in _STATISTICS:
            _STATISTICS.move_to_end(cache_key)
            return _STATISTICS[cache_key]
    statistics = compute(nets.encoder, load(), max_side=max_side)
    with _STATISTICS_LOCK:
        _STATISTICS[cache_key] = statistics
        while len(_STATISTICS) > _STATISTICS_SIZE:
            _STATISTICS.popitem(last=False)
    return statistics
