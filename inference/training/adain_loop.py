"""The AdaIN decoder's training loop (``train adain``): losses, steps, evaluation, install.

Kept apart from :mod:`inference.training.adain`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ..modelspec import ModelSpec
from ..nets.adain import STYLE_LAYERS, AdaINDecoder, adain, mean_std
from ..nets.vgg import NormalisedVGG19
from .adain import AdaINTraining
from .style_run import ImageBatches, RunFolder, list_images


@dataclass
class TrainResult:
    """What a run produced: the decoder and the evaluation loss before and after."""

    decoder: AdaINDecoder
    steps: int
    eval_before: float
    eval_after: float
    history: list[dict] = field(default_factory=list)


def adain_loss(
    encoder: NormalisedVGG19, decoder: AdaINDecoder, photos: Tensor, paintings: Tensor, config: AdaINTraining
) -> tuple[dict[str, Tensor], Tensor]:
    """The two loss terms, their sum, and the decoded pictures.

    Args:
        photos, paintings: (N, 3, H, W) RGB in [0, 1], paired by index.

    Returns:
        ({"content", "style", "total"} scalar tensors with weights applied,
        decoded (N, 3, H, W) pictures).
    """
    with torch.no_grad():
        style_stages = encoder.stages(paintings)
        t = adain(encoder.encode(photos), *mean_std(style_stages["relu4_1"]))
    decoded = decoder(t)
    stages = encoder.stages(decoded)
    content = config.content_weight * F.mse_loss(stages["relu4_1"], t)
    style = content.new_zeros(())
    for layer in STYLE_LAYERS:
        mean, std = mean_std(stages[layer])
        target_mean, target_std = mean_std(style_stages[layer])
        style = style + F.mse_loss(mean, target_mean) + F.mse_loss(std, target_std)
    style = config.style_weight * style
    return {"content": content, "style": style, "total": content + style}, decoded


def evaluate(
    encoder: NormalisedVGG19, decoder: AdaINDecoder, photos: Tensor, paintings: Tensor, config: AdaINTraining
) -> tuple[float, list[Tensor]]:
    """Mean total loss of every photo with every painting on a fixed batch, and the renderings per painting."""
    was_training = decoder.training
    decoder.eval()
    totals, outputs = [], []
    with torch.no_grad():
        for painting in paintings:
            losses, decoded = adain_loss(encoder, decoder, photos, painting.expand_as(photos), config)
            totals.append(losses["total"].item())
            outputs.append(decoded)
    decoder.train(was_training)
    return sum(totals) / len(totals), outputs


def train(
    config: AdaINTraining,
    encoder: NormalisedVGG19,
    *,
    device: torch.device | str = "cpu",
    run_folder: RunFolder | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train an AdaIN decoder for ``encoder`` on ``config.content`` and ``config.styles``.

    Returns:
        The trained decoder (eval mode, CPU) and the evaluation loss before
        and after (mean over fixed photo x painting pairs).
    """
    from tqdm import tqdm

    device = torch.device(device)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    load_size = 2 * config.image_size
    photos = ImageBatches(list_images(config.content), config.image_size, load_size, generator)
    paintings = ImageBatches(list_images(config.styles), config.image_size, load_size, generator)

    encoder = encoder.to(device).eval().requires_grad_(False)
    decoder = AdaINDecoder().to(device).train()
    optimizer = torch.optim.Adam(decoder.parameters(), lr=config.lr)
    eval_photos = photos.fixed(config.eval_pairs).to(device)
    eval_paintings = paintings.fixed(config.eval_pairs).to(device)

    eval_before, _ = evaluate(encoder, decoder, eval_photos, eval_paintings, config)
    steps = min(config.steps, config.max_steps or config.steps)
    history: list[dict] = []
    running: dict[str, float] = {}
    since_log = 0
    with tqdm(total=steps, desc="train adain", unit="step", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for step in range(1, steps + 1):
            for group in optimizer.param_groups:  # pytorch-AdaIN's inverse-time decay
                group["lr"] = config.lr / (1.0 + config.lr_decay * (step - 1))
            losses, _ = adain_loss(
                encoder, decoder, photos.sample(config.batch_size).to(device),
                paintings.sample(config.batch_size).to(device), config,
            )
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            optimizer.step()

            for key, value in losses.items():
                running[key] = running.get(key, 0.0) + value.item()
            since_log += 1
            bar.update(1)
            bar.set_postfix(loss=f"{losses['total'].item():.4g}", refresh=False)
            if step % config.interval == 0 or step == steps:
                eval_loss, outputs = evaluate(encoder, decoder, eval_photos, eval_paintings, config)
                row = {key: value / since_log for key, value in running.items()} | {"eval": eval_loss}
                history.append({"step": step, **row})
                running, since_log = {}, 0
                if run_folder is not None:
                    run_folder.log(step, row)
                    header = [torch.ones_like(eval_photos[0]), *eval_paintings]
                    run_folder.save_samples(step, [header] + [
                        [eval_photos[i], *(out[i] for out in outputs)] for i in range(len(eval_photos))
                    ])
    return TrainResult(decoder.eval().cpu(), steps, eval_before, history[-1]["eval"], history)


def weights_bytes(result: TrainResult) -> bytes:
    """The trained decoder as safetensors (pytorch-AdaIN's ``decoder.pth`` keys)."""
    from .style_run import safetensors_bytes

    return safetensors_bytes(result.decoder.state_dict(), {"format": "adain-decoder", "encoder": "adain-vgg"})


def install(result: TrainResult, name: str, config: AdaINTraining, run_folder: Path | None = None) -> ModelSpec:
    """Install a trained decoder as ``name``: ``<name>.safetensors`` and a local registry entry."""
    from ..catalog.local import register_local
    from .style_run import install_weights

    data = weights_bytes(result)
    if run_folder is not None:
        (run_folder / f"{name}.safetensors").write_bytes(data)
    _, sha = install_weights(f"{name}.safetensors", data)
    spec = ModelSpec(
        name=name,
        family="adain",
        task="stylize",
        arch="decoder",
        title=f"{name} (AdaIN, any style image)",
        url="",
        filename=f"{name}.safetensors",
        sha256=sha,
        sha256_prefix=None,
        licence="NOASSERTION",
        input_size=512,
        default=False,
        paper="Huang, Belongie. Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization. ICCV 2017.",
        description="An AdaIN decoder trained here; takes its style from any picture.",
        options={"mode": "adain", "encoder": "adain-vgg", "steps": result.steps, "trained": time.strftime("%Y-%m-%d")},
    )
    register_local(spec)
    return spec


def load_encoder(path: Path | None, random: bool, seed: int) -> NormalisedVGG19:
    """The fixed encoder: random (tests), a given file, or the installed ``adain-vgg`` model."""
    from ..checkpoints import read_state_dict
    from ..errors import ModelNotInstalled
    from ..registry import get_spec, net_from_state_dict

    spec = get_spec("adain-vgg")
    if random:
        torch.manual_seed(seed)
        return NormalisedVGG19()
    if path is None:
        if not spec.installed:
            raise ModelNotInstalled(
                spec,
                f"Training needs the AdaIN encoder, which is not installed ({spec.path}). "
                f"Install it with: {spec.install_command} (or give --encoder FILE).",
            )
        path = spec.path
    return net_from_state_dict(spec, read_state_dict(path))
