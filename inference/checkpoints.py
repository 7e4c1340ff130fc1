"""Reading weights files safely and loading them strictly.

Files are read fully into memory first, so a FIFO, a pipe or an upload
buffer works as well as a path. Two formats are understood: safetensors and
torch's own (zip since torch 1.6, and the legacy pre-zip ``torch.save``
format that older official releases use), the latter always with
``weights_only=True`` so a malicious pickle cannot run code.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Mapping
from typing import Union

import torch
from torch import Tensor, nn

from .errors import CheckpointError

PathOrBytes = Union[str, os.PathLike, bytes, bytearray, memoryview]

# Wrapper keys used by common training frameworks, most specific first:
# BasicSR / Real-ESRGAN keep the EMA weights under params_ema and the raw ones
# under params; the EMA ones are what the authors evaluate.
_WRAPPER_KEYS = ("state_dict", "params_ema", "params", "model")

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO_2 = b"\x80\x02"  # legacy torch.save starts with a protocol-2 pickle


def read_bytes(path_or_bytes: PathOrBytes) -> bytes:
    """Return the whole content of a path (file, FIFO, ...) or pass bytes through."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(path_or_bytes)
    try:
        with open(path_or_bytes, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CheckpointError(f"Cannot read the weights file {path_or_bytes}: {exc.strerror or exc}.") from None


def looks_like_safetensors(data: bytes) -> bool:
    """Whether ``data`` is a safetensors file, by its header (whatever the file's name)."""
    # safetensors: u64 little-endian header length, then a JSON object.
    if len(data) < 10 or data[:4] == _ZIP_MAGIC or data[:2] == _PICKLE_PROTO_2:
        return False
    header_len = int.from_bytes(data[:8], "little")
    return 2 <= header_len <= len(data) - 8 and data[8:9] == b"{"


def read_state_dict(path_or_bytes: PathOrBytes) -> dict[str, Tensor]:
    """Read a weights file into a flat ``{name: tensor}`` dict on the CPU.

    Accepts safetensors (by extension or by its header) and torch files via
    ``torch.load(..., map_location="cpu", weights_only=True)``, zip or legacy.
    Unwraps ``{"state_dict": ...}``, ``{"params_ema": ...}`` (else
    ``{"params": ...}``), ``{"model": ...}`` and strips a DataParallel
    ``module.`` prefix.

    Args:
        path_or_bytes: a path (also a FIFO or pipe) or the file's bytes.

    Returns:
        Ordered dict of CPU tensors keyed by parameter / buffer name.

    Raises:
        CheckpointError: unreadable file, pickled objects other than tensors,
            or a dict that does not hold tensors.
    """
    data = read_bytes(path_or_bytes)
    name = str(path_or_bytes) if isinstance(path_or_bytes, (str, os.PathLike)) else "the weights file"
    if not data:
        raise CheckpointError(f"{name} is empty.")

    is_safetensors = (
        isinstance(path_or_bytes, (str, os.PathLike)) and str(path_or_bytes).endswith(".safetensors")
    ) or looks_like_safetensors(data)
    if is_safetensors:
        from safetensors import SafetensorError
        from safetensors.torch import load as load_safetensors

        try:
            loaded: object = load_safetensors(data)
        except (SafetensorError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{name} is not a valid safetensors file ({exc}).") from None
    else:
        try:
            loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            # weights_only refuses anything but tensors and plain containers.
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(
                f"{name} contains pickled Python objects other than weights, so it was not loaded "
                f"({first_line})."
            ) from None
        except Exception as exc:  # torch's unpickler fails in many ways on garbage (IndexError, KeyError ...)
            # The unpickler's own words (e.g. "pop from empty list") tell people nothing; they stay on the exception.
            raise CheckpointError(
                f"{name} is not a PyTorch or safetensors weights file (it may be damaged or incomplete)."
            ) from exc

    return _unwrap(loaded, name)


def _unwrap(loaded: object, name: str) -> dict[str, Tensor]:
    state = loaded
    for _ in range(4):  # wrappers can nest, e.g. {"model": {"state_dict": ...}}
        if not isinstance(state, Mapping):
            break
        inner = next((state[k] for k in _WRAPPER_KEYS if isinstance(state.get(k), Mapping)), None)
        if inner is None:
            break
        state = inner
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(f"{name} does not contain a dict of weights (found {type(state).__name__}).")
    not_tensors = [str(k) for k, v in state.items() if not isinstance(v, Tensor)]
    if not_tensors:
        raise CheckpointError(
            f"{name} holds entries that are not tensors: {_few(not_tensors)}."
        )
    keys = [str(k) for k in state]
    if all(k.startswith("module.") for k in keys):
        return {k[len("module."):]: v for k, v in state.items()}
    return {str(k): v for k, v in state.items()}


def _few(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(sorted(keys)[:limit])
    return shown + (f" (and {len(keys) - limit} more)" if len(keys) > limit else "")


def _shape(t: Tensor | torch.Size) -> str:
    return "x".join(str(d) for d in (t.shape if isinstance(t, Tensor) else t)) or "scalar"


def load_strict(net: nn.Module, state_dict: Mapping[str, Tensor]) -> nn.Module:
    """Load weights into ``net`` requiring exactly the same keys and shapes.

    BatchNorm's ``num_batches_tracked`` buffers are filled in when absent
    (released files from before torch 0.4.1 do not have them, and they do not
    influence inference). Any other missing or extra key, or a wrong shape,
    raises a CheckpointError that names a few offending keys.

    Args:
        net: the module to fill, e.g. from ``inference.registry.build_net``.
        state_dict: name -> tensor, as returned by :func:`read_state_dict`.

    Returns:
        ``net`` itself, for chaining.
    """
    expected = net.state_dict()
    sd = dict(state_dict)
    for key, value in expected.items():
        if key.endswith("num_batches_tracked") and key not in sd:
            sd[key] = torch.zeros_like(value)

    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    wrong_shape = [
        f"{k} (file {_shape(sd[k])}, expected {_shape(expected[k])})"
        for k in expected
        if k in sd and tuple(sd[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or wrong_shape:
        problems = []
        if missing:
            problems.append(f"missing keys: {_few(missing)}")
        if unexpected:
            problems.append(f"unexpected keys: {_few(unexpected)}")
        if wrong_shape:
            problems.append(f"wrong shapes: {_few(wrong_shape, 3)}")
        raise CheckpointError(
            f"These weights do not fit the {type(net).__name__} layout; " + "; ".join(problems) + "."
        )
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as exc:  # dtype or other surprises the checks above missed
        raise CheckpointError(f"These weights do not fit the {type(net).__name__} layout: {exc}") from None
    return net
