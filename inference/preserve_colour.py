"""Keeping a photo's colours in a stylised picture (Gatys, Bethge, Hertzmann, Shechtman 2016).

"Preserving Color in Neural Artistic Style Transfer" gives two ways, both
applied here to the network's output rather than its inputs, so they work
the same for every style model (a multi-style net cannot recolour its
training styles):

* luminance only: take the stylised picture's luminance Y and the photo's
  chroma (I, Q in YIQ), i.e. only brush strokes and texture are transferred;
* colour matching: an affine map of the stylised RGB whose result has the
  photo's mean colour and RGB covariance (``x' = A (x - mu_s) + mu_p`` with
  ``A = Sigma_p^(1/2) Sigma_s^(-1/2)``), the paper's "colour histogram
  matching" in its linear form.

Tensors are (N, 3, H, W) RGB in [0, 1]; statistics are accumulated in
float64 over chunks of pixels, so 12-megapixel pictures cost no more than a
few extra planes of memory.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .pipelines.style_options import PRESERVE_COLOUR_MODES as MODES

# NTSC YIQ, the colour space Gatys et al. use for luminance-only transfer.
_YIQ_FROM_RGB = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=torch.float64
)
_RGB_FROM_YIQ = torch.linalg.inv(_YIQ_FROM_RGB)

_CHUNK_PIXELS = 1 << 20
_EPS = 1e-5  # regularises near-singular colour covariances (flat or grey pictures)


def _apply_matrix(matrix: Tensor, x: Tensor, offset: Tensor | None = None) -> Tensor:
    """``matrix @ pixel (+ offset)`` for every pixel of (N, 3, H, W), matrix (3, 3) or (N, 3, 3)."""
    m = matrix.to(x.dtype).to(x.device)
    m = m.expand(x.shape[0], 3, 3) if m.dim() == 2 else m
    out = torch.einsum("nij,njhw->nihw", m, x)
    if offset is not None:
        out = out + offset.to(x).view(x.shape[0], 3, 1, 1)
    return out


def rgb_to_yiq(rgb: Tensor) -> Tensor:
    """(N, 3, H, W) RGB -> YIQ (Y in [0, 1], I and Q roughly in [-0.6, 0.6])."""
    return _apply_matrix(_YIQ_FROM_RGB, rgb)


def yiq_to_rgb(yiq: Tensor) -> Tensor:
    """Inverse of :func:`rgb_to_yiq` (unclamped)."""
    return _apply_matrix(_RGB_FROM_YIQ, yiq)


def keep_luminance_only(stylised: Tensor, photo: Tensor) -> Tensor:
    """Stylised luminance with the photo's chroma.

    Args:
        stylised, photo: (N, 3, H, W) RGB in [0, 1], same size.

    Returns:
        (N, 3, H, W) RGB clamped to [0, 1]: Y of ``stylised``, I and Q of ``photo``.
    """
    # Y of the result minus Y of the photo is all that changes: a per-pixel
    # grey offset, which keeps I and Q exactly and needs no full YIQ copy.
    weights = _YIQ_FROM_RGB[0].to(stylised).view(1, 3, 1, 1)
    delta = (stylised * weights).sum(1, keepdim=True) - (photo * weights).sum(1, keepdim=True)
    return (photo + delta).clamp_(0.0, 1.0)


def colour_statistics(rgb: Tensor) -> tuple[Tensor, Tensor]:
    """Mean colour and RGB covariance of each picture.

    Args:
        rgb: (N, 3, H, W).

    Returns:
        mean (N, 3) and covariance (N, 3, 3), float64.
    """
    n = rgb.shape[0]
    flat = rgb.reshape(n, 3, -1)
    pixels = flat.shape[2]
    total = torch.zeros(n, 3, dtype=torch.float64, device=rgb.device)
    outer = torch.zeros(n, 3, 3, dtype=torch.float64, device=rgb.device)
    for start in range(0, pixels, _CHUNK_PIXELS):
        chunk = flat[:, :, start:start + _CHUNK_PIXELS].double()
        total += chunk.sum(2)
        outer += chunk @ chunk.transpose(1, 2)
    mean = total / pixels
    cov = outer / pixels - mean[:, :, None] * mean[:, None, :]
    return mean, cov


def _sqrt_and_inverse_sqrt(cov: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric square root and its inverse of (N, 3, 3) covariances."""
    values, vectors = torch.linalg.eigh(cov + _EPS * torch.eye(3, dtype=cov.dtype, device=cov.device))
    values = values.clamp(min=_EPS)
    root = vectors @ torch.diag_embed(values.sqrt()) @ vectors.transpose(1, 2)
    inverse_root = vectors @ torch.diag_embed(values.rsqrt()) @ vectors.transpose(1, 2)
    return root, inverse_root


def match_colour_statistics(stylised: Tensor, photo: Tensor) -> Tensor:
    """Recolour ``stylised`` so its mean colour and RGB covariance are the photo's.

    Args:
        stylised: (N, 3, H, W) RGB in [0, 1].
        photo: (N, 3, H', W') RGB in [0, 1] (any size: only its statistics are used).

    Returns:
        (N, 3, H, W) RGB clamped to [0, 1].
    """
    mean_s, cov_s = colour_statistics(stylised)
    mean_p, cov_p = colour_statistics(photo)
    root_p, _ = _sqrt_and_inverse_sqrt(cov_p)
    _, inverse_root_s = _sqrt_and_inverse_sqrt(cov_s)
    a = root_p @ inverse_root_s  # (N, 3, 3)
    offset = mean_p - (a @ mean_s[:, :, None])[:, :, 0]
    return _apply_matrix(a, stylised, offset).clamp_(0.0, 1.0)


def preserve_colour(stylised: Tensor, photo: Tensor, mode: str) -> Tensor:
    """Apply one of :data:`MODES` ("none" returns ``stylised`` clamped to [0, 1])."""
    if mode == "luminance":
        return keep_luminance_only(stylised, photo)
    if mode == "match":
        return match_colour_statistics(stylised, photo)
    if mode == "none":
        return stylised.clamp(0.0, 1.0)
    raise ValueError(f"unknown colour preservation {mode!r}; choose one of {', '.join(MODES)}")
