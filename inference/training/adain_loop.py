"""The AdaIN decoder's trainer (``train adain``) for the harness: losses, steps, evaluation, install.

Kept apart from :mod:`inference.training.adain`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ..nets.adain import STYLE_LAYERS, AdaINDecoder, adain, mean_std
from ..nets.vgg import NormalisedVGG19
from .adain import AdaINTraining
from .folders import PictureCrops, list_images
from .harness import (Installation, Schedule, Trainer, descend, epoch_order, fit, safetensors_bytes,
                      step_generator)


@dataclass
class TrainResult:
    """What :func:`train` produced: the decoder, the evaluation loss before and after, the log rows after step 0."""

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


class AdaINTrainer(Trainer):
    """Huang & Belongie's decoder, trained for a fixed encoder on photo/painting pairs."""

    name = "adain"
    losses = ("content", "style", "total")
    metrics = ("eval",)
    curves = {"training losses": {"content": "content", "style": "style"},
              "total loss": {"training": "total", "evaluation": "eval"}}

    def __init__(self, config: AdaINTraining, encoder: NormalisedVGG19) -> None:
        self.config = config
        self.encoder = encoder
        load_size = 2 * config.image_size
        self.photos = PictureCrops(list_images(config.content), config.image_size, load_size)
        self.paintings = PictureCrops(list_images(config.styles), config.image_size, load_size)

    def settings(self) -> dict:
        c = self.config
        return {"photos": len(self.photos), "paintings": len(self.paintings), "image_size": c.image_size,
                "batch_size": c.batch_size, "seed": c.seed}

    def build(self, device):
        self.device = device
        self.encoder = self.encoder.to(device).eval().requires_grad_(False)
        self.decoder = AdaINDecoder().to(device)
        self.optimizer = torch.optim.Adam(self.decoder.parameters(), lr=self.config.lr)
        self.eval_photos = self.photos.fixed(self.config.eval_pairs).to(device)
        self.eval_paintings = self.paintings.fixed(self.config.eval_pairs).to(device)
        return {"decoder": self.decoder}, {"decoder": self.optimizer}

    def steps_per_epoch(self) -> int:
        return max(1, len(self.photos) // self.config.batch_size)

    def batches(self, epoch: int, start: int):
        """(photos, paintings) pairs, each (N, 3, S, S) in [0, 1]; paintings drawn at random."""
        order = epoch_order(len(self.photos), self.config.batch_size, self.config.seed, epoch)
        for index in range(start, len(order)):
            generator = step_generator(self.config.seed, epoch, index)
            paintings = torch.randint(0, len(self.paintings), (len(order[index]),), generator=generator).tolist()
            yield self.photos.batch(order[index], generator), self.paintings.batch(paintings, generator)

    def train_step(self, batch, step: int, epoch: int):
        for group in self.optimizer.param_groups:  # pytorch-AdaIN's inverse-time decay
            group["lr"] = self.config.lr / (1.0 + self.config.lr_decay * (step - 1))
        photos, paintings = (part.to(self.device) for part in batch)
        losses, _ = adain_loss(self.encoder, self.decoder, photos, paintings, self.config)
        return descend(self.optimizer, losses)

    def evaluate(self) -> dict[str, float]:
        return {"eval": evaluate(self.encoder, self.decoder, self.eval_photos, self.eval_paintings, self.config)[0]}

    def sample_rows(self):
        """First row: the evaluation paintings; then per photo: the photo and its rendering in each painting's style."""
        _, outputs = evaluate(self.encoder, self.decoder, self.eval_photos, self.eval_paintings, self.config)
        header = [torch.ones_like(self.eval_photos[0]), *self.eval_paintings]
        return [header] + [[self.eval_photos[i], *(out[i] for out in outputs)] for i in range(len(self.eval_photos))]

    def installation(self, name: str) -> Installation:
        """``<name>.safetensors`` in pytorch-AdaIN's ``decoder.pth`` keys, paired with the adain-vgg encoder."""
        return Installation(
            weights=safetensors_bytes(self.decoder.state_dict(), {"format": "adain-decoder", "encoder": "adain-vgg"}),
            facts={
                "family": "adain", "task": "stylize", "arch": "adain",
                "title": f"{name} (AdaIN, any style image)", "input_size": 512,
                "paper": "Huang, Belongie. Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization. ICCV 2017.",
                "description": "An AdaIN decoder trained here; takes its style from any picture.",
                "options": {"encoder": "adain-vgg", "trained": time.strftime("%Y-%m-%d")},
            },
        )


def train(
    config: AdaINTraining,
    encoder: NormalisedVGG19,
    *,
    device: torch.device | str = "cpu",
    run_folder: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train an AdaIN decoder for ``encoder`` on ``config.content`` and ``config.styles`` (no install).

    Returns:
        The trained decoder (eval mode, CPU) and the evaluation loss before
        and after (mean over fixed photo x painting pairs).
    """
    trainer = AdaINTrainer(config, encoder)
    run = fit(trainer, Schedule(steps=config.steps, log_every=config.interval), run_folder, device=device,
              seed=config.seed, progress=progress)
    return TrainResult(trainer.decoder.eval().cpu(), run.step, run.before["eval"], run.after["eval"], run.history[1:])


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
                f"Give --encoder FILE, or install it. {spec.install_help}",
            )
        path = spec.path
    return net_from_state_dict(spec, read_state_dict(path))
