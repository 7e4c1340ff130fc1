"""Stylize: a photo in, the same photo painted in one style or a blend of styles out.

:func:`render` is the tool's one entry point; it picks the function for the
model's ``arch``. Three kinds of style model, one function each, sharing
pre- and post-processing (:class:`StyleOptions`):

* :func:`stylize_multistyle`: Atelier's multi-style TransformerNet
  (conditional instance norm, Dumoulin et al. 2017); a blend is a convex mix
  of the styles' norm parameters, the strength a mix towards the identity style;
* :func:`stylize_transformer`: one fast_neural_style model (one style);
* :func:`stylize_adain`: AdaIN (Huang & Belongie 2017) with any style
  images, whose statistics come from :func:`style_statistics` (cache them).

All nets are fully convolutional, so the photo is rendered at its own
resolution (or at ``max_side`` for previews). A photo with a side above
``tile`` pixels runs in overlapping, feather-blended tiles
(:mod:`inference.tiling`), with the global statistics computed once for the
whole photo so tiles agree:

* TransformerNet: its 15 instance norms' statistics are recorded on one pass
  over a copy of the photo scaled to fit the tile (at least 512 px), then
  used in every tile. Exact accumulation over full-resolution tiles would
  need one pass per norm layer; the scaled copy is one extra tile-sized pass,
  and its statistics are those of the same picture at a lower resolution.
* AdaIN: the encoder has no normalisation, so the content statistics at
  relu4_1 are accumulated exactly over the tiles (a first, encoder-only pass).

Colour preservation (:mod:`inference.preserve_colour`) is applied to the
assembled picture, so it uses whole-image colour statistics too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from ..errors import InferenceError
from ..images import to_rgb_or_l
from ..nets.adain import EPS as ADAIN_EPS
from ..nets.adain import adain, mean_std, mix_statistics
from ..nets.transformer_net import InstanceStatistics, MultiStyleTransformerNet, TransformerNet, style_mixture
from ..preserve_colour import preserve_colour
from ..tiling import plan_tiles, run_tiled
from .style_options import PRESERVE_COLOUR_MODES, StyleOptions

__all__ = [
    "render",
    "StyleOptions",
    "StyleStatistics",
    "PRESERVE_COLOUR_MODES",
    "stylize_multistyle",
    "stylize_transformer",
    "stylize_adain",
    "style_statistics",
    "statistics_to_bytes",
    "statistics_from_bytes",
]

Progress = Callable[[float, str], None]
StyleStatistics = tuple[Tensor, Tensor]  # (mean, std), each (512,) float32 on the CPU

# Pixels discarded at a tile's inner sides: at least how far the tile
# border's padding reaches into the output, i.e. the receptive-field radius
# (TransformerNet ~57 px, AdaIN's encoder + decoder ~74 px). Beyond it a
# tile's output equals the whole image's exactly; the feather then blends.
TRANSFORMER_MARGIN = 64
ADAIN_MARGIN = 80
FEATHER = 32
# Total stride: tile origins on these multiples sample the whole image's grid.
TRANSFORMER_ALIGN = 4
ADAIN_ALIGN = 8
# The smallest side of the scaled copy TransformerNet's statistics come from.
MIN_STATISTICS_SIDE = 512
# The smallest side a net is run on: reflection padding needs every feature map
# wider than its pad (TransformerNet: 9x9 first conv, 1 px at stride 4; AdaIN:
# 1 px at relu4_1, stride 8). Smaller photos and tiles are padded and cropped back.
MIN_SIDE = 16


# ---------------------------------------------------------------------------
# shared pre- and post-processing


def _prepare(image: Image.Image, max_side: int | None) -> Tensor:
    """The photo as it will be stylised.

    Returns:
        (1, 3, H, W) float32 RGB in [0, 1] on the CPU; grey photos become
        three equal channels, a photo larger than ``max_side`` is scaled
        down (Lanczos) first.
    """
    picture = to_rgb_or_l(image)
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    if max_side is not None and max(picture.size) > max_side:
        scale = max_side / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    pixels = torch.from_numpy(np.asarray(picture).copy())
    return pixels.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def _to_image(rgb: Tensor) -> Image.Image:
    """(1, 3, H, W) float RGB in [0, 1] -> "RGB" Pillow image (rounded, clamped)."""
    pixels = rgb[0].mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    return Image.fromarray(pixels.permute(1, 2, 0).contiguous().cpu().numpy())


def _at_least(x: Tensor, side: int = MIN_SIDE) -> Tensor:
    """(1, C, h, w) padded at the bottom and right by repeating edge pixels, so both sides are >= ``side``.

    Bottom and right only: the picture keeps its top-left origin, so
    ``y[:, :, :h, :w]`` of the net's output is the picture's own result.
    """
    height, width = x.shape[2:]
    if height >= side and width >= side:
        return x
    return F.pad(x, (0, max(0, side - width), 0, max(0, side - height)), mode="replicate")


def _fits(photo: Tensor, tile: int) -> bool:
    return tile == 0 or max(photo.shape[2:]) <= tile


def _scaled_to(photo: Tensor, side: int) -> Tensor:
    """(1, 3, H, W) scaled (antialiased) so the longer side is ``side``, if it is longer."""
    height, width = photo.shape[2:]
    if max(height, width) <= side:
        return photo
    scale = side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return F.interpolate(photo, size=size, mode="bilinear", align_corners=False, antialias=True)


def _device_and_dtype(net: nn.Module) -> tuple[torch.device, torch.dtype]:
    parameter = next(net.parameters())
    return parameter.device, parameter.dtype


def _guarded(work: Callable[[], Tensor]) -> Tensor:
    """Run ``work``, turning CUDA out-of-memory into an InferenceError people can act on."""
    try:
        with torch.inference_mode():
            return work()
    except torch.cuda.OutOfMemoryError:
        pass
    # Outside the except block: the frames holding the big tensors are gone,
    # so the cache can really shrink.
    torch.cuda.empty_cache()
    raise InferenceError(
        "The GPU ran out of memory while stylising this photo. Try again in a moment, "
        "or with a smaller image or a smaller tile size."
    )


def _finish(stylised: Tensor, photo: Tensor, options: StyleOptions, report: Progress) -> Image.Image:
    """Colour preservation on the assembled picture, then conversion to 8 bits."""
    report(0.95, "colour")
    result = preserve_colour(stylised, photo, options.preserve_colour)
    image = _to_image(result)
    report(1.0, "done")
    return image


def _quiet(fraction: float, stage: str) -> None:
    return None


# ---------------------------------------------------------------------------
# TransformerNet (single and multi-style)


def _transformer_pixels(
    photo: Tensor, net: nn.Module, style_weights: Tensor | None, tile: int, report: Progress
) -> Tensor:
    """Run a TransformerNet over the photo, tiled when it is large.

    Args:
        photo: (1, 3, H, W) RGB in [0, 1], CPU.
        style_weights: (n_styles + 1,) for a multi-style net, else None.

    Returns:
        (1, 3, H, W) float32 RGB, roughly [0, 1] (unclamped), CPU.
    """
    device, dtype = _device_and_dtype(net)
    height, width = photo.shape[2:]

    def forward(x: Tensor, statistics: InstanceStatistics | None) -> Tensor:
        h, w = x.shape[2:]
        x = _at_least(x).to(device=device, dtype=dtype).mul(255.0)
        y = net(x, style_weights, statistics) if style_weights is not None else net(x, statistics)
        return y[:, :, :h, :w].float().div_(255.0).cpu()

    if _fits(photo, tile):
        report(0.1, "stylize")
        return forward(photo, None)[:, :, :height, :width]

    statistics = InstanceStatistics()
    forward(_scaled_to(photo, max(tile, MIN_STATISTICS_SIDE)), statistics)
    statistics.freeze()
    report(0.15, "statistics")
    return run_tiled(
        photo,
        lambda x, _tile: forward(x, statistics),
        tile=tile,
        margin=TRANSFORMER_MARGIN,
        feather=FEATHER,
        align=TRANSFORMER_ALIGN,
        on_tile=lambda done, total: report(0.15 + 0.75 * done / total, "stylize"),
    )


def stylize_multistyle(
    image: Image.Image,
    net: MultiStyleTransformerNet,
    weights: Sequence[float],
    options: StyleOptions = StyleOptions(),
    *,
    progress: Progress | None = None,
) -> Image.Image:
    """Paint a photo in a blend of a multi-style network's styles.

    The blend is the network's conditional instance norm with
    gamma = sum_i w_i gamma_i and beta = sum_i w_i beta_i, where ``weights``
    are normalised to sum 1 and then mixed with the identity style by the
    strength s: w_effective = s w + (1 - s) e_identity
    (:func:`inference.nets.transformer_net.style_mixture`).

    Args:
        image: any Pillow mode and size.
        net: an eval-mode :class:`MultiStyleTransformerNet`, on any device.
        weights: one non-negative weight per style (``net.style_names`` order).
        options: strength, colour preservation, preview size, tiling.
        progress: called as ``progress(fraction, stage)``; may raise to cancel.

    Returns:
        An "RGB" image, the size of ``image`` (or scaled to ``options.max_side``).

    Raises:
        InferenceError: bad weights, or the GPU ran out of memory.
    """
    report = progress or _quiet
    mixture = style_mixture(weights, options.strength, net.n_styles)
    photo = _prepare(image, options.max_side)
    report(0.05, "prepare")
    stylised = _guarded(lambda: _transformer_pixels(photo, net, mixture, options.tile, report))
    return _finish(stylised, photo, options, report)


def stylize_transformer(
    image: Image.Image,
    net: TransformerNet,
    options: StyleOptions = StyleOptions(),
    *,
    progress: Progress | None = None,
) -> Image.Image:
    """Paint a photo with one fast_neural_style model.

    Such a model knows one style and has no identity style, so strength is
    NOT a mix in the network: it is a plain cross-fade of pixels,
    ``s * stylised + (1 - s) * photo`` (after colour preservation). It
    looks like a semi-transparent stylised layer over the photo, rather than
    the gradually fading brush strokes of the other two kinds of model.

    Args, Returns, Raises: as :func:`stylize_multistyle` (no weights).
    """
    report = progress or _quiet
    photo = _prepare(image, options.max_side)
    report(0.05, "prepare")
    if options.strength == 0:
        return _finish(photo, photo, StyleOptions(preserve_colour="none"), report)
    stylised = _guarded(lambda: _transformer_pixels(photo, net, None, options.tile, report))
    report(0.95, "colour")
    kept = preserve_colour(stylised, photo, options.preserve_colour)
    if options.strength < 1:
        kept = kept.mul_(options.strength).add_(photo, alpha=1.0 - options.strength)
    image_out = _to_image(kept)
    report(1.0, "done")
    return image_out


# ---------------------------------------------------------------------------
# AdaIN


def style_statistics(encoder: nn.Module, style_image: Image.Image, *, max_side: int | None = 512) -> StyleStatistics:
    """A style image's AdaIN statistics: channel mean and std of its relu4_1 features.

    Cache the result per style image: it is all :func:`stylize_adain` needs
    of a style, and 4 KB instead of a forward pass.

    Args:
        encoder: eval-mode normalised VGG-19 (``adain-vgg``), on any device.
        style_image: any Pillow mode and size; scaled down (never up) so its
            longer side is at most ``max_side`` (None: as it is). The scale
            sets the size of the brush strokes relative to the photo.

    Returns:
        (mean, std), each (512,) float32 on the CPU; std includes the
        official eps (sqrt of unbiased variance + 1e-5).
    """
    device, dtype = _device_and_dtype(encoder)
    picture = _prepare(style_image, max_side)

    def work() -> Tensor:
        features = encoder(_at_least(picture).to(device=device, dtype=dtype))
        mean, std = mean_std(features.float())
        return torch.stack((mean.reshape(-1), std.reshape(-1))).cpu()

    both = _guarded(work)
    return both[0].clone(), both[1].clone()


def statistics_to_bytes(statistics: StyleStatistics) -> bytes:
    """A style's statistics as a small safetensors file (about 4 KB), to cache per style image.

    Cache key: the style image's sha256, ``max_side`` and the encoder's
    sha256, since all three change the numbers.
    """
    from safetensors.torch import save

    mean, std = statistics
    return save({"mean": mean.detach().float().cpu().contiguous(), "std": std.detach().float().cpu().contiguous()},
                metadata={"format": "atelier-adain-style-statistics"})


def statistics_from_bytes(data: bytes) -> StyleStatistics:
    """Inverse of :func:`statistics_to_bytes` (no pickle involved).

    Raises:
        InferenceError: the bytes are not such a file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        tensors = load(bytes(data))
        mean, std = tensors["mean"], tensors["std"]
    except (SafetensorError, KeyError, ValueError, RuntimeError):
        raise InferenceError("These bytes are not cached AdaIN style statistics.") from None
    if mean.shape != std.shape or mean.dim() != 1:
        raise InferenceError("These bytes are not cached AdaIN style statistics.")
    return mean, std


def _content_statistics(photo: Tensor, encoder: nn.Module, tile: int) -> tuple[Tensor, Tensor]:
    """relu4_1 channel mean and std of the whole photo, accumulated exactly over tiles.

    Each tile contributes only the features of the part it owns (see
    :class:`inference.tiling.Tile`), which partition the whole image's
    feature map because owned borders lie on multiples of 8.

    Returns:
        mean, std: each (1, 512, 1, 1) float32 on the encoder's device.
    """
    device, dtype = _device_and_dtype(encoder)
    height, width = photo.shape[2:]
    total = count = squares = None
    overlap = 2 * ADAIN_MARGIN + FEATHER  # the tiles of the second pass, so both agree
    for t in plan_tiles(height, width, tile=tile, overlap=overlap, align=ADAIN_ALIGN):
        features = encoder(_at_least(photo[:, :, t.top:t.bottom, t.left:t.right]).to(device=device, dtype=dtype))
        rows = slice((t.own_top - t.top) // ADAIN_ALIGN, math.ceil((t.own_bottom - t.top) / ADAIN_ALIGN))
        cols = slice((t.own_left - t.left) // ADAIN_ALIGN, math.ceil((t.own_right - t.left) / ADAIN_ALIGN))
        owned = features[:, :, rows, cols].double().flatten(2)
        part_sum, part_squares = owned.sum(2), owned.square().sum(2)
        total = part_sum if total is None else total + part_sum
        squares = part_squares if squares is None else squares + part_squares
        count = owned.shape[2] + (count or 0)
    mean = total / count
    var = (squares - count * mean.square()) / max(count - 1, 1)
    std = (var.clamp(min=0) + ADAIN_EPS).sqrt()
    return mean.float().view(1, -1, 1, 1), std.float().view(1, -1, 1, 1)


def _adain_pixels(
    photo: Tensor, encoder: nn.Module, decoder: nn.Module, target: StyleStatistics, alpha: float, tile: int,
    report: Progress,
) -> Tensor:
    """Encode, AdaIN towards ``target``, mix with the content by ``alpha``, decode; tiled when large.

    Returns:
        (1, 3, H, W) float32 RGB, roughly [0, 1] (unclamped), CPU.
    """
    device, dtype = _device_and_dtype(decoder)
    height, width = photo.shape[2:]
    style_mean = target[0].to(device=device, dtype=dtype)
    style_std = target[1].to(device=device, dtype=dtype)

    def forward(x: Tensor, content_stats: tuple[Tensor, Tensor] | None) -> Tensor:
        h, w = x.shape[2:]
        features = encoder(_at_least(x).to(device=device, dtype=dtype))
        t = adain(features, style_mean, style_std, content_stats)
        if alpha < 1:
            t = alpha * t + (1 - alpha) * features
        return decoder(t)[:, :, :h, :w].float().cpu()

    if _fits(photo, tile):
        report(0.1, "stylize")
        return forward(photo, None)[:, :, :height, :width]

    mean, std = _content_statistics(photo, encoder, tile)
    content_stats = (mean.to(dtype), std.to(dtype))
    report(0.3, "statistics")
    return run_tiled(
        photo,
        lambda x, _tile: forward(x, content_stats),
        tile=tile,
        margin=ADAIN_MARGIN,
        feather=FEATHER,
        align=ADAIN_ALIGN,
        on_tile=lambda done, total: report(0.3 + 0.6 * done / total, "stylize"),
    )


def stylize_adain(
    image: Image.Image,
    encoder: nn.Module,
    decoder: nn.Module,
    styles: Sequence[tuple[StyleStatistics, float]],
    options: StyleOptions = StyleOptions(),
    *,
    progress: Progress | None = None,
) -> Image.Image:
    """Paint a photo in a blend of arbitrary styles with AdaIN.

    The blend is AdaIN with the weighted mix of the styles' statistics
    (identical to pytorch-AdaIN's mix of AdaIN outputs, since AdaIN is affine
    in them); the strength is the paper's content-style trade-off alpha,
    ``alpha AdaIN(f(c), s) + (1 - alpha) f(c)`` in feature space, decoded.

    Args:
        image: any Pillow mode and size.
        encoder, decoder: eval-mode ``adain-vgg`` encoder and AdaIN decoder,
            on the same device.
        styles: ``((mean, std), weight)`` per style image, statistics from
            :func:`style_statistics`; weights non-negative, not all zero.
        options, progress: as :func:`stylize_multistyle`.

    Returns:
        An "RGB" image, the size of ``image`` (or scaled to ``options.max_side``).

    Raises:
        InferenceError: no styles or bad weights, or the GPU ran out of memory.
    """
    report = progress or _quiet
    target = mix_statistics([stats for stats, _ in styles], [weight for _, weight in styles])
    photo = _prepare(image, options.max_side)
    report(0.05, "prepare")
    stylised = _guarded(
        lambda: _adain_pixels(photo, encoder, decoder, target, options.strength, options.tile, report)
    )
    return _finish(stylised, photo, options, report)


def render(image: Image.Image, nets, options: StyleOptions = StyleOptions(),
           progress: Progress | None = None) -> Image.Image:
    """The Stylize tool's entry point: paint ``image`` with whichever kind of style model ``nets`` holds.

    ``nets.spec.arch`` decides: "single" (:func:`stylize_transformer`),
    "multistyle" (:func:`stylize_multistyle` with ``options.style_weights``)
    or "adain" (:func:`stylize_adain` with ``options.style_statistics`` and
    ``nets.encoder``).

    Args:
        image: any Pillow mode and size.
        nets: :class:`inference.engine.Nets` of a style model.
        options: strength, colour preservation, size, tiling and the blend.
        progress: called as ``progress(fraction, stage)``; may raise to cancel.

    Returns:
        An "RGB" image, the size of ``image`` (or scaled to ``options.max_side``).

    Raises:
        InferenceError: not a style model, a bad blend, or the GPU ran out of memory.
    """
    arch = nets.spec.arch
    if arch == "single":
        return stylize_transformer(image, nets.net, options, progress=progress)
    if arch == "multistyle":
        return stylize_multistyle(image, nets.net, options.style_weights, options, progress=progress)
    if arch == "adain":
        if nets.encoder is None:
            raise InferenceError("An AdaIN decoder needs its encoder.")
        return stylize_adain(image, nets.encoder, nets.net, options.style_statistics, options, progress=progress)
    raise InferenceError(f"{nets.spec.name!r} is not a style model of its own.")
