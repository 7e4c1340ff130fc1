"""Live Sketch: a drawing (line drawing, label map, photo) in, a pix2pix picture out.

Three pure steps, so the live worker can micro-batch frames from many people
into one forward pass and still give each of them exactly what a single call
would give:

- :func:`prepare`: one image -> (C, S, S) tensor in [-1, 1] (the official
  preprocessing: the half of an A|B pair, RGB, bicubic resize to the model's
  input size; label maps snapped to the palette; for a style-conditioned
  model, its style colours as constant planes after the image's channels);
- :func:`generate`: (N, C, S, S) -> (N, 3, S, S), one forward pass;
- :func:`finish`: (3, S, S) -> RGB picture.

Modes (:class:`SketchOptions`), against the official ``test.py``:

- norm "official", dropout on (the defaults): the official ``test.py``,
  which leaves the net in train mode: batch statistics (batch size 1) and
  dropout;
- norm "eval", dropout off (the default with "eval"): ``test.py --eval``
  (``model.eval()``: running statistics, no dropout);
- norm "official", dropout off: a stable picture for live drawing (no
  official equivalent);
- norm "eval", dropout on: running statistics with dropout, only when
  asked for (no official equivalent).

With ``norm="official"``, BatchNorm at batch size 1 over (H, W) is instance
normalisation with BatchNorm's affine parameters, which is how it is computed
here, per image, so a batch never mixes statistics between people; running
statistics are neither used nor updated. Dropout masks are drawn from a
per-image seed, so a frame gives the same picture alone or in a batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from ..data.palette import snap_to_palette
from ..errors import InferenceError
from ..images import to_rgb_or_l
from ..nets.pix2pix import UnetGenerator, UnetSkipConnectionBlock
from .sketch_options import check_style, picture_channels, style_planes

__all__ = ["SketchOptions", "prepare", "generate", "finish", "render", "snap_to_palette", "palette_colours"]

NORM_MODES = ("official", "eval")
DIRECTIONS = ("AtoB", "BtoA")


@dataclass(frozen=True)
class SketchOptions:
    """How to run a pix2pix generator.

    Attributes:
        norm: "official" (per-image BatchNorm statistics, as the official
            test.py) or "eval" (running statistics, as test.py --eval).
        dropout: dropout on (varies with the seed) or off (stable); None
            (the default) means what the official script does with ``norm``:
            on for "official", off for "eval". Always a bool after construction.
        direction: "AtoB" or "BtoA": which half of an A|B pair is the input.
        seed: dropout seed; None draws a fresh one per image and call.
        style: colours for a style-conditioned model, ``{material: "#rrggbb"}``
            (kept as sorted pairs); a material left out is the model's own
            choice. Models without a style ignore it.
    """

    norm: str = "official"
    dropout: bool | None = None
    direction: str = "AtoB"
    seed: int | None = None
    style: Mapping[str, str] | tuple = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", tuple(sorted(check_style(self.style).items())))
        if self.norm not in NORM_MODES:
            raise InferenceError(f"Unknown normalisation mode {self.norm!r}; use 'official' or 'eval'.")
        if self.direction not in DIRECTIONS:
            raise InferenceError(f"Unknown direction {self.direction!r}; use 'AtoB' or 'BtoA'.")
        if self.dropout is None:
            # test.py leaves the net in train mode (dropout on); --eval turns both off.
            object.__setattr__(self, "dropout", self.norm == "official")


# -- preparing the input ------------------------------------------------------------------------

def palette_colours(spec) -> np.ndarray | None:
    """The label colours of a label-map model as a (K, 3) uint8 array, or None.

    Reads ``spec.options["palette"]``: a list of {"name", "color": "#rrggbb"}.
    """
    options = getattr(spec, "options", None) or {}
    palette = options.get("palette")
    if options.get("kind") != "label_map" or not palette:
        return None
    colours = []
    for entry in palette:
        value = str(entry["color"]).lstrip("#")
        colours.append([int(value[i:i + 2], 16) for i in (0, 2, 4)])
    return np.asarray(colours, dtype=np.uint8)


def prepare(image: Image.Image, spec, *, direction: str = "AtoB", style=()) -> Tensor:
    """Turn a drawing into the generator's input, as the official data loader does.

    An A|B pair (width exactly twice the height, the official data set
    layout) gives its left half for "AtoB" and its right half for "BtoA";
    any other image is used whole. The picture is converted to RGB (grey
    for one-channel models), resized to ``spec.input_size`` squared with
    bicubic resampling, and for label-map models every pixel is snapped to
    the nearest palette colour.

    Args:
        image: any Pillow mode; transparency is composited on white.
        spec: the model's registry entry (``input_size``, ``options``).
        direction: "AtoB" or "BtoA".
        style: ``{material: "#rrggbb"}`` for a model whose ``options["style"]``
            lists materials (:func:`style_planes`); ignored by other models.

    Returns:
        (C, S, S) float32 in [-1, 1], C = ``spec.options.get("input_nc", 3)``:
        the picture's channels, then the style's constant planes.
    """
    if direction not in DIRECTIONS:
        raise InferenceError(f"Unknown direction {direction!r}; use 'AtoB' or 'BtoA'.")
    picture = to_rgb_or_l(image)
    width, height = picture.size
    if width == 2 * height:
        half = (0, 0, height, height) if direction == "AtoB" else (height, 0, width, height)
        picture = picture.crop(half)
    options = getattr(spec, "options", None) or {}
    materials = options.get("style") or ()
    channels = picture_channels(options)
    picture = picture.convert("L" if channels == 1 else "RGB")
    size = int(spec.input_size)
    if picture.size != (size, size):
        picture = picture.resize((size, size), Image.Resampling.BICUBIC)
    pixels = np.asarray(picture)
    palette = palette_colours(spec)
    if palette is not None and channels == 3:
        pixels = snap_to_palette(pixels, palette)
    # NumPy, not torch: live frames are prepared on many worker threads at once, and a torch op
    # on each would start an OpenMP team per thread, spinning on the cores the forward pass needs.
    # Same float32 operations, so the same values.
    values = pixels.astype(np.float32)
    values /= np.float32(127.5)
    values -= np.float32(1.0)
    values = values[None] if values.ndim == 2 else values.transpose(2, 0, 1)
    if materials:
        planes = style_planes(style, materials)
        values = np.concatenate([values, np.broadcast_to(planes[:, None, None], (len(planes), size, size))])
    return torch.from_numpy(np.ascontiguousarray(values))


# -- the forward pass -----------------------------------------------------------------------------

class _ModeCall:
    """Applies one layer the way the chosen mode wants; never changes the module.

    Passed to :meth:`UnetSkipConnectionBlock.forward_with`. Dropout masks
    come from one generator per image, drawn in the order the layers run,
    so image i of a batch gets exactly the masks a batch of one would.
    """

    def __init__(self, options: SketchOptions, generators: list[torch.Generator] | None) -> None:
        self.official = options.norm == "official"
        self.generators = generators

    def __call__(self, layer: nn.Module, x: Tensor) -> Tensor:
        if isinstance(layer, UnetSkipConnectionBlock):
            return layer.forward_with(x, self)
        if isinstance(layer, nn.BatchNorm2d):
            if self.official:
                return F.instance_norm(x, weight=layer.weight, bias=layer.bias, eps=layer.eps)
            return F.batch_norm(x, layer.running_mean, layer.running_var, layer.weight, layer.bias,
                                training=False, momentum=0.0, eps=layer.eps)
        if isinstance(layer, nn.Dropout):
            if self.generators is None or layer.p == 0:
                return x
            return x * self._masks(x, layer.p)
        return layer(x)

    def _masks(self, x: Tensor, p: float) -> Tensor:
        """(N, C, H, W) keep-masks scaled by 1 / (1 - p), as nn.Dropout draws them on the CPU."""
        shape = (1, *x.shape[1:])
        # Drawn on the CPU: the same seed gives the same picture on every device.
        masks = [torch.empty(shape).bernoulli_(1 - p, generator=g) for g in self.generators]
        return torch.cat(masks).div_(1 - p).to(device=x.device, dtype=x.dtype)


def fresh_seed() -> int:
    """A random dropout seed (63 bits), for frames that did not ask for one."""
    return int.from_bytes(os.urandom(8), "little") >> 1


def generate(net: nn.Module, batch: Tensor, options: SketchOptions, seeds: Sequence[int | None]) -> Tensor:
    """Run the generator once on a batch, honouring the normalisation and dropout modes.

    Image i of the result depends only on image i of the batch and
    ``seeds[i]``: a batch of N equals N calls with one image each.

    Args:
        net: a :class:`~inference.nets.pix2pix.UnetGenerator` (any train/eval
            state; it is not changed). Runs on its device and dtype (a half
            precision and/or channels_last net on CUDA works).
        batch: (N, C, S, S) in [-1, 1], S a multiple of ``2 ** num_downs``.
        options: the modes; ``options.seed`` is not used here (see ``seeds``).
        seeds: one dropout seed per image (None: a fresh random one); ignored
            when ``options.dropout`` is False.

    Returns:
        (N, 3, S, S) float32 on the CPU, in [-1, 1].

    Raises:
        InferenceError: wrong shapes or network, or the GPU ran out of memory.
    """
    if not isinstance(net, UnetGenerator):
        raise InferenceError(f"Live Sketch needs a pix2pix U-Net generator, not a {type(net).__name__}.")
    if batch.dim() != 4:
        raise InferenceError(f"Expected a batch of images shaped (N, C, H, W), got shape {tuple(batch.shape)}.")
    if len(seeds) != batch.shape[0]:
        raise InferenceError(f"Got {len(seeds)} seeds for a batch of {batch.shape[0]} images; give one per image.")
    multiple = net.multiple
    if batch.shape[-1] % multiple or batch.shape[-2] % multiple:
        raise InferenceError(
            f"This generator needs images whose sides are multiples of {multiple} pixels; "
            f"got {batch.shape[-1]} x {batch.shape[-2]}."
        )
    generators = None
    if options.dropout:
        generators = [torch.Generator().manual_seed(fresh_seed() if s is None else int(s)) for s in seeds]

    parameter = next(net.parameters())
    try:
        with torch.inference_mode():
            x = batch.to(device=parameter.device, dtype=parameter.dtype)
            if parameter.dim() == 4 and parameter.is_contiguous(memory_format=torch.channels_last) \
                    and not parameter.is_contiguous():
                x = x.contiguous(memory_format=torch.channels_last)
            out = _ModeCall(options, generators)(net.model, x)
            result = out.float().cpu()
        out_of_memory = False
    except torch.cuda.OutOfMemoryError:
        out_of_memory = True
    if out_of_memory:
        # Outside the except block, so the frames holding the tensors are gone.
        torch.cuda.empty_cache()
        raise InferenceError("The GPU ran out of memory while drawing this picture. Try again in a moment.")
    return result


def finish(tensor: Tensor) -> Image.Image:
    """(3, H, W) in [-1, 1] (any device or dtype) -> "RGB" picture, rounding to the nearest level."""
    if tensor.dim() != 3 or tensor.shape[0] not in (1, 3):
        raise InferenceError(f"Expected one image shaped (3, H, W), got shape {tuple(tensor.shape)}.")
    # NumPy for the same reason as in prepare(); np.round, like torch.round, rounds halves to even.
    values = tensor.detach().float().cpu().numpy() + np.float32(1.0)
    values *= np.float32(127.5)
    array = np.clip(np.round(values), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if array.shape[2] == 1:
        return Image.fromarray(array[:, :, 0], "L").convert("RGB")
    return Image.fromarray(np.ascontiguousarray(array), "RGB")


def render(image: Image.Image, nets, options: SketchOptions = SketchOptions(), progress=None, *,
           forward: Callable[[Tensor, int | None], Tensor] | None = None) -> Image.Image:
    """The Sketch tool's entry point: :func:`prepare`, one forward pass, :func:`finish`.

    The drawing gets ``options.seed`` as its dropout seed (a fresh one if
    None), so the result equals what any other caller gets for the same
    drawing, model, modes and seed, alone or batched with others.

    Args:
        image: a drawing, any size and mode.
        nets: :class:`inference.engine.Nets` of a pix2pix model (input size, palette, generator).
        options: modes, direction, seed.
        progress: optional ``(fraction, stage)`` callback; may raise to cancel.
        forward: ``(input (C, S, S), seed) -> output (3, S, S)``, the forward step;
            default :func:`generate` on ``nets.net`` alone. The live path passes a
            micro-batcher that runs :func:`generate` on many frames at once.

    Returns:
        An "RGB" picture of ``nets.spec.input_size`` squared.
    """
    report = progress or (lambda fraction, stage: None)
    tensor = prepare(image, nets.spec, direction=options.direction, style=dict(options.style))
    report(0.3, "forward")
    if forward is None:
        output = generate(nets.net, tensor.unsqueeze(0), options, [options.seed])[0]
    else:
        output = forward(tensor, options.seed)
    picture = finish(output)
    report(1.0, "done")
    return picture
