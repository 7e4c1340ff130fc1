"""Winograd minimal filtering for the pix2pix U-Net's 4 x 4 stride-2 convolutions (CPU inference copies).

On the 2-core CPU the official ``unet_256`` spends about 95 % of a forward
pass in its convolutions, and oneDNN already runs them at about MKL's sgemm
speed: the only way to go faster is to do fewer multiplications. Both kinds
of layer the U-Net uses reduce to 2 x 2 stride-1 correlations:

- ``ConvTranspose2d(k=4, s=2, p=1)``: output pixel ``2 i + a`` (per
  dimension, phase ``a`` in {0, 1}) reads input pixels ``i - 1, i`` with
  kernel taps ``3, 1`` (a = 0) or ``i, i + 1`` with taps ``2, 0`` (a = 1).
  Each of the four output phases (a, b) is a 2 x 2 correlation of the input
  padded by one pixel, started ``a`` rows and ``b`` columns in, with a
  2 x 2 sub-kernel; the phases interleave into the 2 H x 2 W output.
- ``Conv2d(k=4, s=2, p=1)``: with the input padded by one pixel and cut into
  2 x 2 blocks (space-to-depth, 4 C channels per block), it is a 2 x 2
  correlation over the grid of blocks.

A 2 x 2 correlation runs as Winograd's F(m x m, 2 x 2) (Lavin & Gray, "Fast
Algorithms for Convolutional Neural Networks", CVPR 2016): input tiles of
(m + 1)² pixels at stride m are transformed (``Bᵀ d B``), multiplied by the
transformed kernels (``G g Gᵀ``, computed once here) as (m + 1)² independent
matrix products [tiles x C_in] @ [C_in x C_out] (one ``torch.bmm``), and
transformed back (``Aᵀ M A``) into m x m outputs per tile. Multiplications per
output fall from 4 to (m + 1)² / m²: 2.25 for F(2, 2), 1.5625 for F(4, 2).
The matrices come from the Toom-Cook construction on the points in
:data:`POINTS` (0, ±1, 1/2 and infinity: small, well conditioned; float32
results stay within about 1e-6 of the direct convolution relative to the
output's scale, see the tests).

The transforms are memory-bound passes over channels_last (N, H, W, C)
tensors: each is a handful of strided views added together with ``out=``
into the layout the next step reads, the space-to-depth and the phase
interleave included (no extra copies). The row transform runs before tiling
the columns, so each pass touches about (m + 1) / m times the data.

Only the CPU copies use these layers (:func:`for_cpu`): on a GPU, cuDNN's
convolutions in half precision are faster and keep their own accuracy.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Interpolation points of F(m, 2) (m + 1 of them, None for the point at infinity).
POINTS = {1: (0, None), 2: (0, 1, -1), 4: (0, 1, -1, Fraction(1, 2), None)}

# ConvTranspose2d(4, 2, 1): output rows 2 i - 1 + a (a = 0, 1) read input rows i - 1, i with these kernel taps.
SHIFTED_TAPS = ((2, 0), (3, 1))


def _vandermonde(points, columns: int) -> list[list[Fraction]]:
    rows = []
    for p in points:
        if p is None:  # the point at infinity picks the leading coefficient
            rows.append([Fraction(int(k == columns - 1)) for k in range(columns)])
        else:
            rows.append([Fraction(p) ** k for k in range(columns)])
    return rows


def _inverse(matrix: list[list[Fraction]]) -> list[list[Fraction]]:
    """Exact inverse by Gauss-Jordan elimination (the matrices are at most 5 x 5)."""
    n = len(matrix)
    work = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if work[r][col] != 0)
        work[col], work[pivot] = work[pivot], work[col]
        lead = work[col][col]
        work[col] = [v / lead for v in work[col]]
        for r in range(n):
            if r != col and work[r][col] != 0:
                factor = work[r][col]
                work[r] = [a - factor * b for a, b in zip(work[r], work[col])]
    return [row[n:] for row in work]


def winograd_matrices(m: int) -> tuple[Tensor, Tensor, Tensor]:
    """(Aᵀ (m x n), G (n x 2), Bᵀ (n x n)) of F(m, 2), n = m + 1, in float64.

    ``y = Aᵀ [(G g) ⊙ (Bᵀ d)]`` is the correlation ``y_i = g_0 d_i + g_1 d_(i+1)``
    of n inputs d with the 2-tap kernel g. It is the transpose (in the data)
    of Toom-Cook's linear convolution ``V⁻¹ [(V_2 g) ⊙ (V_m x)]``, V_k the
    n x k Vandermonde matrix of the points: ``Aᵀ = V_mᵀ``, ``G = V_2``,
    ``Bᵀ = V⁻ᵀ``. Each row of Bᵀ is then scaled to make its entries small
    integers where it can, the matching row of G divided by the same factor.
    """
    points = POINTS[m]
    n = m + 1
    inverse = _inverse(_vandermonde(points, n))
    a_t = [list(col) for col in zip(*_vandermonde(points, m))]
    g = _vandermonde(points, 2)
    b_t = [list(col) for col in zip(*inverse)]
    for p in range(n):  # scale row p of Bᵀ by the lcm of its denominators over the gcd of its numerators
        nonzero = [v for v in b_t[p] if v != 0]
        denominators = 1
        for v in nonzero:
            denominators = denominators * v.denominator // _gcd(denominators, v.denominator)
        numerators = 0
        for v in nonzero:
            numerators = _gcd(numerators, abs((v * denominators).numerator))
        scale = Fraction(denominators, numerators)
        if 1 not in [v * scale for v in nonzero]:  # a row with a +1 starts its pass with one add (see _combine)
            scale = -scale
        b_t[p] = [v * scale for v in b_t[p]]
        g[p] = [v / scale for v in g[p]]
    as_tensor = lambda rows: torch.tensor([[float(v) for v in row] for row in rows], dtype=torch.float64)  # noqa: E731
    return as_tensor(a_t), as_tensor(g), as_tensor(b_t)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _combine(coefficients: Tensor, sources: list[Tensor], dest: Tensor) -> None:
    """dest = Σ_i coefficients[i] sources[i] over the non-zero coefficients (every tensor a strided view).

    One pass per term after the first two: ``torch.add(a, b, alpha=c, out=dest)`` starts from a term
    whose coefficient is 1 (every row of the transforms has one, see :func:`winograd_matrices`).
    """
    terms = [(c, s) for c, s in zip(coefficients.tolist(), sources) if c != 0]
    if not terms:
        dest.zero_()
        return
    lead = next((k for k, (c, _) in enumerate(terms) if c == 1), None)
    if lead is None:
        torch.mul(terms[0][1], terms[0][0], out=dest)
        rest = terms[1:]
    else:
        rest = terms[:lead] + terms[lead + 1:]
        if rest:
            torch.add(terms[lead][1], rest[0][1], alpha=rest[0][0], out=dest)
            rest = rest[1:]
        else:
            dest.copy_(terms[lead][1])
    for c, source in rest:
        dest.add_(source, alpha=c)


class _Winograd2x2:
    """F(m x m, 2 x 2) for one m: the transform passes of the input and the output."""

    def __init__(self, m: int) -> None:
        self.m, self.n = m, m + 1
        a_t, g, b_t = winograd_matrices(m)
        self.a_t, self.g, self.b_t = a_t, g, b_t
        # Adding b to M at (one, one) adds b to every output of the tile: Aᵀ's column of the point 1 is all ones.
        self.one = next(p for p in range(self.n) if bool((a_t[:, p] == 1).all()))

    def kernel(self, g: Tensor) -> Tensor:
        """(2, 2, C_in, C_out) float64 kernels -> (n², C_in, C_out): G g Gᵀ per channel pair."""
        u = torch.einsum("pk,klio,ql->pqio", self.g, g, self.g)
        return u.reshape(self.n * self.n, *g.shape[2:])


def _padded(x: Tensor, top: int, bottom: int, left: int, right: int) -> Tensor:
    """``x`` zero-padded, channels_last.

    Padded as (N, H, W, C): ``F.pad`` of the channels_last (N, C, H, W) view is
    sometimes ten times slower (2 ms instead of 0.2 at 256 x 64 x 64).
    """
    nhwc = x.permute(0, 2, 3, 1)
    return F.pad(nhwc, (0, 0, left, right, top, bottom)).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


def _input_transform(f: _Winograd2x2, p: Tensor, batch: int, th: int, tw: int, block: int) -> Tensor:
    """Bᵀ d B of every tile of the padded channels_last input ``p``, as V (n², N th tw, block² C).

    The correlation runs over ``block`` x ``block`` blocks of pixels (2 for the
    strided convolution's space-to-depth, 1 otherwise): tile (ty, tx) holds
    blocks ``ty m .. ty m + m`` down and ``tx m .. tx m + m`` across, each
    block's pixels (dy, dx) and channels c as its ``block² C`` channels.
    First the rows (over whole rows of pixels), then the columns, each pass
    adding strided views of the previous one.
    """
    m, n, b_t = f.m, f.n, f.b_t
    cin, width = p.shape[1], p.shape[3]
    sn, sh, sw = p.stride(0), p.stride(2), p.stride(3)
    # Row pass: T[p', dy] (N, th, width, C) = Σ_i Bᵀ[p', i] P[block (tile m + i) + dy].
    t = p.new_empty(n, block, batch, th, width, cin)
    rows = [p.as_strided((block, batch, th, width, cin), (sh, sn, block * m * sh, sw, 1),
                         p.storage_offset() + block * i * sh) for i in range(n)]
    for q in range(n):
        _combine(b_t[q], rows, t[q])
    # Column pass into V (n, n, N, th, tw, dy, dx, C).
    v = p.new_empty(n, n, batch, th, tw, block, block, cin)
    ts = t.stride()
    cols = [t.as_strided((n, batch, th, tw, block, block, cin), (ts[0], ts[2], ts[3], block * m * ts[4], ts[1], ts[4], 1),
                         block * j * ts[4]) for j in range(n)]
    for q in range(n):
        _combine(b_t[q], cols, v[:, q])
    return v.view(n * n, batch * th * tw, block * block * cin)


class _WinogradBase(nn.Module):
    def __init__(self, m: int, bias: Tensor | None) -> None:
        super().__init__()
        self.m = m
        self.f = _Winograd2x2(m)
        self.bias = None if bias is None else nn.Parameter(bias.detach().float().clone(), requires_grad=False)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, m={self.m}, bias={self.bias is not None}"

    def _product(self, v: Tensor, weight: Tensor) -> Tensor:
        """The n² matrix products [tiles x C_in] @ [C_in x C_out], plus the bias (added once per tile)."""
        out = torch.bmm(v, weight)
        if self.bias is not None:
            out[self.f.one * self.f.n + self.f.one].add_(self.bias)
        return out

    def _output_transform(self, mm: Tensor, batch: int, th: int, tw: int, out: Tensor, sub: int) -> None:
        """Aᵀ M A of the (n², N th tw, sub² C) products, written into the channels_last ``out``.

        Output position (y, x) of the correlation, sub-pixel (a, b) of its
        ``sub`` x ``sub`` cell (the depth-to-space of a transposed
        convolution; sub = 1 otherwise) and channel c go to
        ``out[:, c, sub y + a, sub x + b]``.
        """
        m, n, a_t = self.m, self.f.n, self.f.a_t
        cout = mm.shape[-1] // (sub * sub)
        # Pass 1 over the rows: R[i, q] = Σ_p Aᵀ[i, p] M[p, q], shape (m, n, N, th, tw, sub² C).
        r = mm.new_empty(m, n, batch, th, tw, sub * sub * cout)
        mv = mm.view(n, n, batch, th, tw, sub * sub * cout)
        for i in range(m):
            _combine(a_t[i], [mv[p] for p in range(n)], r[i])
        # Pass 2 over the columns, straight into the output: Y[i, j] = Σ_q Aᵀ[j, q] R[i, q].
        sn, sh, sw = out.stride(0), out.stride(2), out.stride(3)
        shape = (m, batch, th, tw, sub, sub, cout)
        strides = (sub * sh, sn, sub * m * sh, sub * m * sw, sh, sw, 1)
        rv = r.view(m, n, batch, th, tw, sub, sub, cout)
        for j in range(m):
            dest = out.as_strided(shape, strides, out.storage_offset() + sub * j * sw)
            _combine(a_t[j], [rv[:, q] for q in range(n)], dest)


class WinogradConvTranspose2d(_WinogradBase):
    """``ConvTranspose2d(C_in, C_out, 4, stride=2, padding=1)`` as one Winograd F(m x m, 2 x 2) with 4 C_out outputs.

    Output rows ``2 i - 1`` (phase 1 of input row i - 1) and ``2 i`` (phase 0
    of row i) both read input rows i - 1 and i, with taps (2, 0) and (3, 1)
    (:data:`SHIFTED_TAPS`); the same holds for columns. So, shifted by one
    pixel, the whole layer is one 2 x 2 correlation of the input padded by
    one pixel (H + 1 positions per side) whose 4 C_out output channels are the
    2 x 2 output pixels of each position (a depth-to-space). All four phases
    share one input transform and one matrix product per Winograd position,
    4 C_out wide (wide products run near sgemm speed; four narrow ones per
    phase did not). The tiles cover ``ceil((H + 1) / m)`` positions per side;
    the outputs are written into a canvas one pixel larger on each side,
    whose interior is returned (a channels_last view; the border row and
    column, and any tile overhang, are dropped).
    """

    def __init__(self, conv: nn.ConvTranspose2d, m: int) -> None:
        assert (conv.kernel_size, conv.stride, conv.padding, conv.output_padding, conv.groups, conv.dilation) == \
            ((4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1)), "only ConvTranspose2d(k=4, s=2, p=1)"
        super().__init__(m, None if conv.bias is None else conv.bias.detach().repeat(4))
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        w = conv.weight.detach().double()  # (C_in, C_out, 4, 4)
        # g[ky, kx, c, (a, b, o)] = w[c, o, SHIFTED_TAPS[a][ky], SHIFTED_TAPS[b][kx]]
        g = torch.stack([torch.stack([w[:, :, ty][:, :, :, tx] for tx in SHIFTED_TAPS], 2) for ty in SHIFTED_TAPS], 2)
        # g: (C_in, C_out, a, b, ky, kx) -> (ky, kx, C_in, (a, b, C_out))
        g = g.permute(4, 5, 0, 2, 3, 1).reshape(2, 2, conv.in_channels, 4 * conv.out_channels)
        self.weight = nn.Parameter(self.f.kernel(g).float().contiguous(), requires_grad=False)  # (n², Ci, 4 Co)

    def forward(self, x: Tensor) -> Tensor:
        batch, cin, h, w = x.shape
        m, n = self.m, self.f.n
        th, tw = -(-(h + 1) // m), -(-(w + 1) // m)  # tiles per side over the h + 1 shifted positions
        cout = self.out_channels
        p = _padded(x, 1, th * m - h, 1, tw * m - w)  # (N, th m + 2, tw m + 2, C) channels_last
        mm = self._product(_input_transform(self.f, p, batch, th, tw, 1), self.weight)
        canvas = torch.empty(batch, cout, 2 * th * m, 2 * tw * m, dtype=x.dtype, device=x.device,
                             memory_format=torch.channels_last)
        self._output_transform(mm, batch, th, tw, canvas, 2)
        return canvas[:, :, 1:2 * h + 1, 1:2 * w + 1]


class WinogradConv2d(_WinogradBase):
    """``Conv2d(C_in, C_out, 4, stride=2, padding=1)`` as Winograd F(m x m, 2 x 2) over 2 x 2 blocks of the input.

    ``out[y, x] = Σ w[:, :, ky, kx] P[2 y + ky, 2 x + kx]`` (P the input padded
    by one pixel); with ``k = 2 b + d`` that is a 2 x 2 correlation over the
    blocks ``P[2 y' + d]`` with 4 C_in channels (d_y, d_x, c). The
    space-to-depth happens inside the transform passes (strided views).
    Output sides (input sides / 2) multiples of m; other sizes run the plain convolution. Output is channels_last.
    """

    def __init__(self, conv: nn.Conv2d, m: int) -> None:
        assert (conv.kernel_size, conv.stride, conv.padding, conv.groups, conv.dilation, conv.padding_mode) == \
            ((4, 4), (2, 2), (1, 1), 1, (1, 1), "zeros"), "only Conv2d(k=4, s=2, p=1)"
        super().__init__(m, conv.bias)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        w = conv.weight.detach().double()  # (C_out, C_in, 4, 4), ky = 2 by + dy
        # Kept for inputs whose output sides are not multiples of m (a size the copy was not made for).
        self.plain_weight = nn.Parameter(conv.weight.detach().float().clone(), requires_grad=False)
        g = w.view(conv.out_channels, conv.in_channels, 2, 2, 2, 2)  # (o, c, by, dy, bx, dx)
        g = g.permute(2, 4, 3, 5, 1, 0).reshape(2, 2, 4 * conv.in_channels, conv.out_channels)  # (by, bx, (dy dx c), o)
        self.weight = nn.Parameter(self.f.kernel(g).float().contiguous(), requires_grad=False)  # (n², 4 Ci, Co)

    def forward(self, x: Tensor) -> Tensor:
        batch, cin, h, w = x.shape
        m, n = self.m, self.f.n
        ho, wo = h // 2, w // 2
        if h % 2 or w % 2 or ho % m or wo % m:
            return F.conv2d(x, self.plain_weight, self.bias, stride=2, padding=1)
        th, tw = ho // m, wo // m
        p = _padded(x, 1, 1, 1, 1)
        mm = self._product(_input_transform(self.f, p, batch, th, tw, 2), self.weight)
        out = torch.empty(batch, self.out_channels, ho, wo, dtype=x.dtype, device=x.device,
                          memory_format=torch.channels_last)
        self._output_transform(mm, batch, th, tw, out, 1)
        return out


# The m of F(m x m, 2 x 2) per layer kind and input side, from bench/winograd_layers.py on the 2-core CPU
# (unet_256's widths, batch 1; the figures are in the commit that set them). Sides not listed keep the plain
# layer. Down: F(4, 2) while the output is at least 32 pixels a side (enough tiles for wide products), F(2, 2)
# at 16, the direct F(1, 2) below (too few tiles for the transformed weights, 2.25 times the original, to pay;
# it still beats oneDNN, which re-lays the weights out on every call). Up: the same, with the transposed
# layer's oneDNN path slower still at small sizes.
DOWN_M = {128: 4, 64: 4, 32: 2, 16: 2, 8: 1, 4: 1, 2: 1}
UP_M = {64: 4, 32: 4, 16: 2, 8: 1, 2: 1, 1: 2}
MIN_CHANNELS = 64  # narrower layers (the RGB ends, unet_small's levels) were not measured to win: kept


def winograd_fits(conv: nn.Module, side: int) -> int | None:
    """The m of F(m, 2) to run ``conv`` with on a ``side`` x ``side`` input on the CPU, or None to keep it."""
    if isinstance(conv, nn.ConvTranspose2d) and type(conv) is nn.ConvTranspose2d:
        ok = (conv.kernel_size, conv.stride, conv.padding, conv.output_padding, conv.groups, conv.dilation) == \
            ((4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1))
        table = UP_M
    elif isinstance(conv, nn.Conv2d) and type(conv) is nn.Conv2d:
        ok = (conv.kernel_size, conv.stride, conv.padding, conv.groups, conv.dilation, conv.padding_mode) == \
            ((4, 4), (2, 2), (1, 1), 1, (1, 1), "zeros")
        table = DOWN_M
    else:
        return None
    if not ok or min(conv.in_channels, conv.out_channels) < MIN_CHANNELS:
        return None
    return table.get(side)


def for_cpu(net: nn.Module, size: int) -> nn.Module:
    """Swap the 4 x 4 stride-2 convolutions of a U-Net inference copy that win on the CPU for Winograd layers.

    ``net`` is a :class:`~inference.nets.pix2pix.UnetGenerator` made by
    :mod:`inference.nets.fold` (changed in place and returned); ``size`` the
    side of the images it will run, which sets each level's side. Only the
    CPU copies: a GPU keeps cuDNN's convolutions. Resize-convolution U-Nets
    are left as they are (their decoder is :class:`~inference.nets.fold.SubPixelResizeConv`).
    """
    from .fold import _blocks  # the level walk of the copies this changes

    if getattr(net, "upsample", "transpose") != "transpose":
        return net
    side = size
    for block in _blocks(net):
        for i, layer in enumerate(block.model):
            if isinstance(layer, nn.Conv2d):
                m = winograd_fits(layer, side)
                if m is not None:
                    block.model[i] = WinogradConv2d(layer, m)
            elif isinstance(layer, nn.ConvTranspose2d):
                m = winograd_fits(layer, side // 2)
                if m is not None:
                    block.model[i] = WinogradConvTranspose2d(layer, m)
        side //= 2
    return net
