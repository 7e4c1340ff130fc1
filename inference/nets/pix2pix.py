"""pix2pix (Isola et al., CVPR 2017): U-Net generator and 70x70 PatchGAN discriminator.

The module tree mirrors junyanz/pytorch-CycleGAN-and-pix2pix exactly, so the
released ``latest_net_G.pth`` files load with ``strict=True`` and no key
remapping. The generator is built from the inside out, each
:class:`UnetSkipConnectionBlock` wrapping the next one in its ``model``
Sequential, which gives keys such as::

    model.model.0.weight                  outermost down-conv (ngf, input_nc, 4, 4)
    model.model.1.model.1.weight          second down-conv (2 ngf, ngf, 4, 4)
    model.model.1.model.2.running_mean    its BatchNorm
    model.model.1.model.3.model.1.weight  third down-conv ...
    model.model.3.weight, .bias           outermost up-conv (2 ngf, output_nc, 4, 4)

With BatchNorm the convolutions have no bias (the norm's beta plays that
part), except the outermost up-conv. The official ``unet_256`` (ngf 64,
8 downsamplings) has 54.4 M parameters and 82 state-dict keys, 13 of them
``num_batches_tracked``.

Inference modes (the official per-image BatchNorm statistics, dropout as a
noise source) are applied by :mod:`inference.pipelines.sketch` through
:meth:`UnetSkipConnectionBlock.forward_with`, without touching module state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn

from ..errors import CheckpointError, InferenceError
from .init import init_weights

NORMS = ("batch", "instance")
# How a U-Net level doubles the resolution on the way up: the official
# transposed 4x4 convolution, or a resize followed by a 3x3 convolution.
UPSAMPLINGS = ("transpose", "resize")
DROPOUT_P = 0.5  # pix2pix's dropout, applied in the ngf*8 middle blocks

LayerCall = Callable[[nn.Module, Tensor], Tensor]


def _norm_layer(norm: str, channels: int) -> nn.Module:
    """The official ``get_norm_layer``: BatchNorm with affine and running stats, or plain InstanceNorm."""
    if norm == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")


def _call(layer: nn.Module, x: Tensor) -> Tensor:
    return layer(x)


class ResizeConv2d(nn.Module):
    """Doubles the resolution by bilinear resizing, then a 3 x 3 convolution.

    A stride-2 transposed convolution gives each output pixel of a 2 x 2 cell
    a different subset of its kernel taps, which leaves a 2-pixel grid
    (checkerboard) in the pictures unless training happens to balance the
    taps (Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts",
    Distill 2016). Resizing first gives every output pixel the same kernel.
    The weights sit under ``conv``, so a file of this kind never loads into
    the official layout by mistake (and the other way round).
    """

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=bias,
                              padding_mode="replicate")

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, C, H, W) -> (N, out_channels, 2 H, 2 W)."""
        return self.conv(nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


def _upsampling(upsample: str, in_channels: int, out_channels: int, *, bias: bool) -> nn.Module:
    if upsample == "transpose":
        return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=bias)
    if upsample == "resize":
        return ResizeConv2d(in_channels, out_channels, bias=bias)
    raise ValueError(f"upsample must be one of {', '.join(UPSAMPLINGS)}, got {upsample!r}")


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level: down-sample, the inner levels, up-sample, concatenated with its input.

    ::

        x ─────────────── LeakyReLU(x) ───────────────┐
        └─ LeakyReLU ─ conv↓ ─ norm ─ [inner] ─ ReLU ─ conv↑ ─ norm [─ dropout] ─ cat

    The outermost level has no down activation or norm and ends in tanh
    without a skip; the innermost has no inner level and no down norm.
    Layer order and Sequential indices are the official ones (they are the
    checkpoint keys).

    Args:
        outer_nc: channels this level returns to its parent (before the concat).
        inner_nc: channels of the down-convolution.
        input_nc: channels coming in (default ``outer_nc``; the image for the outermost).
        submodule: the next level inwards.
        outermost, innermost: position of the level.
        norm: "batch" (pix2pix) or "instance".
        use_dropout: dropout (p=0.5) after the up-norm, official for the ngf*8 middle levels.
        upsample: "transpose" (official) or "resize" (:class:`ResizeConv2d`, no checkerboard).
    """

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int | None = None,
        submodule: UnetSkipConnectionBlock | None = None,
        *,
        outermost: bool = False,
        innermost: bool = False,
        norm: str = "batch",
        use_dropout: bool = False,
        upsample: str = "transpose",
    ) -> None:
        super().__init__()
        self.outermost = outermost
        self.innermost = innermost
        use_bias = norm == "instance"  # BatchNorm's beta makes a conv bias redundant
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        # In place, as in the official code: the skip connection therefore
        # carries LeakyReLU(x), not x, and the released weights expect that.
        downrelu = nn.LeakyReLU(0.2, inplace=True)
        uprelu = nn.ReLU(inplace=True)

        if outermost:
            upconv = _upsampling(upsample, inner_nc * 2, outer_nc, bias=True)
            layers = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = _upsampling(upsample, inner_nc, outer_nc, bias=use_bias)
            layers = [downrelu, downconv, uprelu, upconv, _norm_layer(norm, outer_nc)]
        else:
            upconv = _upsampling(upsample, inner_nc * 2, outer_nc, bias=use_bias)
            layers = [downrelu, downconv, _norm_layer(norm, inner_nc), submodule,
                      uprelu, upconv, _norm_layer(norm, outer_nc)]
            if use_dropout:
                layers.append(nn.Dropout(DROPOUT_P))
        if not innermost and submodule is None:
            raise ValueError("only the innermost block can be built without a submodule")
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, input_nc, H, W) -> (N, input_nc + outer_nc, H, W), or (N, outer_nc, H, W) when outermost."""
        return self.forward_with(x, _call)

    def forward_with(self, x: Tensor, call: LayerCall) -> Tensor:
        """The forward pass with every layer applied as ``call(layer, x)``.

        Inner blocks are passed to ``call`` as well; a ``call`` that wants to
        see their layers recurses with ``block.forward_with(x, call)``. This is
        how a pipeline changes what BatchNorm and dropout do for one call
        (per-image statistics, seeded masks) without changing module state,
        so concurrent callers of the same cached network cannot interfere.
        """
        layers = list(self.model)
        if self.outermost:
            for layer in layers:
                x = call(layer, x)
            return x
        # The first layer is the (in-place) LeakyReLU: its output is both
        # the skip and the input of the down-conv.
        skip = call(layers[0], x)
        y = skip
        for layer in layers[1:]:
            y = call(layer, y)
        return torch.cat([skip, y], 1)


class UnetGenerator(nn.Module):
    """The pix2pix U-Net: ``num_downs`` nested :class:`UnetSkipConnectionBlock` levels.

    Widths go ngf, 2 ngf, 4 ngf, then 8 ngf for every further level; with
    ``num_downs`` = 8 a 256 x 256 image reaches 1 x 1 at the bottleneck, so
    inputs must be multiples of ``2 ** num_downs`` on each side.

    Args:
        input_nc, output_nc: image channels in and out (3 and 3 for every released model).
        num_downs: number of down-samplings (at least 5; 8 for unet_256, 7 for unet_128).
        ngf: filters of the outermost convolution.
        norm: "batch" (released models) or "instance".
        use_dropout: dropout in the 8 ngf middle levels (pix2pix trains with it).
        upsample: "transpose" (official; released files) or "resize" (resize-convolution,
            Atelier's bundled demos: no checkerboard).
    """

    def __init__(self, input_nc: int = 3, output_nc: int = 3, num_downs: int = 8, ngf: int = 64,
                 norm: str = "batch", use_dropout: bool = True, upsample: str = "transpose") -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5, got {num_downs}")
        self.num_downs = num_downs
        self.upsample = upsample
        level = {"norm": norm, "upsample": upsample}
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True, **level)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, use_dropout=use_dropout, **level)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, **level)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, **level)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, **level)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block,
                                             outermost=True, **level)

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (``2 ** num_downs``)."""
        return 2 ** self.num_downs

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, input_nc, H, W) in [-1, 1] -> (N, output_nc, H, W) in [-1, 1]."""
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    """The PatchGAN discriminator: classifies overlapping patches as real or fake.

    With ``n_layers`` = 3 each output value sees a 70 x 70 patch of the
    input. Conv(4, stride 2) + LeakyReLU, then ``n_layers - 1`` strided
    conv-norm-LeakyReLU, one stride-1 conv-norm-LeakyReLU, and a stride-1
    conv to one channel of logits. Keys ``model.0`` ... ``model.11`` as released.

    Args:
        input_nc: channels of the (condition, image) pair, 6 for RGB pix2pix.
        ndf: filters of the first convolution.
        n_layers: strided conv-norm layers after the first (3 gives 70 x 70).
        norm: "batch" or "instance".
    """

    def __init__(self, input_nc: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        use_bias = norm == "instance"
        layers: list[nn.Module] = [
            nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2, True),
        ]
        mult = 1
        for n in range(1, n_layers + 1):
            previous, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1  # the last norm layer keeps the resolution
            layers += [
                nn.Conv2d(ndf * previous, ndf * mult, kernel_size=4, stride=stride, padding=1, bias=use_bias),
                _norm_layer(norm, ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, pair: Tensor) -> Tensor:
        """pair: (N, input_nc, H, W) -> logits (N, 1, H/8 - 2, W/8 - 2) (30 x 30 at 256)."""
        return self.model(pair)


PatchDiscriminator = NLayerDiscriminator


def unet_256(*, ngf: int = 64, input_nc: int = 3, output_nc: int = 3, norm: str = "batch",
             use_dropout: bool = True) -> UnetGenerator:
    """The released pix2pix generator: 8 down-samplings, 256 x 256 in and out."""
    return UnetGenerator(input_nc, output_nc, num_downs=8, ngf=ngf, norm=norm, use_dropout=use_dropout)


def unet_128(*, ngf: int = 64, input_nc: int = 3, output_nc: int = 3, norm: str = "batch",
             use_dropout: bool = True) -> UnetGenerator:
    """The 7-level U-Net of the official code, for 128 x 128 images."""
    return UnetGenerator(input_nc, output_nc, num_downs=7, ngf=ngf, norm=norm, use_dropout=use_dropout)


def unet_small(*, ngf: int = 16, input_nc: int = 3, output_nc: int = 3, norm: str = "batch",
               use_dropout: bool = True) -> UnetGenerator:
    """Atelier's first bundled landscape demos: 6 levels, ngf 16, 256 x 256 in and out, fast on a CPU."""
    return UnetGenerator(input_nc, output_nc, num_downs=6, ngf=ngf, norm=norm, use_dropout=use_dropout)


def unet_small_resize(*, ngf: int = 16, input_nc: int = 3, output_nc: int = 3, norm: str = "batch",
                      use_dropout: bool = True) -> UnetGenerator:
    """``unet_small`` with resize-convolutions on the way up: today's bundled demos, no checkerboard."""
    return UnetGenerator(input_nc, output_nc, num_downs=6, ngf=ngf, norm=norm, use_dropout=use_dropout,
                         upsample="resize")


# spec.arch -> builder of that published configuration
ARCHITECTURES = {"unet_256": unet_256, "unet_128": unet_128, "unet_small": unet_small,
                 "unet_small_resize": unet_small_resize}
# (num_downs, ngf, upsample) of each builder, so a trained net is recorded under the builder that makes it.
_SHAPES = {(8, 64, "transpose"): "unet_256", (7, 64, "transpose"): "unet_128", (6, 16, "transpose"): "unet_small",
           (6, 16, "resize"): "unet_small_resize"}


def architecture_of(num_downs: int, ngf: int, upsample: str = "transpose") -> str:
    """The builder name for a U-Net of this depth, width and up-sampling, or "unet" when no builder makes it.

    A "unet" record carries its own ``num_downs``, ``ngf`` and ``upsample`` in its options.
    """
    return _SHAPES.get((num_downs, ngf, upsample), "unet")


def patch_discriminator(*, input_nc: int = 6, ndf: int = 64, norm: str = "batch") -> NLayerDiscriminator:
    """The 70 x 70 PatchGAN (``basic`` D of the official code, n_layers = 3)."""
    return NLayerDiscriminator(input_nc, ndf=ndf, n_layers=3, norm=norm)




# --- registry hooks -------------------------------------------------------------------------------

def _options(spec) -> Mapping:
    return getattr(spec, "options", None) or {}


def entry_for_net(spec, net: UnetGenerator):
    """``spec`` as ``net`` takes its input: another file for an entry (``--weights``, an earlier
    bundled file) may take the drawing alone where the entry lists style materials, whose planes
    (:func:`inference.pipelines.sketch_options.style_planes`) would not fit its first layer.

    Returns:
        ``spec`` itself when its ``input_nc`` is the net's; else a copy whose ``input_nc`` is,
        keeping ``style`` only if the net has exactly its planes.

    Raises:
        CheckpointError: the net takes neither a picture (1 or 3 channels) nor a picture and
            the entry's style planes.
    """
    import dataclasses

    options = dict(_options(spec))
    channels = net.model.model[0].in_channels
    if channels == int(options.get("input_nc", 3)):
        return spec
    materials = options.pop("style", None) or ()
    if materials and channels - 4 * len(materials) in (1, 3):
        options["style"] = materials
    elif channels not in (1, 3):
        raise CheckpointError(
            f"This generator takes {channels} input channels, which is neither a picture nor a picture "
            f"with the colours {getattr(spec, 'title', 'this model')} takes; it belongs to another model.")
    options["input_nc"] = channels
    return dataclasses.replace(spec, options=options)


def build(spec) -> UnetGenerator:
    """The registry's entry point: the generator ``spec.arch`` names, with the official random init.

    A published configuration is built by its builder (:data:`ARCHITECTURES`),
    with ``spec.options`` giving ``input_nc``, ``output_nc``, ``norm`` and
    ``use_dropout``. A model trained here records its own depth, width and
    up-sampling (``options["num_downs"]``, ``options["ngf"]``,
    ``options["upsample"]``, "transpose" when absent), which are used when its
    ``arch`` names no published configuration.

    Raises:
        InferenceError: an unknown ``arch`` with no recorded depth.
    """
    options = _options(spec)
    common = {"input_nc": int(options.get("input_nc", 3)), "output_nc": int(options.get("output_nc", 3)),
              "norm": str(options.get("norm", "batch")), "use_dropout": bool(options.get("use_dropout", True))}
    builder = ARCHITECTURES.get(spec.arch)
    if builder is not None:
        return init_weights(builder(**common))
    if "num_downs" not in options:
        raise InferenceError(f"No pix2pix generator called {spec.arch!r}.")
    net = UnetGenerator(num_downs=int(options["num_downs"]), ngf=int(options.get("ngf", 64)),
                        upsample=str(options.get("upsample", "transpose")), **common)
    return init_weights(net)


def _block_prefix(depth: int) -> str:
    """Key prefix of the Sequential of the block ``depth`` levels in (0 = outermost).

    The outermost block holds the next one at index 1, every other block at index 3:
    ``model.model``, ``model.model.1.model``, ``model.model.1.model.3.model``, ...
    """
    if depth == 0:
        return "model.model"
    return "model.model.1.model" + ".3.model" * (depth - 1)


def generator_shape(state_dict: Mapping[str, Tensor]) -> dict[str, object]:
    """Read a generator's hyper-parameters from its tensors.

    Returns:
        {"input_nc", "output_nc", "ngf", "num_downs", "norm", "upsample"} as the file implies them
        ("upsample" is "resize" when the up-convolutions sit under ``.conv``: :class:`ResizeConv2d`).

    Raises:
        CheckpointError: the keys are not those of an official U-Net generator.
    """
    first = state_dict.get("model.model.0.weight")
    upsample = "resize" if "model.model.3.conv.weight" in state_dict else "transpose"
    last = state_dict.get("model.model.3.conv.weight" if upsample == "resize" else "model.model.3.weight")
    if first is None or last is None or first.dim() != 4 or last.dim() != 4:
        keys = sorted(state_dict)
        hint = ""
        if "model.0.weight" in state_dict and "model.11.weight" in state_dict:
            hint = " It looks like a PatchGAN discriminator (latest_net_D.pth); use the generator file (latest_net_G.pth)."
        raise CheckpointError(
            "This is not a pix2pix U-Net generator checkpoint: it has no model.model.0.weight / "
            f"model.model.3.weight (it starts with {', '.join(keys[:3]) or 'nothing'}).{hint}"
        )
    depth = 0
    while f"{_block_prefix(depth + 1)}.1.weight" in state_dict:
        depth += 1
    num_downs = depth + 1
    if num_downs < 5:
        raise CheckpointError(
            f"This pix2pix generator has only {num_downs} levels where the U-Net has at least 5 "
            f"(no {_block_prefix(num_downs)}.1.weight)."
        )
    norm = "batch" if f"{_block_prefix(1)}.2.running_mean" in state_dict else "instance"
    # A transposed convolution stores (in, out, k, k), a convolution (out, in, k, k).
    return {
        "input_nc": int(first.shape[1]),
        "output_nc": int(last.shape[0] if upsample == "resize" else last.shape[1]),
        "ngf": int(first.shape[0]),
        "num_downs": num_downs,
        "norm": norm,
        "upsample": upsample,
    }


def from_state_dict(spec, state_dict: Mapping[str, Tensor]) -> UnetGenerator:
    """A generator shaped like ``state_dict`` (depth and widths read from its tensors), loaded strictly.

    Any official generator file loads, whatever its ``ngf``, ``num_downs``
    or channel counts; files without ``num_batches_tracked`` and fp16 files
    load too. Dropout layers (which hold no weights) follow
    ``spec.options["use_dropout"]`` (default True, as pix2pix trains).

    Raises:
        CheckpointError: not a U-Net generator, or a key or shape that does not fit.
    """
    from ..checkpoints import load_strict

    shape = generator_shape(state_dict)
    net = UnetGenerator(
        input_nc=shape["input_nc"], output_nc=shape["output_nc"], num_downs=shape["num_downs"],
        ngf=shape["ngf"], norm=shape["norm"], use_dropout=bool(_options(spec).get("use_dropout", True)),
        upsample=shape["upsample"],
    )
    return load_strict(net, state_dict)
