"""Running a fully convolutional network on a large image in overlapping tiles, without seams.

A tile's border pixels are wrong: the network pads the tile (reflection)
where the whole image would have had real neighbours, and the error reaches
exactly as far in as the network's receptive field. So along a side shared
with a neighbour, a tile's outputs within ``margin`` pixels (at least the
receptive-field radius) get weight 0, the next ``feather`` pixels ramp
linearly to 1; the image's own edges keep weight 1 (there the whole-image
pass pads too). Neighbours overlap by ``2 * margin + feather`` pixels, so
every pixel is covered by outputs computed as if the tile had no border,
and the feathering hides any remaining difference (float rounding, or a
caller's statistics that differ per tile). Weights are normalised per pixel.

A network that enlarges by an integer ``scale`` (super-resolution) is tiled
the same way: tiles are planned on the input, and each tile's output, its
margin and its feather are ``scale`` times as large.

Tile origins are multiples of ``align`` (the network's total stride, 4 for
TransformerNet, 8 for AdaIN), so every tile samples the same stride grid as
the whole image would. Anything global (instance-norm statistics, AdaIN's
content statistics) must be computed for the whole image by the caller and
passed into each tile; tiling alone only removes the *local* border error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Tile:
    """One tile: the pixels it reads and the pixels it owns.

    Attributes:
        top, left, bottom, right: the input region [top, bottom) x [left, right).
        own_top, own_left, own_bottom, own_right: the part of the image this
            tile alone accounts for (the tiles' owned parts partition the
            image); borders lie mid-overlap, rounded to the alignment, so
            statistics summed over owned parts count every pixel once, each
            from a tile where it is far from the tile's edge.
    """

    top: int
    left: int
    bottom: int
    right: int
    own_top: int
    own_left: int
    own_bottom: int
    own_right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def scaled(self, scale: int) -> "Tile":
        """The same tile in an image ``scale`` times as large (a super-resolution net's output)."""
        return Tile(*(scale * value for value in (self.top, self.left, self.bottom, self.right, self.own_top,
                                                  self.own_left, self.own_bottom, self.own_right)))


def _starts(length: int, tile: int, step: int, align: int) -> list[int]:
    """Aligned tile origins along one axis; the last tile runs to the end (up to ``align - 1`` longer)."""
    if length <= tile:
        return [0]
    last = (length - tile) // align * align
    return list(range(0, last, step)) + [last]


def _owned(starts: list[int], length: int, tile: int, align: int) -> list[tuple[int, int]]:
    """Split [0, length) between tiles at the aligned middle of each overlap."""
    cuts = [0]
    for previous, start in zip(starts, starts[1:]):
        end_previous = previous + tile
        cuts.append(max(cuts[-1], (start + end_previous) // 2 // align * align))
    cuts.append(length)
    return list(zip(cuts[:-1], cuts[1:]))


def plan_tiles(height: int, width: int, *, tile: int, overlap: int, align: int = 1) -> list[Tile]:
    """Cover an image with overlapping, aligned tiles.

    Args:
        height, width: image size in pixels.
        tile: nominal tile side (a tile at the bottom or right end may be up
            to ``align - 1`` pixels longer, so it reaches the edge); more
            than ``overlap + align``.
        overlap: minimum overlap between neighbours.
        align: tile origins are multiples of this.

    Returns:
        Tiles in row-major order; a single tile when the image fits.
    """
    if tile < overlap + align:
        raise ValueError(f"tile ({tile}) must be at least the overlap ({overlap}) plus {align}")
    step = (tile - overlap) // align * align
    rows = _starts(height, tile, step, align)
    cols = _starts(width, tile, step, align)
    row_owned = _owned(rows, height, tile, align)
    col_owned = _owned(cols, width, tile, align)
    tiles = []
    for i, top in enumerate(rows):
        bottom = height if i == len(rows) - 1 else top + tile
        for j, left in enumerate(cols):
            right = width if j == len(cols) - 1 else left + tile
            (own_top, own_bottom), (own_left, own_right) = row_owned[i], col_owned[j]
            tiles.append(Tile(top, left, bottom, right, own_top, own_left, own_bottom, own_right))
    return tiles


def _ramp(length: int, start_inside: bool, end_inside: bool, margin: int, feather: int) -> Tensor:
    """1-D weights (length,): at sides shared with a neighbour, 0 over ``margin``, then linear to 1."""
    position = torch.arange(length, dtype=torch.float32) + 0.5
    weight = torch.ones(length)
    width = max(float(feather), 1.0)
    if start_inside:
        weight = torch.minimum(weight, ((position - margin) / width).clamp(0.0, 1.0))
    if end_inside:
        weight = torch.minimum(weight, ((length - position - margin) / width).clamp(0.0, 1.0))
    return weight


def tile_weights(tile: Tile, height: int, width: int, margin: int, feather: int) -> Tensor:
    """Blending weights of a tile in an image of ``height`` x ``width``: (tile.height, tile.width) in [0, 1]."""
    rows = _ramp(tile.height, tile.top > 0, tile.bottom < height, margin, feather)
    cols = _ramp(tile.width, tile.left > 0, tile.right < width, margin, feather)
    return rows[:, None] * cols[None, :]


def run_tiled(
    image: Tensor,
    fn: Callable[[Tensor, Tile], Tensor],
    *,
    tile: int,
    margin: int,
    feather: int = 32,
    align: int = 1,
    out_channels: int = 3,
    scale: int = 1,
    on_tile: Callable[[int, int], None] | None = None,
) -> Tensor:
    """Apply ``fn`` to overlapping tiles of ``image`` and blend the results seamlessly.

    Args:
        image: (1, C, H, W), on the CPU (the result is accumulated there).
        fn: maps a tile (1, C, h, w) and its :class:`Tile` to (1,
            out_channels, h', w') with h' >= h * scale, w' >= w * scale
            (cropped to that); it may run anywhere, its result is moved to
            the image's device.
        tile, align: see :func:`plan_tiles`; tiles overlap by ``2 * margin + feather``.
        margin: input pixels discarded at a tile's inner sides: at least the
            receptive-field radius of ``fn``.
        feather: width of the linear blend after the margin (input pixels).
        out_channels: channels of ``fn``'s output.
        scale: ``fn``'s output is this many times the tile's size (1, or a
            super-resolution factor).
        on_tile: called as ``on_tile(done, total)`` after each tile; it may
            raise to cancel.

    Returns:
        (1, out_channels, H * scale, W * scale) float32: the feather-weighted mean of the tiles.
    """
    _, _, height, width = image.shape
    tiles = plan_tiles(height, width, tile=tile, overlap=2 * margin + feather, align=align)
    out = torch.zeros((1, out_channels, height * scale, width * scale), dtype=torch.float32, device=image.device)
    total_weight = torch.zeros((height * scale, width * scale), dtype=torch.float32, device=image.device)
    for done, t in enumerate(tiles, start=1):
        result = fn(image[:, :, t.top:t.bottom, t.left:t.right], t)
        o = t.scaled(scale)
        result = result[:, :, : o.height, : o.width].to(device=image.device, dtype=torch.float32)
        weight = tile_weights(o, height * scale, width * scale, margin * scale, feather * scale).to(image.device)
        out[:, :, o.top:o.bottom, o.left:o.right] += result * weight
        total_weight[o.top:o.bottom, o.left:o.right] += weight
        del result
        if on_tile is not None:
            on_tile(done, len(tiles))
    return out.div_(total_weight)
