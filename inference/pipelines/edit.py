"""Edit: the Neural Photo Editor (Brock, Lim, Ritchie, Weston, ICLR 2017) as pure functions.

A picture is edited through the latent code z of an Introspective Adversarial
Network (:mod:`inference.nets.npe`, 64 x 64):

- **contextual paintbrush** (:func:`paint`): the person paints a colour over a
  region; z takes gradient steps that pull the decoding towards that colour
  inside the brush, ``z <- z - step_size * grad_z sum(brush * (decode(z) - colour)^2) / sum(brush)``,
  so the network changes what it thinks is there (hair painted blond turns
  blond hair) rather than laying flat paint;
- **interpolation mask** (:func:`change_mask`, :func:`compose`): the output is
  ``M * decode(z) + (1 - M) * X``, X the picture being edited and M the
  Gaussian-blurred, clipped mean absolute difference between decode(z) and
  decode(z_start), so an edit of a photo keeps the photo outside the change;
- **starting points** (:func:`start_from_photo`, :func:`start_from_seed`,
  :func:`start_from_latent`): an uploaded photo (z_start = the encoder's mean,
  X = the photo's centre square at 64 x 64), a random face (z_start ~ N(0, I)
  from a seed, X = its decoding), a saved latent; :func:`interpolate` mixes
  two latents (the slider between two faces).

Entry point in the tool shape: :func:`render` (image, nets, :class:`EditOptions`)
starts from the photo (or a seed), applies the whole list of strokes and
composes the result; the command line and a gallery re-run call it.

The live path calls the steps one by one and keeps, per client, an
:class:`EditState`: ``z_start`` (1, Z) and its decoding (the mask's
reference), ``z`` (1, Z), the current latent after the strokes so far, and
``photo`` X (1, 3, 64, 64). A stroke message carries only the stroke; one
brush update is :func:`apply_stroke` (gradient steps for that stroke
segment) then :func:`compose` (decode, mask, blend). Undo keeps the z after
each whole stroke and goes back to one. Applying the same strokes to the same
start in the same order with the same options gives the same z as
:func:`render`, so a live session saved as (start, strokes, options)
re-runs to the same pixels.

Strokes are in picture coordinates: x, y in [0, 1] from the top-left corner,
radius as a fraction of the picture side, colour as 8-bit RGB.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..images import to_rgb_or_l
from ..nets.npe import IMAGE_SIZE
from .edit_options import EditOptions, Stroke, strokes_from_json

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class EditState:
    """What an edit in progress is (the live path keeps one per client).

    Attributes:
        z_start: (1, Z) the starting latent.
        start_decoding: (1, 3, 64, 64) decode(z_start), the mask's reference.
        z: (1, Z) the latent after the strokes so far.
        photo: (1, 3, 64, 64) in [0, 1], X: the picture being edited.
    """

    z_start: Tensor
    start_decoding: Tensor
    z: Tensor
    photo: Tensor


def _device(nets) -> torch.device:
    return next(nets.net.parameters()).device


def square_64(picture: Image.Image) -> Image.Image:
    """A picture's centre square resized to 64 x 64 "RGB" (what the network is trained on and edits)."""
    picture = to_rgb_or_l(picture).convert("RGB")
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    square = picture.crop((left, top, left + side, top + side))
    return square if side == IMAGE_SIZE else square.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)


def to_tensor(image: Image.Image) -> Tensor:
    """A picture's centre square at 64 x 64 as (1, 3, 64, 64) RGB in [0, 1] (what the network edits)."""
    pixels = np.asarray(square_64(image), dtype=np.float32) / 255.0
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0)


def to_image(picture: Tensor) -> Image.Image:
    """(1, 3, H, W) in [0, 1] -> "RGB" image."""
    pixels = picture[0].detach().clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(pixels)


def decode(nets, z: Tensor) -> Tensor:
    """(1, Z) -> (1, 3, 64, 64) in [0, 1], no gradients."""
    with torch.no_grad():
        return nets.net.decode(z)


def encode(nets, photo: Tensor) -> Tensor:
    """(1, 3, 64, 64) in [0, 1] -> the encoder's mean (1, Z)."""
    with torch.no_grad():
        return nets.net.encode(photo.to(_device(nets)))[0]


def random_latent(nets, seed: int) -> Tensor:
    """A random face's latent (1, Z): noise drawn on the CPU from ``seed`` (the same on every device), through the
    model's latent prior (:class:`inference.nets.npe.LatentPrior`)."""
    eps = torch.randn(1, nets.net.z_dim, generator=torch.Generator().manual_seed(int(seed)))
    with torch.no_grad():
        return nets.net.sample_latent(eps.to(_device(nets)))


def interpolate(z_a: Tensor, z_b: Tensor, t: float) -> Tensor:
    """(1 - t) z_a + t z_b: the slider between two faces (t in [0, 1])."""
    return torch.lerp(z_a, z_b, float(t))


def start_from_latent(nets, z: Tensor, photo: Tensor | None = None) -> EditState:
    """An edit starting at ``z`` (1, Z); X is ``photo`` or, without one, decode(z)."""
    z = z.detach().to(_device(nets))
    start = decode(nets, z)
    return EditState(z, start, z, start if photo is None else photo.to(start.device))


def start_from_seed(nets, seed: int) -> EditState:
    """An edit of the random face of ``seed`` (X = its decoding)."""
    return start_from_latent(nets, random_latent(nets, seed))


def start_from_photo(nets, image: Image.Image) -> EditState:
    """An edit of a photo: z_start = the encoder's mean, X = the photo's centre square at 64 x 64."""
    photo = to_tensor(image).to(_device(nets))
    return start_from_latent(nets, encode(nets, photo), photo)


def brush(stroke: Stroke, size: int = IMAGE_SIZE, device: torch.device | str = "cpu") -> Tensor:
    """Where a stroke paints, (1, 1, size, size) in [0, 1]: 1 along its path, falling to 0 at the radius.

    The weight is ``clip(1.5 * (1 - d / r), 0, 1)`` with d the distance of a
    pixel centre to the path (its segments), so the core is solid and the
    edge soft.
    """
    coords = (torch.arange(size, dtype=torch.float32, device=device) + 0.5) / size
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    points = torch.tensor(stroke.points, dtype=torch.float32, device=device)
    starts, ends = points[:-1] if len(points) > 1 else points, points[1:] if len(points) > 1 else points
    pixel = torch.stack([x, y], -1).reshape(-1, 1, 2)  # (P, 1, 2)
    along = ends - starts  # (S, 2)
    length2 = along.square().sum(-1).clamp_min(1e-12)
    t = ((pixel - starts) * along).sum(-1).div(length2).clamp(0, 1)  # (P, S)
    nearest = starts + t.unsqueeze(-1) * along
    distance = (pixel - nearest).norm(dim=-1).amin(-1)  # (P,)
    weight = (1.5 * (1.0 - distance / stroke.radius)).clamp(0, 1)
    return weight.reshape(1, 1, size, size)


def brush_error(decoding: Tensor, weight: Tensor, colour: Tensor) -> Tensor:
    """sum(brush * (decoding - colour)^2) / sum(brush): (1, 3, H, W), (1, 1, H, W), (1, 3, 1, 1) -> scalar."""
    return (weight * (decoding - colour).square()).sum() / weight.sum().clamp_min(1e-6)


def paint(z: Tensor, nets, stroke: Stroke, steps: int = 4, step_size: float = 12.0) -> Tensor:
    """The contextual paintbrush: ``steps`` gradient steps on z towards the stroke's colour inside the brush.

    Args:
        z: (1, Z) the current latent.
        nets: the edit model (``nets.net``: :class:`inference.nets.npe.IntrospectiveAdversarialNetwork`).
        stroke: where and which colour.
        steps, step_size: ``z <- z - step_size * grad_z brush_error(decode(z))``, ``steps`` times.

    Returns:
        The new latent (1, Z), detached.
    """
    device = z.device
    weight = brush(stroke, IMAGE_SIZE, device)
    colour = torch.tensor(stroke.colour, dtype=torch.float32, device=device).div(255.0).view(1, 3, 1, 1)
    z = z.detach()
    for _ in range(steps):
        z = z.requires_grad_(True)
        with torch.enable_grad():
            error = brush_error(nets.net.decode(z), weight, colour)
            (gradient,) = torch.autograd.grad(error, z)
        z = (z - step_size * gradient).detach()
    return z


def _gaussian_kernel(sigma: float, device: torch.device) -> Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(picture: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of (N, C, H, W), edges replicated; ``sigma`` <= 0 returns it as is."""
    if sigma <= 0:
        return picture
    kernel = _gaussian_kernel(sigma, picture.device)
    radius = len(kernel) // 2
    channels = picture.shape[1]
    horizontal = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    vertical = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    out = F.conv2d(F.pad(picture, (radius, radius, 0, 0), mode="replicate"), horizontal, groups=channels)
    return F.conv2d(F.pad(out, (0, 0, radius, radius), mode="replicate"), vertical, groups=channels)


def change_mask(decoding: Tensor, start_decoding: Tensor, options: EditOptions) -> Tensor:
    """The interpolation mask M, (1, 1, 64, 64) in [0, 1].

    ``clip(gain * (blur(mean_c |decoding - start_decoding|) - floor), 0, 1)``:
    where the decoding changed, 1; where it did not, exactly 0.
    """
    difference = (decoding - start_decoding).abs().mean(1, keepdim=True)
    smooth = gaussian_blur(difference, options.mask_sigma)
    return (options.mask_gain * (smooth - options.mask_floor)).clamp(0, 1)


def compose(state: EditState, nets, options: EditOptions) -> tuple[Tensor, Tensor]:
    """The edited picture ``M * decode(z) + (1 - M) * X`` and its mask M: (1, 3, 64, 64), (1, 1, 64, 64)."""
    decoding = decode(nets, state.z)
    mask = change_mask(decoding, state.start_decoding, options)
    return mask * decoding + (1 - mask) * state.photo, mask


def apply_stroke(state: EditState, nets, stroke: Stroke, options: EditOptions) -> EditState:
    """One brush update of the latent (a whole stroke, or one segment of it on the live path)."""
    return replace(state, z=paint(state.z, nets, stroke, options.steps, options.step_size))


def start(nets, image: Image.Image | None, options: EditOptions) -> EditState:
    """The starting point ``options`` names: the random face of ``seed``, else the photo; then the mix slider."""
    if options.seed is not None:
        state = start_from_seed(nets, options.seed)
    elif image is not None:
        state = start_from_photo(nets, image)
    else:
        raise ValueError("an edit starts from a photo or a seed")
    if options.mix_seed is not None and options.mix:
        z = interpolate(state.z_start, random_latent(nets, options.mix_seed), options.mix)
        state = start_from_latent(nets, z, None if options.seed is not None else state.photo)
    return state


def render(image: Image.Image | None, nets, options: EditOptions, progress: Progress | None = None) -> Image.Image:
    """Apply ``options.strokes`` to a photo (or the random face of ``options.seed``) and compose the result.

    Args:
        image: the photo (any mode and size; its centre square is edited at
            64 x 64), or None when ``options.seed`` is given.
        nets: from :func:`inference.engine.load_nets` for an edit model.
        options: strokes, starting point and brush settings.
        progress: optional ``(fraction, stage)`` callback.

    Returns:
        The edited picture, "RGB", 64 x 64.
    """
    state = start(nets, image, options)
    total = len(options.strokes)
    for index, stroke in enumerate(options.strokes):
        state = apply_stroke(state, nets, stroke, options)
        if progress is not None:
            progress((index + 1) / max(total, 1), "painting")
    picture, _ = compose(state, nets, options)
    return to_image(picture)


__all__ = ["EditOptions", "EditState", "Stroke", "apply_stroke", "brush", "brush_error", "change_mask", "compose",
           "decode", "encode", "gaussian_blur", "interpolate", "paint", "random_latent", "render", "square_64", "start",
           "start_from_latent", "start_from_photo", "start_from_seed", "strokes_from_json", "to_image", "to_tensor"]
