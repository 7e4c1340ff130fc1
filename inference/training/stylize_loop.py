"""The multi-style network's trainer (``train stylize``) for the harness: losses, steps, evaluation, install.

Kept apart from :mod:`inference.training.stylize`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..nets.transformer_net import MultiStyleTransformerNet
from ..nets.vgg import PERCEPTUAL_LAYERS, VGGFeatures, gram_matrix, vgg16
from . import BadOption
from .command import slug
from .folders import PictureCrops, list_images, read_rgb
from .harness import (Installation, Schedule, Trainer, descend, epoch_order, fit, safetensors_bytes,
                      step_generator)
from .stylize import CONTENT_LAYERS, StylizeTraining


@dataclass
class TrainResult:
    """What :func:`train` produced: the net, its styles, the evaluation loss before and after, the log rows after step 0."""

    net: MultiStyleTransformerNet
    style_names: list[str]
    style_paths: list[Path]
    steps: int
    eval_before: float
    eval_after: float
    history: list[dict] = field(default_factory=list)


def style_name(path: Path) -> str:
    """A style's name from its file name: "starry_night.jpg" -> "starry night"."""
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.stem


def total_variation(rgb: Tensor) -> Tensor:
    """Mean squared difference between vertical and horizontal neighbours of (N, 3, H, W)."""
    return (rgb[:, :, 1:, :] - rgb[:, :, :-1, :]).square().mean() + (rgb[:, :, :, 1:] - rgb[:, :, :, :-1]).square().mean()


def style_targets(vgg: VGGFeatures, style_images: list[Tensor]) -> list[dict[str, Tensor]]:
    """Gram matrices of each style image at the perceptual layers: [{layer: (1, C, C)}]."""
    with torch.no_grad():
        return [{k: gram_matrix(v) for k, v in vgg(image.unsqueeze(0), PERCEPTUAL_LAYERS).items()} for image in style_images]


def perceptual_loss(
    vgg: VGGFeatures,
    photos: Tensor,
    stylised: Tensor,
    target: dict[str, Tensor] | None,
    config: StylizeTraining,
) -> dict[str, Tensor]:
    """The three loss terms and their sum for one slot.

    Args:
        photos, stylised: (N, 3, H, W) RGB in [0, 1].
        target: the slot's Gram matrices, or None for the identity slot
            (content loss only).

    Returns:
        {"content", "style", "tv", "total"}: scalar tensors, weights applied.
    """
    with torch.no_grad():
        photo_features = vgg(photos, [config.content_layer])[config.content_layer]
    layers = [config.content_layer] if target is None else list(dict.fromkeys([*PERCEPTUAL_LAYERS, config.content_layer]))
    features = vgg(stylised, layers)
    content = config.content_weight * F.mse_loss(features[config.content_layer], photo_features)
    zero = content.new_zeros(())
    if target is None:
        return {"content": content, "style": zero, "tv": zero, "total": content}
    style = zero
    for layer in PERCEPTUAL_LAYERS:
        gram = gram_matrix(features[layer])
        style = style + F.mse_loss(gram, target[layer].expand_as(gram))
    style = config.style_weight * style
    tv = config.tv_weight * total_variation(stylised)
    return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def _one_hot(slot: int, slots: int, device: torch.device) -> Tensor:
    weights = torch.zeros(slots, device=device)
    weights[slot] = 1.0
    return weights


def _stylise(net: MultiStyleTransformerNet, photos: Tensor, slot: int) -> Tensor:
    """(N, 3, H, W) in [0, 1] through one slot -> (N, 3, H, W), roughly [0, 1]."""
    return net(photos * 255.0, _one_hot(slot, net.n_styles + 1, photos.device)) / 255.0


def evaluate(
    net: MultiStyleTransformerNet,
    vgg: VGGFeatures,
    photos: Tensor,
    targets: list[dict[str, Tensor]],
    config: StylizeTraining,
) -> tuple[float, list[Tensor]]:
    """Mean total loss over every slot on a fixed batch, and the stylised batches (slot order)."""
    was_training = net.training
    net.eval()
    totals, outputs = [], []
    with torch.no_grad():
        for slot in range(net.n_styles + 1):
            stylised = _stylise(net, photos, slot)
            target = targets[slot] if slot < net.n_styles else None
            totals.append(float(perceptual_loss(vgg, photos, stylised, target, config)["total"]))
            outputs.append(stylised)
    net.train(was_training)
    return sum(totals) / len(totals), outputs


class StylizeTrainer(Trainer):
    """Dumoulin et al.'s multi-style net: each step trains one slot (a style or the identity) on a batch of photos."""

    name = "stylize"
    losses = ("content", "style", "tv", "total")
    metrics = ("eval",)
    curves = {"training losses": {"content": "content", "style": "style", "tv": "tv"},
              "total loss": {"training": "total", "evaluation (all slots)": "eval"}}

    def __init__(self, config: StylizeTraining, vgg: VGGFeatures) -> None:
        if config.content_layer not in CONTENT_LAYERS:
            raise BadOption(f"The content layer must be one of {', '.join(CONTENT_LAYERS)}.")
        self.config = config
        self.vgg = vgg
        self.style_paths = list_images(config.styles)
        self.style_names = [style_name(p) for p in self.style_paths]
        self.photos = PictureCrops(list_images(config.content), config.image_size, config.image_size)

    def settings(self) -> dict:
        c = self.config
        return {"styles": self.style_names, "photos": len(self.photos), "image_size": c.image_size,
                "style_size": c.style_size, "batch_size": c.batch_size, "content_layer": c.content_layer,
                "seed": c.seed}

    def build(self, device):
        self.device = device
        self.vgg = self.vgg.to(device).eval().requires_grad_(False)
        self.targets = style_targets(self.vgg, [read_rgb(p, longer_side=self.config.style_size).to(device)
                                                for p in self.style_paths])
        self.net = MultiStyleTransformerNet(len(self.style_paths), self.style_names).to(device)
        self.eval_photos = self.photos.fixed(self.config.eval_photos).to(device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.config.lr)
        return {"net": self.net}, {"net": self.optimizer}

    def steps_per_epoch(self) -> int:
        return max(1, len(self.photos) // self.config.batch_size)

    def batches(self, epoch: int, start: int):
        """(photos (N, 3, S, S) in [0, 1], slot) pairs; the slot is drawn at random, identity included."""
        order = epoch_order(len(self.photos), self.config.batch_size, self.config.seed, epoch)
        for index in range(start, len(order)):
            generator = step_generator(self.config.seed, epoch, index)
            slot = int(torch.randint(0, self.net.n_styles + 1, (1,), generator=generator))
            yield self.photos.batch(order[index], generator), slot

    def train_step(self, batch, step: int, epoch: int):
        photos, slot = batch
        photos = photos.to(self.device)
        target = self.targets[slot] if slot < self.net.n_styles else None
        losses = perceptual_loss(self.vgg, photos, _stylise(self.net, photos, slot), target, self.config)
        return descend(self.optimizer, losses)

    def evaluate(self) -> dict[str, float]:
        return {"eval": evaluate(self.net, self.vgg, self.eval_photos, self.targets, self.config)[0]}

    def sample_rows(self):
        """One row per evaluation photo: the photo, then each slot's rendering."""
        _, outputs = evaluate(self.net, self.vgg, self.eval_photos, self.targets, self.config)
        return [[self.eval_photos[i], *(out[i] for out in outputs)] for i in range(len(self.eval_photos))]

    def installation(self, name: str) -> Installation:
        """``<name>.safetensors`` (metadata: style names, identity slot) and ``<name>-styles/NN-<style>.jpg``.

        The spec's options list the styles with their thumbnails (relative to
        the models directory), so the studio can show a style bank without
        loading torch.
        """
        from ..images import encode_image, thumbnail

        thumbnails = {}
        for index, (style, source) in enumerate(zip(self.style_names, self.style_paths)):
            with Image.open(source) as opened:
                small = thumbnail(opened, 128)
            thumbnails[f"{name}-styles/{index:02d}-{slug(style)}.jpg"] = encode_image(small, "JPEG", quality=88)
        net = self.net
        return Installation(
            weights=weights_bytes(net),
            facts={
                "family": "transformer_net", "task": "stylize", "arch": "multistyle",
                "title": f"{name} ({len(self.style_names)} styles)", "input_size": self.config.image_size,
                "paper": "Dumoulin, Shlens, Kudlur. A Learned Representation for Artistic Style. ICLR 2017.",
                "description": f"Trained here on {len(self.style_names)} styles: " + ", ".join(self.style_names) + ".",
                "options": {
                    "styles": [{"name": n, "thumbnail": t} for n, t in zip(self.style_names, thumbnails)],
                    "identity_slot": net.identity_slot,
                    "content_layer": self.config.content_layer,
                    "trained": time.strftime("%Y-%m-%d"),
                },
            },
            files=thumbnails,
        )


def train(
    config: StylizeTraining,
    vgg: VGGFeatures,
    *,
    device: torch.device | str = "cpu",
    run_folder: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a multi-style net on ``config.content`` photos and ``config.styles`` pictures (no install).

    Args:
        config: the run's settings.
        vgg: VGG-16 features (pretrained, or random in tests); frozen here.
        device: where to train.
        run_folder: the harness's run folder (None: write nothing).
        progress: show a progress bar on stderr.

    Returns:
        The trained net (eval mode, CPU) and its evaluation loss before and
        after training (mean over all slots on a fixed batch of photos).
    """
    trainer = StylizeTrainer(config, vgg)
    run = fit(trainer, Schedule(steps=config.steps, log_every=config.interval), run_folder, device=device,
              seed=config.seed, progress=progress)
    return TrainResult(trainer.net.eval().cpu(), trainer.style_names, trainer.style_paths, run.step,
                       run.before["eval"], run.after["eval"], run.history[1:])


def weights_bytes(net: MultiStyleTransformerNet) -> bytes:
    """The trained net as safetensors, its style names and identity slot in the metadata."""
    return safetensors_bytes(net.state_dict(), {
        "format": "atelier-multistyle",
        "style_names": json.dumps(net.style_names),
        "identity_slot": str(net.identity_slot),
    })


def load_vgg16(path: Path | None, random: bool, seed: int) -> VGGFeatures:
    """The loss network: random (tests), a given file, or the installed ``vgg16`` model.

    Raises:
        ModelNotInstalled: no file given and ``vgg16`` is not installed (the
            message has the install command).
    """
    from ..checkpoints import read_state_dict
    from ..errors import ModelNotInstalled
    from ..registry import get_spec, net_from_state_dict

    spec = get_spec("vgg16")
    if random:
        torch.manual_seed(seed)
        return vgg16()
    if path is None:
        if not spec.installed:
            raise ModelNotInstalled(
                spec,
                f"Training needs the VGG-16 loss network, which is not installed ({spec.path}). "
                f"Give --vgg FILE, or install it. {spec.install_help}",
            )
        path = spec.path
    return net_from_state_dict(spec, read_state_dict(path))
