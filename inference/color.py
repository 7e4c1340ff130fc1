"""sRGB (D65) <-> CIE Lab in torch, numerically matching ``skimage.color``.

Same constants and branch points as ``skimage.color.rgb2lab`` / ``lab2rgb``
(2 degree observer, D65 white), so the colourisers see the Lab values the
official code fed them. All functions work on any device and in float32.

Shapes: ``rgb`` and ``lab`` are (N, 3, H, W); ``l`` is (N, 1, H, W) in
[0, 100]; ``ab`` is (N, 2, H, W), roughly in [-110, 110].

Two gamut mappings turn a predicted Lab image into displayable sRGB:
:func:`lab_to_rgb_clipped`, exactly what the official code does
(``skimage.color.lab2rgb``), and :func:`lab_to_rgb_in_gamut`, which lowers
chroma instead so that the photo keeps its own lightness.
"""

from __future__ import annotations

import torch
from torch import Tensor

# sRGB primaries -> XYZ, the matrix skimage uses.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_WHITE_D65 = (0.95047, 1.0, 1.08883)

# Inverting in float64 once keeps the round trip as exact as skimage's.
_RGB_FROM_XYZ = torch.linalg.inv(torch.tensor(_XYZ_FROM_RGB, dtype=torch.float64)).tolist()

_EPSILON = 0.008856  # CIE (6/29)**3 as rounded by skimage
_KAPPA = 7.787
_DELTA_INV = 0.2068966  # 6/29, the inverse branch point used by skimage

# Pixels per chunk in the full-resolution helpers: about 1 M pixels keeps the
# temporaries of a 12-megapixel photo under ~100 MB at any one time.
_CHUNK_PIXELS = 1 << 20


def _srgb_to_linear(c: Tensor) -> Tensor:
    return torch.where(c > 0.04045, ((c.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4, c / 12.92)


def _linear_to_srgb(c: Tensor) -> Tensor:
    # clamp inside pow avoids NaN for negative inputs on the branch not taken
    return torch.where(c > 0.0031308, 1.055 * c.clamp(min=0.0031308) ** (1 / 2.4) - 0.055, c * 12.92)


def _f(t: Tensor) -> Tensor:
    return torch.where(t > _EPSILON, t.clamp(min=_EPSILON) ** (1 / 3), _KAPPA * t + 16.0 / 116.0)


def _f_inv(t: Tensor) -> Tensor:
    return torch.where(t > _DELTA_INV, t.clamp(min=_DELTA_INV) ** 3, (t - 16.0 / 116.0) / _KAPPA)


def _rgb_to_lab_parts(r: Tensor, g: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r, g, b = _srgb_to_linear(r), _srgb_to_linear(g), _srgb_to_linear(b)
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = _XYZ_FROM_RGB
    x = (m00 * r + m01 * g + m02 * b) / _WHITE_D65[0]
    y = (m10 * r + m11 * g + m12 * b) / _WHITE_D65[1]
    z = (m20 * r + m21 * g + m22 * b) / _WHITE_D65[2]
    fx, fy, fz = _f(x), _f(y), _f(z)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def _lab_to_rgb_parts(l: Tensor, a: Tensor, b: Tensor, *, clamp_fz: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    fy = (l + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = fy - b / 200.0
    if clamp_fz:
        # skimage's lab2xyz sets a negative fz (b far above what L allows) to 0
        # before inverting f; Z then comes out slightly negative, not zero.
        fz = fz.clamp(min=0.0)
    x = _f_inv(fx) * _WHITE_D65[0]
    y = _f_inv(fy) * _WHITE_D65[1]
    z = _f_inv(fz) * _WHITE_D65[2]
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = _RGB_FROM_XYZ
    r = m00 * x + m01 * y + m02 * z
    g = m10 * x + m11 * y + m12 * z
    bl = m20 * x + m21 * y + m22 * z
    return _linear_to_srgb(r), _linear_to_srgb(g), _linear_to_srgb(bl)


def rgb_to_lab(rgb: Tensor) -> Tensor:
    """Convert sRGB to CIE Lab, like ``skimage.color.rgb2lab``.

    Args:
        rgb: (N, 3, H, W) float in [0, 1].

    Returns:
        (N, 3, H, W): L in [0, 100], a and b roughly in [-128, 127].
    """
    l, a, b = _rgb_to_lab_parts(*rgb.unbind(1))
    return torch.stack((l, a, b), dim=1)


def lab_to_rgb(lab: Tensor) -> Tensor:
    """Convert CIE Lab to sRGB, like ``skimage.color.lab2rgb`` but without clipping.

    Args:
        lab: (N, 3, H, W).

    Returns:
        (N, 3, H, W) sRGB; values outside [0, 1] mean the colour is out of gamut.
    """
    r, g, b = _lab_to_rgb_parts(*lab.unbind(1))
    return torch.stack((r, g, b), dim=1)


def rgb_to_lightness(rgb: Tensor) -> Tensor:
    """Return only the Lab L channel of sRGB pixels, in row chunks to bound memory.

    Args:
        rgb: (N, 3, H, W) float in [0, 1].

    Returns:
        (N, 1, H, W) L in [0, 100], equal to ``rgb_to_lab(rgb)[:, :1]``.
    """
    m10, m11, m12 = _XYZ_FROM_RGB[1]  # only Y matters for L; Y of D65 white is 1
    out = torch.empty((rgb.shape[0], 1, *rgb.shape[2:]), dtype=rgb.dtype, device=rgb.device)
    for rows in _row_chunks(rgb.shape[2], rgb.shape[3]):
        r, g, b = (_srgb_to_linear(c) for c in rgb[:, :, rows].unbind(1))
        y = m10 * r + m11 * g + m12 * b
        out[:, 0, rows] = 116.0 * _f(y) - 16.0
    return out


def _row_chunks(height: int, width: int):
    step = max(1, _CHUNK_PIXELS // max(1, width))
    for start in range(0, height, step):
        yield slice(start, min(height, start + step))


# Slack for float32 round-off at the gamut edge: pure grey at L=100 comes out
# a few 1e-6 above 1.0 because the matrices are rounded to six digits.
_GAMUT_SLACK = 1e-4


def _in_gamut(r: Tensor, g: Tensor, b: Tensor) -> Tensor:
    lo, hi = -_GAMUT_SLACK, 1.0 + _GAMUT_SLACK
    return (r >= lo) & (r <= hi) & (g >= lo) & (g <= hi) & (b >= lo) & (b <= hi)


def _check_l_ab(l: Tensor, ab: Tensor) -> None:
    if l.dim() != 4 or ab.dim() != 4 or l.shape[1] != 1 or ab.shape[1] != 2 \
            or l.shape[2:] != ab.shape[2:] or l.shape[0] != ab.shape[0]:
        raise ValueError(f"expected l (N,1,H,W) and ab (N,2,H,W), got {tuple(l.shape)} and {tuple(ab.shape)}")


def lab_to_rgb_clipped(l: Tensor, ab: Tensor) -> Tensor:
    """Convert L + ab to sRGB exactly as ``skimage.color.lab2rgb`` does (the official post-processing).

    The same steps as skimage: a negative fz is set to 0, Lab -> XYZ (D65,
    2 degree observer) -> linear RGB -> sRGB, then every channel is clipped
    to [0, 1] on its own, which changes the lightness (and hue) of colours
    outside the sRGB gamut. L is not clamped. The arithmetic and the
    result are float64 (row chunk by row chunk), so rounding the result to
    8 bits gives skimage's levels on the same Lab values: a float32 result
    would already move a value such as 64.500004 / 255 onto the half level.

    Args:
        l: (N, 1, H, W) lightness, nominally [0, 100].
        ab: (N, 2, H, W) chroma in Lab units.

    Returns:
        (N, 3, H, W) float64 sRGB in [0, 1].
    """
    _check_l_ab(l, ab)
    n, _, height, width = l.shape
    out = torch.empty((n, 3, height, width), dtype=torch.float64, device=ab.device)
    for rows in _row_chunks(height, width):
        lc = l[:, 0, rows].double()
        ac, bc = ab[:, 0, rows].double(), ab[:, 1, rows].double()
        for channel, value in enumerate(_lab_to_rgb_parts(lc, ac, bc, clamp_fz=True)):
            out[:, channel, rows] = value.clamp(0.0, 1.0)
    return out


def lab_to_rgb_in_gamut(l: Tensor, ab: Tensor, steps: int = 8) -> Tensor:
    """Convert L + ab to displayable sRGB by lowering chroma, never by changing lightness.

    Clipping an out-of-gamut colour to [0, 1] per channel changes its
    lightness (a saturated blue on a bright sky turns visibly darker), and the
    whole point of colourisation is to keep the photo's own L. Instead each
    out-of-gamut pixel gets its ab scaled by a factor s in [0, 1), the largest
    one found by a vectorised bisection of ``steps`` halvings (precision
    2**-steps of the chroma) such that the colour fits; pure grey (s = 0)
    always fits for L in [0, 100], so the search is always well defined.
    Work is done in row chunks, and only on pixels that are out of gamut.

    Args:
        l: (N, 1, H, W) lightness in [0, 100] (clamped to it).
        ab: (N, 2, H, W) chroma in Lab units.
        steps: bisection steps.

    Returns:
        (N, 3, H, W) sRGB in [0, 1] whose Lab L equals ``l``.
    """
    _check_l_ab(l, ab)
    n, _, height, width = l.shape
    out = torch.empty((n, 3, height, width), dtype=ab.dtype, device=ab.device)
    for rows in _row_chunks(height, width):
        lc = l[:, 0, rows].clamp(0.0, 100.0).to(ab.dtype)
        ac, bc = ab[:, 0, rows], ab[:, 1, rows]
        r, g, b = _lab_to_rgb_parts(lc, ac, bc)
        outside = ~_in_gamut(r, g, b)
        if bool(outside.any()):
            # Flattened gather: the bisection only touches the offending pixels.
            lo_l, lo_a, lo_b = lc[outside], ac[outside], bc[outside]
            low = torch.zeros_like(lo_l)
            high = torch.ones_like(lo_l)
            for _ in range(steps):
                mid = (low + high) * 0.5
                fits = _in_gamut(*_lab_to_rgb_parts(lo_l, lo_a * mid, lo_b * mid))
                low = torch.where(fits, mid, low)
                high = torch.where(fits, high, mid)
            fr, fg, fb = _lab_to_rgb_parts(lo_l, lo_a * low, lo_b * low)
            r, g, b = r.clone(), g.clone(), b.clone()
            r[outside], g[outside], b[outside] = fr, fg, fb
        out[:, 0, rows] = r.clamp(0.0, 1.0)
        out[:, 1, rows] = g.clamp(0.0, 1.0)
        out[:, 2, rows] = b.clamp(0.0, 1.0)
    return out

