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
results stay within about 1e-5 of the direct convolution relative to the
output's scale, see the tests). F(1 x 1, 2 x 2) is the direct method in the
same frame (identity transforms, four products): it is what wins on small
images, where oneDNN's layers lose time on the weights rather than the sums.

The transposed layer runs either per output phase (four correlations, each
with its own input transform) or "shifted": output rows 2 i - 1 and 2 i read
the same two input rows, so one correlation with 4 C_out outputs per
position gives all four phases from one input transform and wide products
(:class:`WinogradConvTranspose2d`). Which form and which m each layer uses,
if any, is measured on the CPU at hand when a copy is made (:func:`fastest_form`).

The transforms are memory-bound passes over channels_last (N, H, W, C)
tensors: each is a handful of strided views added together with ``out=``
into the layout the next step reads, the space-to-depth and the phase
interleave included (no extra copies). The row transform runs before tiling
the columns, so each pass touches about (m + 1) / m times the data.

Costs: the transformed kernels take (m + 1)² / 4 times the memory of the
originals (the unet_256 CPU copy held about 390 MB of weights instead of
220 MB where F(4, 2) won its large layers) and take a few seconds to build,
once, when the copies are made; timing the candidate forms adds a few
seconds more, once per process and layer shape. Being many small passes,
the layers suffer more than one oneDNN call when another process holds a
core (each pass waits for both threads).

The shifted form also runs without Winograd, as one ordinary oneDNN
convolution (:class:`SubPixelConvTranspose2d`): the same multiplications as
the transposed layer, but on some CPUs oneDNN's transposed convolution is
slower than its plain one (`python bench/winograd_layers.py` on the AVX-512
machine: 5.7 against 5.0 ms for unet_256's 8 x 8 level, 2.8 against 1.6 ms
for the RGB end).

Only the CPU copies use these layers (:func:`for_cpu`): on a GPU, cuDNN's
convolutions in half precision are faster and keep their own accuracy.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Interpolation points of F(m, 2) (m + 1 of them, None for the point at infinity).
POINTS = {1: (0, None), 2: (0, 1, -1), 4: (0, 1, -1, Fraction(1, 2), None)}

# ConvTranspose2d(4, 2, 1): output rows 2 i - 1 + a (a = 0, 1) read input rows i - 1, i with these kernel taps.
SHIFTED_TAPS = ((2, 0), (3, 1))
# ... and output row 2 i + a (phase a) reads input rows i - 1 + a, i + a with these.
PHASE_TAPS = ((3, 1), (2, 0))


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
        denominators = math.lcm(*(v.denominator for v in nonzero))
        scale = Fraction(denominators, math.gcd(*((v * denominators).numerator for v in nonzero)))
        if 1 not in [v * scale for v in nonzero]:  # a row with a +1 starts its pass with one add (see _combine)
            scale = -scale
        b_t[p] = [v * scale for v in b_t[p]]
        g[p] = [v / scale for v in g[p]]
    as_tensor = lambda rows: torch.tensor([[float(v) for v in row] for row in rows], dtype=torch.float64)  # noqa: E731
    return as_tensor(a_t), as_tensor(g), as_tensor(b_t)


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
    """F(m x m, 2 x 2) for one m: its matrices, and the kernel transform."""

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
    padded = F.pad(nhwc, (0, 0, left, right, top, bottom)).permute(0, 3, 1, 2)
    return padded.contiguous(memory_format=torch.channels_last)


def _input_transform(f: _Winograd2x2, p: Tensor, batch: int, th: int, tw: int, block: int,
                     row0: int = 0, col0: int = 0) -> Tensor:
    """Bᵀ d B of every tile of the padded channels_last input ``p``, as V (n², N th tw, block² C).

    The correlation runs over ``block`` x ``block`` blocks of pixels (2 for the
    strided convolution's space-to-depth, 1 otherwise): tile (ty, tx) holds
    blocks ``ty m .. ty m + m`` down and ``tx m .. tx m + m`` across, each
    block's pixels (dy, dx) and channels c as its ``block² C`` channels,
    starting ``row0`` rows and ``col0`` columns into ``p``. First the rows
    (over whole rows of pixels), then the columns, each pass adding strided
    views of the previous one.
    """
    m, n, b_t = f.m, f.n, f.b_t
    cin, width = p.shape[1], p.shape[3] - col0
    sn, sh, sw = p.stride(0), p.stride(2), p.stride(3)
    # Row pass: T[p', dy] (N, th, width, C) = Σ_i Bᵀ[p', i] P[block (tile m + i) + dy].
    t = p.new_empty(n, block, batch, th, width, cin)
    rows = [p.as_strided((block, batch, th, width, cin), (sh, sn, block * m * sh, sw, 1),
                         p.storage_offset() + row0 * sh + col0 * sw + block * i * sh) for i in range(n)]
    for q in range(n):
        _combine(b_t[q], rows, t[q])
    # Column pass into V (n, n, N, th, tw, dy, dx, C).
    v = p.new_empty(n, n, batch, th, tw, block, block, cin)
    ts = t.stride()
    cols = [t.as_strided((n, batch, th, tw, block, block, cin),
                         (ts[0], ts[2], ts[3], block * m * ts[4], ts[1], ts[4], 1),
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

    def _output_transform(self, mm: Tensor, batch: int, th: int, tw: int, out: Tensor, sub: int,
                          phase: tuple[int, int] | None = None) -> None:
        """Aᵀ M A of the (n², N th tw, sub² C) products, written into the channels_last ``out``.

        Output position (y, x) of the correlation, sub-pixel (a, b) of its
        ``sub`` x ``sub`` cell (the depth-to-space of a transposed
        convolution; sub = 1 otherwise) and channel c go to
        ``out[:, c, sub y + a, sub x + b]``; with ``phase`` = (a, b) the
        products hold that one sub-pixel of every cell.
        """
        m, n, a_t = self.m, self.f.n, self.f.a_t
        cells = sub if phase is None else 1
        cout = mm.shape[-1] // (cells * cells)
        # Pass 1 over the rows: R[i, q] = Σ_p Aᵀ[i, p] M[p, q], shape (m, n, N, th, tw, sub² C).
        r = mm.new_empty(m, n, batch, th, tw, cells * cells * cout)
        mv = mm.view(n, n, batch, th, tw, cells * cells * cout)
        for i in range(m):
            _combine(a_t[i], [mv[p] for p in range(n)], r[i])
        # Pass 2 over the columns, straight into the output: Y[i, j] = Σ_q Aᵀ[j, q] R[i, q].
        sn, sh, sw = out.stride(0), out.stride(2), out.stride(3)
        shape = (m, batch, th, tw, cells, cells, cout)
        strides = (sub * sh, sn, sub * m * sh, sub * m * sw, sh, sw, 1)
        rv = r.view(m, n, batch, th, tw, cells, cells, cout)
        start = out.storage_offset() + (0 if phase is None else phase[0] * sh + phase[1] * sw)
        for j in range(m):
            dest = out.as_strided(shape, strides, start + sub * j * sw)
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

    With ``phases=True`` each output phase (a, b) (pixels (2 i + a, 2 j + b))
    is its own 2 x 2 correlation of the padded input started a rows and b
    columns in, with taps :data:`PHASE_TAPS`: four input transforms and
    four C_out-wide products, but no tile overhang (the shifted positions
    number H + 1, the phase positions H). That wins at small sides (8, 16),
    where the input is small and the overhang large; the sides must then be
    multiples of m (other sizes run the plain transposed convolution).
    """

    def __init__(self, conv: nn.ConvTranspose2d, m: int, *, phases: bool = False) -> None:
        assert (conv.kernel_size, conv.stride, conv.padding, conv.output_padding, conv.groups, conv.dilation) == \
            ((4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1)), "only ConvTranspose2d(k=4, s=2, p=1)"
        bias = conv.bias
        super().__init__(m, None if bias is None or phases else bias.detach().repeat(4))
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.phases = phases
        w = conv.weight.detach().double()  # (C_in, C_out, 4, 4)
        if phases:
            self.bias = None if bias is None else nn.Parameter(bias.detach().float().clone(), requires_grad=False)
            # For sides that m does not divide (F(1, 2) takes any side and needs none).
            self.plain_weight = None if m == 1 else nn.Parameter(conv.weight.detach().float().clone(),
                                                                 requires_grad=False)
            kernels = [self.f.kernel(w[:, :, list(PHASE_TAPS[a])][:, :, :, list(PHASE_TAPS[b])].permute(2, 3, 0, 1))
                       for a in (0, 1) for b in (0, 1)]
            # (phase, n², C_in, C_out)
            self.weight = nn.Parameter(torch.stack(kernels).float().contiguous(), requires_grad=False)
            return
        # g[ky, kx, c, (a, b, o)] = w[c, o, SHIFTED_TAPS[a][ky], SHIFTED_TAPS[b][kx]]
        g = torch.stack([torch.stack([w[:, :, ty][:, :, :, tx] for tx in SHIFTED_TAPS], 2) for ty in SHIFTED_TAPS], 2)
        # g: (C_in, C_out, a, b, ky, kx) -> (ky, kx, C_in, (a, b, C_out))
        g = g.permute(4, 5, 0, 2, 3, 1).reshape(2, 2, conv.in_channels, 4 * conv.out_channels)
        self.weight = nn.Parameter(self.f.kernel(g).float().contiguous(), requires_grad=False)  # (n², Ci, 4 Co)
        # The last row of positions (a = 0, tap 2 down) and column (b = 0, tap 2 across): (tap, C_in, (b or a, C_out)).
        bottom = torch.stack([torch.stack([w[:, :, 2, SHIFTED_TAPS[b][k]] for b in (0, 1)], 1) for k in (0, 1)])
        right = torch.stack([torch.stack([w[:, :, SHIFTED_TAPS[a][k], 2] for a in (0, 1)], 1) for k in (0, 1)])
        self.edge_bottom = nn.Parameter(bottom.flatten(2).float().contiguous(), requires_grad=False)
        self.edge_right = nn.Parameter(right.flatten(2).float().contiguous(), requires_grad=False)

    def extra_repr(self) -> str:
        return super().extra_repr() + (", phases" if self.phases else "")

    @property
    def form(self) -> str:
        """Its name among the CPU forms (:data:`WORTH_TIMING`)."""
        return f"{'P' if self.phases else 'F'}({self.m})"

    def _forward_phases(self, x: Tensor) -> Tensor:
        batch, cin, h, w = x.shape
        m = self.m
        if h % m or w % m:
            return F.conv_transpose2d(x, self.plain_weight, self.bias, stride=2, padding=1)
        p = _padded(x, 1, 1, 1, 1)
        out = torch.empty(batch, self.out_channels, 2 * h, 2 * w, dtype=x.dtype, device=x.device,
                          memory_format=torch.channels_last)
        for a in (0, 1):
            for b in (0, 1):
                v = _input_transform(self.f, p, batch, h // m, w // m, 1, a, b)
                mm = self._product(v, self.weight[2 * a + b])
                self._output_transform(mm, batch, h // m, w // m, out, 2, (a, b))
        return out

    def forward(self, x: Tensor) -> Tensor:
        if self.phases:
            return self._forward_phases(x)
        batch, cin, h, w = x.shape
        m, n = self.m, self.f.n
        cout = self.out_channels
        if h % m == 0 and w % m == 0:
            # Tiles over positions 0 .. h - 1 exactly; the last row and column of positions (their taps on the
            # zero padding dropped) as two thin products: no overhang of a whole row and column of tiles.
            th, tw = h // m, w // m
            p = _padded(x, 1, 1, 1, 1)
            canvas = torch.empty(batch, cout, 2 * h + 2, 2 * w + 2, dtype=x.dtype, device=x.device,
                                 memory_format=torch.channels_last)
            self._edges(p, canvas, h, w)
        else:
            th, tw = -(-(h + 1) // m), -(-(w + 1) // m)  # tiles per side over the h + 1 shifted positions
            p = _padded(x, 1, th * m - h, 1, tw * m - w)  # (N, th m + 2, tw m + 2, C) channels_last
            canvas = torch.empty(batch, cout, 2 * th * m, 2 * tw * m, dtype=x.dtype, device=x.device,
                                 memory_format=torch.channels_last)
        mm = self._product(_input_transform(self.f, p, batch, th, tw, 1), self.weight)
        self._output_transform(mm, batch, th, tw, canvas, 2)
        return canvas[:, :, 1:2 * h + 1, 1:2 * w + 1]

    def _edges(self, p: Tensor, canvas: Tensor, h: int, w: int) -> None:
        """Positions (h, j) and (i, w) of the padded input ``p``: canvas row 2 h and column 2 w (output 2 h - 1)."""
        batch, cin = p.shape[:2]
        cout = self.out_channels
        sn, sh, sw = p.stride(0), p.stride(2), p.stride(3)
        cn, ch, cw = canvas.stride(0), canvas.stride(2), canvas.stride(3)
        bias = None if self.bias is None else self.bias[:2 * cout]
        for weights, length, step, other_step, fixed, dest_step, dest_other, dest_fixed in (
                (self.edge_bottom, w + 1, sw, sh, h * sh, 2 * cw, cw, 2 * h * ch),  # row h: a = 0, (b, o)
                (self.edge_right, h + 1, sh, sw, w * sw, 2 * ch, ch, 2 * w * cw)):  # column w: b = 0, (a, o)
            z = None
            for k in (0, 1):  # the tap along the strip; the one across it falls on the zero padding
                window = p.as_strided((batch, length, cin), (sn, step, 1), p.storage_offset() + fixed + k * step)
                z = torch.matmul(window, weights[k]) if z is None else z.add_(torch.matmul(window, weights[k]))
            if bias is not None:
                z.add_(bias)
            dest = canvas.as_strided((batch, length, 2, cout), (cn, dest_step, dest_other, 1),
                                     canvas.storage_offset() + dest_fixed)
            dest.copy_(z.view(batch, length, 2, cout))


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

    @property
    def form(self) -> str:
        """Its name among the CPU forms (:data:`WORTH_TIMING`)."""
        return f"F({self.m})"

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


class SubPixelConvTranspose2d(nn.Module):
    """``ConvTranspose2d(k=4, s=2, p=1)`` as one ordinary 2 x 2 convolution at the input's resolution.

    The shifted form (module docstring) computed by oneDNN's convolution
    instead of Winograd products: a 2 x 2 kernel with 4 C_out outputs, one per
    output phase (a, b), over the input padded by one pixel gives every output
    pixel of the (H + 1) x (W + 1) cells; ``pixel_shuffle`` interleaves them and
    the outer row and column of cells are cut away. The same multiplications as
    the transposed layer, run by oneDNN's faster convolution kernels.
    """

    form = "sub-pixel"

    def __init__(self, conv: nn.ConvTranspose2d) -> None:
        super().__init__()
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        w = conv.weight.detach()  # (C_in, C_out, 4, 4)
        # weight[4 o + 2 a + b, c, ky, kx] = w[c, o, SHIFTED_TAPS[a][ky], SHIFTED_TAPS[b][kx]] (pixel_shuffle's order)
        phases = [w[:, :, list(SHIFTED_TAPS[a])][:, :, :, list(SHIFTED_TAPS[b])] for a in (0, 1) for b in (0, 1)]
        weight = torch.stack(phases, 2).permute(1, 2, 0, 3, 4).reshape(4 * self.out_channels, self.in_channels, 2, 2)
        self.weight = nn.Parameter(weight.contiguous(memory_format=torch.channels_last), requires_grad=False)
        bias = conv.bias
        self.bias = None if bias is None else nn.Parameter(bias.detach().repeat_interleave(4), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(F.conv2d(x, self.weight, self.bias, padding=1), 2)[:, :, 1:-1, 1:-1]


# How a strided layer can run on the CPU besides the plain oneDNN layer: Winograd F(m x m, 2 x 2) ("F(m)"; for a
# transposed layer the shifted form), a transposed layer per output phase ("P(m)"), or as one sub-pixel
# convolution ("sub-pixel", transposed layers only). Which one wins depends on the CPU: on one 2-core build machine
# the Winograd forms won most of unet_256's layers (F(4) on the large ones, the direct F(1) and P(1) on the small
# ones); on a 2-core AVX-512 machine oneDNN's own layers won all but the smallest (bench/winograd_layers.py prints
# both). So each copy times them where it runs (:func:`fastest_form`), among the forms worth timing at the layer's
# input side: those that won, or came within a few per cent, on either machine. Up layers never gained from the
# shifted F(1) or F(2), nor from P(4); building a Winograd form costs up to half a second on the widest layers.
WORTH_TIMING = {
    "down": {"F(1)": (1, 16), "F(2)": (16, 64), "F(4)": (64, 1 << 30)},
    "up": {"P(1)": (1, 16), "P(2)": (8, 32), "F(4)": (16, 1 << 30), "sub-pixel": (1, 1 << 30)},
}
MIN_CHANNELS = 64  # narrower layers (the RGB ends, unet_small's levels) never won with a Winograd form
# A form must beat the plain layer by this much: a Winograd form costs up to 2.25 times the weights' memory.
MIN_GAIN = 0.05
TIMING_ROUNDS = 3


def _strided(conv: nn.Module) -> str | None:
    """"down" or "up" for the U-Net's 4 x 4 stride-2 layers, which have CPU forms, else None."""
    if type(conv) is nn.ConvTranspose2d:
        ok = (conv.kernel_size, conv.stride, conv.padding, conv.output_padding, conv.groups, conv.dilation) == \
            ((4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1))
        return "up" if ok else None
    if type(conv) is nn.Conv2d:
        ok = (conv.kernel_size, conv.stride, conv.padding, conv.groups, conv.dilation, conv.padding_mode) == \
            ((4, 4), (2, 2), (1, 1), 1, (1, 1), "zeros")
        return "down" if ok else None
    return None


def cpu_form(conv: nn.Module, form: str) -> nn.Module:
    """``conv`` as the layer of ``form`` (:data:`WORTH_TIMING`'s names)."""
    if form == "sub-pixel":
        return SubPixelConvTranspose2d(conv)
    m = int(form[2])
    return WinogradConv2d(conv, m) if type(conv) is nn.Conv2d else WinogradConvTranspose2d(conv, m, phases=form[0] == "P")


def fits(conv: nn.Module, form: str, side: int) -> bool:
    """Whether ``form`` runs ``conv`` on a ``side`` x ``side`` input as itself (m divides the sides it tiles)."""
    if form == "sub-pixel":
        return type(conv) is nn.ConvTranspose2d
    m = int(form[2])
    if type(conv) is nn.Conv2d:
        return form[0] == "F" and (side // 2) % m == 0
    return form[0] == "F" or side % m == 0


def forms_worth_timing(conv: nn.Module, side: int) -> list[str]:
    """The forms :func:`fastest_form` times for ``conv`` on a ``side`` x ``side`` input (:data:`WORTH_TIMING`)."""
    kind = _strided(conv)
    if kind is None:
        return []
    narrow = min(conv.in_channels, conv.out_channels) < MIN_CHANNELS
    return [form for form, (low, high) in WORTH_TIMING[kind].items()
            if low <= side <= high and fits(conv, form, side) and (form == "sub-pixel" or not narrow)]


def pick_form(times: dict[str | None, float]) -> str | None:
    """The form to run from measured times (None: the plain layer); a form must win by :data:`MIN_GAIN`."""
    best = min(times, key=times.get)
    return best if best is not None and times[best] < (1 - MIN_GAIN) * times[None] else None


# (kind, C_in, C_out, side, torch threads) -> the form picked: timed once per process.
_PICKED: dict[tuple, str | None] = {}


def fastest_form(conv: nn.Module, side: int) -> str | None:
    """The fastest way to run ``conv`` on a ``side`` x ``side`` input on this CPU: a form, or None for the plain layer.

    The plain layer and every form worth timing run on one random image (batch
    1, as a live frame), channels_last, in alternation for :data:`TIMING_ROUNDS`
    rounds after a warm-up; each keeps its best time, so a busy moment of a
    shared machine does not decide. Layers of the same shape share one timing
    (both copies of a model, and every model of a process).
    """
    forms = forms_worth_timing(conv, side)
    if not forms:
        return None
    key = (_strided(conv), conv.in_channels, conv.out_channels, side, torch.get_num_threads())
    if key not in _PICKED:
        runs = {None: conv, **{form: cpu_form(conv, form) for form in forms}}
        x = torch.randn(1, conv.in_channels, side, side).contiguous(memory_format=torch.channels_last)
        times = dict.fromkeys(runs, math.inf)
        with torch.inference_mode():
            for round_ in range(TIMING_ROUNDS + 1):
                for form, run in runs.items():
                    started = time.perf_counter()
                    run(x)
                    if round_:  # round 0 warms up (oneDNN picks and compiles its kernels on first use)
                        times[form] = min(times[form], time.perf_counter() - started)
        _PICKED[key] = pick_form(times)
    return _PICKED[key]


def for_cpu(net: nn.Module, size: int, *, choose=fastest_form) -> nn.Module:
    """Swap the 4 x 4 stride-2 convolutions of a U-Net inference copy for the forms that win on this CPU.

    ``net`` is a :class:`~inference.nets.pix2pix.UnetGenerator` made by
    :mod:`inference.nets.fold` (changed in place and returned); ``size`` the
    side of the images it will run, which sets each level's side.
    ``choose(conv, side)`` gives each layer's form (:func:`fastest_form`
    measures it). Only the CPU copies: a GPU keeps cuDNN's convolutions.
    Resize-convolution U-Nets are left as they are (their decoder is
    :class:`~inference.nets.fold.SubPixelResizeConv`).
    """
    from .fold import _blocks  # the level walk of the copies this changes

    if getattr(net, "upsample", "transpose") != "transpose":
        return net
    side = size
    for block in _blocks(net):
        for i, layer in enumerate(block.model):
            # A down layer reads this level's side; an up layer the side below.
            layer_side = side if type(layer) is nn.Conv2d else side // 2
            form = choose(layer, layer_side) if _strided(layer) else None
            if form is not None:
                block.model[i] = cpu_form(layer, form)
        side //= 2
    return net
