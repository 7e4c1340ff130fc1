"""The multi-style network's training loop (``train stylize``): losses, steps, evaluation, install.

Kept apart from :mod:`inference.training.stylize`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import InferenceError
from ..modelspec import ModelSpec
from ..nets.transformer_net import MultiStyleTransformerNet
from ..nets.vgg import PERCEPTUAL_LAYERS, VGGFeatures, gram_matrix, vgg16
from .style_run import ImageBatches, RunFolder, list_images, read_rgb
from .stylize import CONTENT_LAYERS, StylizeTraining


@dataclass
class TrainResult:
    """What a run produced: the net, its styles, and the evaluation loss before and after."""

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


def train(
    config: StylizeTraining,
    vgg: VGGFeatures,
    *,
    device: torch.device | str = "cpu",
    run_folder: RunFolder | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a multi-style net on ``config.content`` photos and ``config.styles`` pictures.

    Args:
        config: the run's settings.
        vgg: VGG-16 features (pretrained, or random in tests); frozen here.
        device: where to train.
        run_folder: where to log losses and sample grids (None: nowhere).
        progress: show a tqdm bar on stderr.

    Returns:
        The trained net (eval mode, CPU) and its evaluation loss before and
        after training (mean over all slots on a fixed batch of photos).
    """
    from tqdm import tqdm

    if config.content_layer not in CONTENT_LAYERS:
        raise InferenceError(f"The content layer must be one of {', '.join(CONTENT_LAYERS)}.")
    device = torch.device(device)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)

    style_paths = list_images(config.styles)
    names = [style_name(p) for p in style_paths]
    photos = ImageBatches(list_images(config.content), config.image_size, config.image_size, generator)

    vgg = vgg.to(device).eval().requires_grad_(False)
    targets = style_targets(vgg, [read_rgb(p, longer_side=config.style_size).to(device) for p in style_paths])
    net = MultiStyleTransformerNet(len(style_paths), names).to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    eval_photos = photos.fixed(config.eval_photos).to(device)

    eval_before, _ = evaluate(net, vgg, eval_photos, targets, config)
    steps = min(config.steps, config.max_steps or config.steps)
    history: list[dict] = []
    running: dict[str, float] = {}
    since_log = 0
    with tqdm(total=steps, desc="train stylize", unit="step", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for step in range(1, steps + 1):
            slot = int(torch.randint(0, net.n_styles + 1, (1,), generator=generator))
            batch = photos.sample(config.batch_size).to(device)
            target = targets[slot] if slot < net.n_styles else None
            losses = perceptual_loss(vgg, batch, _stylise(net, batch, slot), target, config)
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            optimizer.step()

            for key, value in losses.items():
                running[key] = running.get(key, 0.0) + value.item()
            since_log += 1
            bar.update(1)
            bar.set_postfix(loss=f"{losses['total'].item():.4g}", slot=slot, refresh=False)
            if step % config.interval == 0 or step == steps:
                eval_loss, outputs = evaluate(net, vgg, eval_photos, targets, config)
                row = {key: value / since_log for key, value in running.items()} | {"eval": eval_loss}
                history.append({"step": step, **row})
                running, since_log = {}, 0
                if run_folder is not None:
                    run_folder.log(step, row)
                    run_folder.save_samples(
                        step, [[eval_photos[i], *(out[i] for out in outputs)] for i in range(len(eval_photos))]
                    )
    eval_after = history[-1]["eval"]  # the last step always logs
    net = net.eval().cpu()
    return TrainResult(net, names, style_paths, steps, eval_before, eval_after, history)


def weights_bytes(result: TrainResult) -> bytes:
    """The trained net as safetensors, its style names and identity slot in the metadata."""
    from .style_run import safetensors_bytes

    return safetensors_bytes(result.net.state_dict(), {
        "format": "atelier-multistyle",
        "style_names": json.dumps(result.style_names),
        "identity_slot": str(result.net.identity_slot),
    })


def install(result: TrainResult, name: str, config: StylizeTraining, run_folder: Path | None = None) -> ModelSpec:
    """Install a trained net as ``name``: weights, style thumbnails, and a local registry entry.

    Files in the models directory: ``<name>.safetensors`` (metadata: style
    names, identity slot) and ``<name>-styles/NN-<style>.jpg``; the spec's
    options list the styles with their thumbnails (relative to the models
    directory) so the studio can show a style bank without loading torch.
    """
    from ..catalog.local import register_local
    from .style_run import install_thumbnails, install_weights

    data = weights_bytes(result)
    if run_folder is not None:
        (run_folder / f"{name}.safetensors").write_bytes(data)
    _, sha = install_weights(f"{name}.safetensors", data)
    thumbnails = install_thumbnails(f"{name}-styles", list(zip(result.style_names, result.style_paths)))
    spec = ModelSpec(
        name=name,
        family="transformer_net",
        task="stylize",
        arch="multistyle",
        title=f"{name} ({len(result.style_names)} styles)",
        url="",
        filename=f"{name}.safetensors",
        sha256=sha,
        sha256_prefix=None,
        licence="NOASSERTION",
        input_size=config.image_size,
        default=False,
        paper="Dumoulin, Shlens, Kudlur. A Learned Representation for Artistic Style. ICLR 2017.",
        description=f"Trained here on {len(result.style_names)} styles: " + ", ".join(result.style_names) + ".",
        options={
            "mode": "multistyle",
            "styles": [{"name": n, "thumbnail": t} for n, t in zip(result.style_names, thumbnails)],
            "identity_slot": result.net.identity_slot,
            "content_layer": config.content_layer,
            "steps": result.steps,
            "trained": time.strftime("%Y-%m-%d"),
        },
    )
    register_local(spec)
    return spec


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
                f"Install it with: {spec.install_command} (or give --vgg FILE).",
            )
        path = spec.path
    return net_from_state_dict(spec, read_state_dict(path))
