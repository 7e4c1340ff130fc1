"""Pixel recursive super-resolution (Dahl, Norouzi & Shlens 2017).

Two networks whose logits are added to give a 256-way softmax per
sub-pixel of the high-resolution image:

* :class:`ConditioningNet` sees the low-resolution input: ResNet blocks,
  then stride-2 transposed convolutions (each followed by more blocks) up to
  the output size, then a 1x1 conv to 256 logits per sub-pixel;
* :class:`GatedPixelCNN`, the prior, sees the high-resolution image itself,
  causally: a gated PixelCNN (van den Oord et al. 2016) with a vertical stack
  (the rows above) and a horizontal stack (the pixels to the left in this
  row), its channels split into R, G and B groups so that the logits of a
  pixel's G see its R but not its B. Sub-pixels are ordered in raster order,
  R, G, B within a pixel.

Training loss (:meth:`PixelRecursiveSR.loss`): cross-entropy of the summed
logits plus cross-entropy of the conditioning logits alone. Sampling draws
every sub-pixel in order with Gumbel-max on pre-drawn uniforms, one
``torch.Generator`` per sample, so the naive sampler (the whole prior once
per sub-pixel) and the incremental one (:meth:`PixelRecursiveSR.sample`:
the vertical stack one row at a time, the horizontal stack one pixel at a
time from cached activations) draw the same samples for the same seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LEVELS = 256
CHANNELS = 3  # R, G, B: the sub-pixel order within a pixel


def to_unit(levels: Tensor) -> Tensor:
    """Pixel levels 0..255 (any dtype) -> floats in [-1, 1], the networks' input scale."""
    return levels.float() / 127.5 - 1.0


# -- conditioning network ---------------------------------------------------------------------------


class ResNetBlock(nn.Module):
    """Two 3x3 convs with batch norm and a skip: (N, C, H, W) -> same."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(features)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(features)

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        return F.relu(x + self.norm2(self.conv2(y)))


class ConditioningNet(nn.Module):
    """Low-res image -> 256 logits per high-res sub-pixel.

    Args:
        scale: output / input size, a power of two (4 in the paper: 8x8 -> 32x32).
        features: channels throughout.
        blocks: ResNet blocks at the input resolution (the paper uses 6).
        up_blocks: ResNet blocks after each transposed convolution.

    Input (N, 3, h, w) in [-1, 1]; output (N, 256, 3, h * scale, w * scale).
    """

    def __init__(self, scale: int = 4, features: int = 32, blocks: int = 6, up_blocks: int = 1) -> None:
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of two, at least 2; got {scale}")
        self.scale = scale
        self.stem = nn.Conv2d(CHANNELS, features, 3, padding=1)
        self.blocks = nn.Sequential(*(ResNetBlock(features) for _ in range(blocks)))
        layers: list[nn.Module] = []
        for _ in range(scale.bit_length() - 1):
            layers += [nn.ConvTranspose2d(features, features, 4, stride=2, padding=1), nn.BatchNorm2d(features),
                       nn.ReLU()]
            layers += [ResNetBlock(features) for _ in range(up_blocks)]
        self.up = nn.Sequential(*layers)
        self.head = nn.Conv2d(features, CHANNELS * LEVELS, 1)

    def forward(self, low_res: Tensor) -> Tensor:
        x = self.up(self.blocks(F.relu(self.stem(low_res))))
        logits = self.head(x)
        n, _, height, width = logits.shape
        return logits.view(n, CHANNELS, LEVELS, height, width).transpose(1, 2)


# -- the PixelCNN prior -----------------------------------------------------------------------------


def _groups(channels: int) -> Tensor:
    """The R/G/B group (0, 1, 2) of each of ``channels`` channels: contiguous thirds."""
    return torch.arange(channels) * CHANNELS // channels


def _gated_groups(features: int) -> Tensor:
    """Groups of a gate's 2F pre-activation channels: [a (F) | b (F)], each in R/G/B thirds."""
    return _groups(features).repeat(2)


def _channel_mask(out_groups: Tensor, in_groups: Tensor, strict: bool) -> Tensor:
    """(out, in) mask: an output of group g may see inputs of groups < g (strict, mask A) or <= g (mask B)."""
    if strict:
        return (in_groups[None, :] < out_groups[:, None]).float()
    return (in_groups[None, :] <= out_groups[:, None]).float()


class GatedLayer(nn.Module):
    """One gated PixelCNN layer: a vertical and a horizontal stack.

    Vertical: a (k//2 + 1) x k conv over the rows up to and including this
    one, gated (``tanh(a) * sigmoid(b)``); the horizontal stack receives its
    pre-activation from the row above (shifted down one row) through a 1x1
    ``link``, so it only ever sees rows strictly above. Horizontal: a
    1 x (k//2 + 1) conv over this row up to and including the current pixel,
    whose current-pixel taps are masked by R/G/B group (mask A in the first
    layer, B after), then the gate and a masked 1x1 conv, with a residual
    connection after the first layer.
    """

    def __init__(self, in_channels: int, features: int, kernel: int, first: bool) -> None:
        super().__init__()
        if features % CHANNELS:
            raise ValueError(f"features must be a multiple of {CHANNELS}, got {features}")
        self.features, self.kernel, self.first = features, kernel, first
        self.v_height, self.h_width = kernel // 2 + 1, kernel // 2 + 1
        self.v_conv = nn.Conv2d(in_channels, 2 * features, (self.v_height, kernel))
        self.h_conv = nn.Conv2d(in_channels, 2 * features, (1, self.h_width))
        self.link = nn.Conv2d(2 * features, 2 * features, 1)
        self.h_out = nn.Conv2d(features, features, 1)
        in_groups = _groups(in_channels)
        h_mask = torch.ones(2 * features, in_channels, 1, self.h_width)
        h_mask[:, :, 0, -1] = _channel_mask(_gated_groups(features), in_groups, strict=first)
        self.register_buffer("h_mask", h_mask, persistent=False)
        out_mask = _channel_mask(_groups(features), _groups(features), strict=False)[:, :, None, None]
        self.register_buffer("out_mask", out_mask, persistent=False)

    def h_weight(self) -> Tensor:
        return self.h_conv.weight * self.h_mask

    def out_weight(self) -> Tensor:
        return self.h_out.weight * self.out_mask

    def gate(self, pre: Tensor) -> Tensor:
        a, b = pre.split(self.features, dim=1)
        return torch.tanh(a) * torch.sigmoid(b)

    def forward(self, v: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        """(N, C_in, H, W) stacks -> (N, F, H, W) stacks."""
        pad = self.kernel // 2
        v_pre = self.v_conv(F.pad(v, (pad, pad, self.v_height - 1, 0)))
        v_next = self.gate(v_pre) if self.first else v + self.gate(v_pre)
        above = F.pad(v_pre, (0, 0, 1, 0))[:, :, :-1]
        h_pre = F.conv2d(F.pad(h, (self.h_width - 1, 0, 0, 0)), self.h_weight(), self.h_conv.bias)
        h_pre = h_pre + self.link(above)
        h_new = F.conv2d(self.gate(h_pre), self.out_weight(), self.h_out.bias)
        return v_next, h_new if self.first else h + h_new


class GatedPixelCNN(nn.Module):
    """The prior: a stack of :class:`GatedLayer` and a masked 1x1 head to 256 logits per sub-pixel.

    Args:
        features: channels of both stacks (a multiple of 3).
        layers: gated layers (20 in the paper).
        kernel: width of the convs (odd; the first layer's is ``first_kernel``).

    Input (N, 3, H, W) in [-1, 1]; output (N, 256, 3, H, W), the logits of
    each sub-pixel depending only on the sub-pixels before it.
    """

    def __init__(self, features: int = 48, layers: int = 20, kernel: int = 3, first_kernel: int = 7) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [GatedLayer(CHANNELS, features, first_kernel, first=True)]
            + [GatedLayer(features, features, kernel, first=False) for _ in range(layers - 1)]
        )
        self.head1 = nn.Conv2d(features, features, 1)
        self.head2 = nn.Conv2d(features, CHANNELS * LEVELS, 1)
        groups = _groups(features)
        self.register_buffer("head1_mask", _channel_mask(groups, groups, False)[:, :, None, None], persistent=False)
        out_groups = torch.arange(CHANNELS).repeat_interleave(LEVELS)
        self.register_buffer("head2_mask", _channel_mask(out_groups, groups, False)[:, :, None, None],
                             persistent=False)

    def head(self, h: Tensor) -> Tensor:
        """(N, F, H, W) top of the horizontal stack -> (N, 256, 3, H, W) logits."""
        x = F.conv2d(F.relu(h), self.head1.weight * self.head1_mask, self.head1.bias)
        x = F.conv2d(F.relu(x), self.head2.weight * self.head2_mask, self.head2.bias)
        n, _, height, width = x.shape
        return x.view(n, CHANNELS, LEVELS, height, width).transpose(1, 2)

    def forward(self, image: Tensor) -> Tensor:
        v = h = image
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h)


def _levels_last(logits: Tensor) -> Tensor:
    """(N, 256, 3, H, W) -> (N * 3 * H * W, 256), contiguous: a softmax over strided levels is slow on CPU."""
    return logits.permute(0, 2, 3, 4, 1).reshape(-1, LEVELS)


# -- the whole model --------------------------------------------------------------------------------


class PixelRecursiveSR(nn.Module):
    """Conditioning network + PixelCNN prior, logits summed.

    Args:
        scale: upscaling factor (4: 8x8 -> 32x32 as in the paper).
        cond_features, cond_blocks, cond_up_blocks: see :class:`ConditioningNet`.
        prior_features, prior_layers, prior_kernel: see :class:`GatedPixelCNN`.
    """

    def __init__(self, scale: int = 4, cond_features: int = 32, cond_blocks: int = 6, cond_up_blocks: int = 1,
                 prior_features: int = 48, prior_layers: int = 20, prior_kernel: int = 3) -> None:
        super().__init__()
        self.scale = scale
        self.conditioning = ConditioningNet(scale, cond_features, cond_blocks, cond_up_blocks)
        self.prior = GatedPixelCNN(prior_features, prior_layers, prior_kernel)

    def forward(self, low_res: Tensor, high_res: Tensor) -> tuple[Tensor, Tensor]:
        """Teacher-forced logits.

        Args:
            low_res: (N, 3, h, w) levels 0..255.
            high_res: (N, 3, h * scale, w * scale) levels 0..255.

        Returns:
            (summed logits, conditioning logits), each (N, 256, 3, H, W).
        """
        conditioning = self.conditioning(to_unit(low_res))
        return conditioning + self.prior(to_unit(high_res)), conditioning

    def loss(self, low_res: Tensor, high_res: Tensor) -> tuple[Tensor, dict[str, float]]:
        """The paper's loss: CE(prior + conditioning logits) + CE(conditioning logits), in nats per sub-pixel."""
        summed, conditioning = self(low_res, high_res)
        target = high_res.long().reshape(-1)
        total_ce = F.cross_entropy(_levels_last(summed), target)
        conditioning_ce = F.cross_entropy(_levels_last(conditioning), target)
        loss = total_ce + conditioning_ce
        return loss, {"loss": loss.item(), "ce": total_ce.item(), "ce_conditioning": conditioning_ce.item()}

    # -- sampling -------------------------------------------------------------------------------

    def _prepare(self, low_res: Tensor, seeds: Sequence[int], temperature: float):
        """Conditioning logits for each sample and its Gumbel noise: (S, 256, 3, H, W) each (noise None at tau 0)."""
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        count = len(seeds)
        if low_res.shape[0] == 1:
            low_res = low_res.expand(count, -1, -1, -1)
        elif low_res.shape[0] != count:
            raise ValueError(f"{low_res.shape[0]} inputs for {count} seeds")
        dtype = next(self.parameters()).dtype
        conditioning = self.conditioning(to_unit(low_res).to(dtype))
        _, _, _, height, width = conditioning.shape
        noise = None
        if temperature > 0:
            uniforms = []
            for seed in seeds:
                generator = torch.Generator().manual_seed(int(seed))
                # Drawn in raster order, R, G, B, then the 256 levels: one stream per sample.
                u = torch.rand((height, width, CHANNELS, LEVELS), generator=generator, dtype=torch.float64)
                uniforms.append(u.permute(3, 2, 0, 1))
            u = torch.stack(uniforms).to(conditioning.device).clamp_(1e-12, 1.0 - 1e-12)
            noise = (-torch.log(-torch.log(u))).to(dtype)
        return conditioning, noise

    @staticmethod
    def _draw(logits: Tensor, noise: Tensor | None, temperature: float) -> Tensor:
        """Gumbel-max: (S, 256) logits and noise -> (S,) levels; argmax at temperature 0."""
        if noise is None:
            return logits.argmax(dim=1)
        return (logits / temperature + noise).argmax(dim=1)

    @torch.no_grad()
    def sample_naive(self, low_res: Tensor, seeds: Sequence[int], temperature: float = 1.0,
                     on_row: Callable[[int, int], None] | None = None) -> Tensor:
        """Draw ``len(seeds)`` samples, running the whole prior once per sub-pixel (the reference sampler).

        Args:
            low_res: (1 or S, 3, h, w) levels 0..255.
            seeds: one seed per sample.
            temperature: softmax(logits / temperature); 0 gives the most likely level at each step.

        Returns:
            (S, 3, h * scale, w * scale) int64 levels.
        """
        conditioning, noise = self._prepare(low_res, seeds, temperature)
        count, _, _, height, width = conditioning.shape
        image = torch.zeros((count, CHANNELS, height, width), dtype=torch.long, device=conditioning.device)
        for i in range(height):
            for j in range(width):
                for c in range(CHANNELS):
                    prior = self.prior(to_unit(image).to(conditioning.dtype))
                    logits = prior[:, :, c, i, j] + conditioning[:, :, c, i, j]
                    image[:, c, i, j] = self._draw(logits, None if noise is None else noise[:, :, c, i, j],
                                                   temperature)
            if on_row is not None:
                on_row(i + 1, height)
        return image

    @torch.no_grad()
    def sample(self, low_res: Tensor, seeds: Sequence[int], temperature: float = 1.0,
               on_row: Callable[[int, int], None] | None = None) -> Tensor:
        """Draw ``len(seeds)`` samples as one batch, recomputing only what each new sub-pixel changes.

        Same arguments, result and random numbers as :meth:`sample_naive`.
        Once per row, each layer's vertical stack is computed for the row
        just finished (from the cached rows above it) and so is its link
        into the horizontal stack. Once per pixel, each layer's horizontal
        conv over the pixels to its left (cached) is computed. For each
        sub-pixel only the current pixel's column runs through the layers:
        one small matrix product per layer, the gate and the 1x1 output,
        then the head for that colour, whose output weights are pre-scaled by
        1 / temperature and whose bias, conditioning logits and Gumbel noise
        are pre-added, so a draw is one matrix product and an argmax.

        Args:
            on_row: called as ``on_row(rows_done, rows)``; it may raise to cancel.
        """
        with torch.inference_mode():
            return self._sample_incremental(low_res, seeds, temperature, on_row)

    def _sample_incremental(self, low_res: Tensor, seeds: Sequence[int], temperature: float,
                            on_row: Callable[[int, int], None] | None) -> Tensor:
        conditioning, noise = self._prepare(low_res, seeds, temperature)
        count, _, _, height, width = conditioning.shape
        dtype, device = conditioning.dtype, conditioning.device
        prior = self.prior
        layers = list(prior.layers)
        features = layers[0].features
        scale = 1.0 / temperature if temperature > 0 else 1.0
        # (H, W, 3, S, 256): everything of a draw's score but the prior's head product.
        base = (conditioning + prior.head2.bias.view(1, CHANNELS, LEVELS).transpose(1, 2)[..., None, None]) * scale
        if noise is not None:
            base = base + noise
        base = base.permute(3, 4, 2, 0, 1).contiguous()
        head1 = (prior.head1.weight * prior.head1_mask)[:, :, 0, 0].t().contiguous()
        head1_bias = prior.head1.bias.expand(count, -1).contiguous()
        head2 = (prior.head2.weight * prior.head2_mask)[:, :, 0, 0] * scale
        head2 = [head2[c * LEVELS:(c + 1) * LEVELS].t().contiguous() for c in range(CHANNELS)]
        # Per layer: horizontal taps split into the pixels to the left (flattened (taps, C) windows) and the
        # current pixel, transposed for addmm; the gate's halves; the masked 1x1 output.
        pads, left_weights, current_weights, out_weights, out_biases = [], [], [], [], []
        for layer in layers:
            weight = layer.h_weight()[:, :, 0]  # (2F, C, taps)
            pad = layer.h_width - 1
            pads.append(pad)
            left_weights.append(weight[:, :, :pad].permute(0, 2, 1).reshape(2 * features, -1).t().contiguous())
            current_weights.append(weight[:, :, pad].t().contiguous())
            out_weights.append(layer.out_weight()[:, :, 0, 0].t().contiguous())
            out_biases.append(layer.h_out.bias.expand(count, -1).contiguous())
        # Layer inputs of the current row, pixels first, zero-padded on the left like the full forward:
        # index 0 is the image (unit scale), l > 0 the horizontal stack entering layer l.
        rows = [torch.zeros((count, pads[0] + width, CHANNELS), dtype=dtype, device=device)]
        rows += [torch.zeros((count, pads[l] + width, features), dtype=dtype, device=device)
                 for l in range(1, len(layers))]
        # The vertical stacks (index 0: the image) and their pre-activations, as in the full forward.
        v_stacks = [torch.full((count, CHANNELS, height, width), -1.0, dtype=dtype, device=device)]
        v_stacks += [torch.zeros((count, features, height, width), dtype=dtype, device=device) for _ in layers]
        v_pre = [torch.zeros((count, 2 * features, height, width), dtype=dtype, device=device) for _ in layers]
        unit = to_unit(torch.arange(LEVELS)).to(dtype=dtype, device=device)
        undrawn = unit[0].expand(count, CHANNELS)
        levels: list[Tensor] = []
        for i in range(height):
            if i > 0:
                self._vertical_row(layers, v_stacks, v_pre, i - 1)
            # The link from the row above plus the horizontal conv's bias: (W, S, 2F) per layer, once per row.
            links = []
            for l, layer in enumerate(layers):
                above = v_pre[l][:, :, i - 1:i] if i > 0 else torch.zeros_like(v_pre[l][:, :, :1])
                link = layer.link(above)[:, :, 0] + layer.h_conv.bias[None, :, None]
                links.append(link.permute(2, 0, 1).contiguous())
            for row in rows:
                row.zero_()
            for j in range(width):
                # The pixels to the left are final: their part of each layer's pre-activation, once per pixel.
                lefts = []
                for l in range(len(layers)):
                    if pads[l]:
                        window = rows[l][:, j:j + pads[l]].reshape(count, -1)
                        lefts.append(torch.addmm(links[l][j], window, left_weights[l]))
                    else:
                        lefts.append(links[l][j])
                pixel = undrawn.clone()
                for c in range(CHANNELS):
                    x = pixel
                    outputs = []
                    for l, layer in enumerate(layers):
                        pre = torch.addmm(lefts[l], x, current_weights[l])
                        gated = torch.tanh(pre[:, :features]) * torch.sigmoid(pre[:, features:])
                        h = torch.addmm(out_biases[l], gated, out_weights[l])
                        x = h if layer.first else x + h
                        outputs.append(x)
                    hidden = torch.relu(torch.addmm(head1_bias, torch.relu(x), head1))
                    level = torch.addmm(base[i, j, c], hidden, head2[c]).argmax(dim=1)
                    levels.append(level)
                    pixel[:, c] = unit[level]
                # The pixel is complete: its inputs to every layer join the cached rows.
                rows[0][:, pads[0] + j] = pixel
                for l in range(1, len(layers)):
                    rows[l][:, pads[l] + j] = outputs[l - 1]
            v_stacks[0][:, :, i] = rows[0][:, pads[0]:].transpose(1, 2)
            if on_row is not None:
                on_row(i + 1, height)
        image = torch.stack(levels, dim=1).view(count, height, width, CHANNELS)
        return image.permute(0, 3, 1, 2).contiguous()

    @staticmethod
    def _vertical_row(layers: Sequence[GatedLayer], v_stacks: list[Tensor], v_pre: list[Tensor], row: int) -> None:
        """Fill every layer's vertical stack (and its pre-activation) at ``row`` from the rows above it."""
        for l, layer in enumerate(layers):
            lo = row - layer.v_height + 1
            pad = layer.kernel // 2
            window = v_stacks[l][:, :, max(lo, 0):row + 1]
            window = F.pad(window, (pad, pad, max(-lo, 0), 0))
            pre = layer.v_conv(window)[:, :, 0]  # (S, 2F, W)
            v_pre[l][:, :, row] = pre
            gated = layer.gate(pre)
            v_stacks[l + 1][:, :, row] = gated if layer.first else v_stacks[l][:, :, row] + gated


# -- registry hooks ---------------------------------------------------------------------------------

# Constructor arguments of PixelRecursiveSR a model records in ``spec.options``.
SIZES = ("scale", "cond_features", "cond_blocks", "cond_up_blocks", "prior_features", "prior_layers", "prior_kernel")


def config_from_state_dict(state_dict) -> dict[str, int]:
    """Constructor arguments of :class:`PixelRecursiveSR` read from tensor shapes.

    ``conditioning.stem.weight`` is (cond_features, 3, 3, 3); the stride-2
    transposed convs (``conditioning.up.K.weight``, 4x4 kernels) are
    log2(scale); ``prior.layers.L.v_conv.weight`` is (2F, C_in, k//2 + 1, k).
    """
    stem = state_dict["conditioning.stem.weight"]
    blocks = {int(k.split(".")[2]) for k in state_dict if k.startswith("conditioning.blocks.")}
    up = {int(k.split(".")[2]) for k in state_dict if k.startswith("conditioning.up.")}
    ups = sum(1 for k in state_dict if k.startswith("conditioning.up.") and k.endswith(".weight")
              and state_dict[k].dim() == 4 and state_dict[k].shape[-1] == 4)
    if not ups:
        raise ValueError("no transposed convolutions in the conditioning network")
    # Per upsampling: ConvTranspose2d, BatchNorm2d, ReLU, then up_blocks ResNet blocks.
    per_up = (max(up) + 1) // ups
    layers = {int(k.split(".")[2]) for k in state_dict if k.startswith("prior.layers.")}
    v_conv = state_dict["prior.layers.1.v_conv.weight"] if 1 in layers else None
    return {
        "scale": 2 ** ups,
        "cond_features": int(stem.shape[0]),
        "cond_blocks": len(blocks),
        "cond_up_blocks": per_up - 3,
        "prior_features": int(state_dict["prior.layers.0.v_conv.weight"].shape[0] // 2),
        "prior_layers": len(layers),
        "prior_kernel": int(v_conv.shape[-1]) if v_conv is not None else 3,
    }


def build(spec) -> PixelRecursiveSR:
    """The registry's entry point: a PixelRecursiveSR with the sizes ``spec.options`` records, random weights."""
    options = getattr(spec, "options", None) or {}
    return PixelRecursiveSR(**{key: int(options[key]) for key in SIZES if key in options})


def from_state_dict(spec, state_dict) -> PixelRecursiveSR:
    """A PixelRecursiveSR shaped like ``state_dict`` (sizes read from its tensors), loaded strictly, in eval mode.

    fp16 files (the bundled demo) load as float32.

    Raises:
        CheckpointError: not a PRSR checkpoint, or keys and shapes that do not fit.
    """
    from ..checkpoints import load_strict
    from ..errors import CheckpointError

    try:
        config = config_from_state_dict(state_dict)
    except (KeyError, ValueError, IndexError) as exc:
        raise CheckpointError(f"These weights are not a pixel recursive super-resolution model ({exc}).") from None
    state_dict = {key: value.float() if value.is_floating_point() else value for key, value in state_dict.items()}
    return load_strict(PixelRecursiveSR(**config), state_dict).eval()
