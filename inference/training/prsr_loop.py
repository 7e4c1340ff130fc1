"""The PRSR trainer (``train prsr``) for the harness, and its data: faces as level tensors in memory.

Kept apart from :mod:`inference.training.prsr`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..images import to_rgb_or_l
from ..nets.prsr import PixelRecursiveSR
from ..paths import data_dir
from . import TrainingError
from .folders import list_images
from .harness import Installation, Trainer, epoch_order, safetensors_bytes, step_generator

PAPER = "Dahl, Norouzi, Shlens. Pixel Recursive Super Resolution. ICCV 2017."


def square_levels(path: Path, size: int) -> Tensor:
    """A photo's centre square resized to ``size`` (bicubic, antialiased): (3, size, size) uint8."""
    with Image.open(path) as opened:
        picture = to_rgb_or_l(opened).convert("RGB")
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    picture = picture.crop((left, top, left + side, top + side))
    if picture.size != (size, size):
        picture = picture.resize((size, size), Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1)


def area_downsample(high: Tensor, scale: int) -> Tensor:
    """(N, 3, H, W) levels -> (N, 3, H / scale, W / scale) int64 levels: the rounded mean of each block."""
    return F.avg_pool2d(high.float(), scale).round().long()


def prepare_data(args: argparse.Namespace) -> tuple[Path, Tensor]:
    """The data folder (faces written into it first with --faces) and its pictures: (N, 3, S, S) uint8."""
    from tqdm import tqdm

    folder = args.data
    if args.faces is not None:
        from ..data.faces import write_faces

        folder = folder or data_dir() / f"faces-{args.faces}-{args.output_size}"
        present = len(list(folder.glob("*.png"))) if folder.is_dir() else 0
        if present < args.faces:
            print(f"writing {args.faces} procedural faces into {folder}", file=sys.stderr)
            write_faces(folder, args.faces, size=args.output_size, seed=args.seed, progress=True)
    paths = list_images(folder)
    if len(paths) <= args.eval_images:
        raise TrainingError(f"{folder} holds {len(paths)} pictures; training needs more than the "
                            f"{args.eval_images} held out for evaluation (--eval-images).")
    pictures = []
    for path in tqdm(paths, desc="reading", unit="picture", file=sys.stderr, disable=len(paths) < 500):
        try:
            pictures.append(square_levels(path, args.output_size))
        except (OSError, ValueError) as exc:
            raise TrainingError(f"Cannot read {path}: {exc}") from None
    return folder, torch.stack(pictures)


class PRSRTrainer(Trainer):
    """Conditioning network + PixelCNN prior, the paper's loss, Adam, horizontal flips.

    Losses logged (nats per sub-pixel): ``loss`` (the sum that is minimised),
    ``ce`` (the summed logits' cross-entropy: the model's negative
    log-likelihood) and ``ce_conditioning``. Metrics: the same two
    cross-entropies on the held-out pictures (``eval_ce``,
    ``eval_ce_conditioning``).
    """

    name = "prsr"
    losses = ("loss", "ce", "ce_conditioning")
    metrics = ("eval_ce", "eval_ce_conditioning")
    curves = {"cross-entropy (nats per sub-pixel)": {"train (prior + conditioning)": "ce",
                                                     "held out (prior + conditioning)": "eval_ce",
                                                     "train (conditioning alone)": "ce_conditioning",
                                                     "held out (conditioning alone)": "eval_ce_conditioning"}}

    def __init__(self, args: argparse.Namespace, pictures: Tensor, folder: Path) -> None:
        self.args = args
        self.folder = folder
        held_out = args.eval_images
        self.eval_high = pictures[:held_out].long()
        self.train_high = pictures[held_out:]
        self.eval_low = area_downsample(self.eval_high, args.scale)

    def settings(self) -> dict:
        a = self.args
        return {"output_size": a.output_size, "scale": a.scale, "cond_features": a.cond_features,
                "cond_blocks": a.cond_blocks, "cond_up_blocks": a.cond_up_blocks, "prior_features": a.prior_features,
                "prior_layers": a.prior_layers, "batch_size": a.batch_size, "seed": a.seed,
                "pictures": len(self.train_high) + len(self.eval_high)}

    def sizes(self) -> dict[str, int]:
        a = self.args
        return {"scale": a.scale, "cond_features": a.cond_features, "cond_blocks": a.cond_blocks,
                "cond_up_blocks": a.cond_up_blocks, "prior_features": a.prior_features,
                "prior_layers": a.prior_layers, "prior_kernel": 3}

    def build(self, device):
        self.device = device
        self.model = PixelRecursiveSR(**self.sizes()).to(device)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=self.args.lr)
        return {"prsr": self.model}, {"prsr": self.optimiser}

    def steps_per_epoch(self) -> int:
        return max(1, len(self.train_high) // self.args.batch_size)

    def batches(self, epoch: int, start: int):
        """(low (N, 3, s, s), high (N, 3, S, S)) int64 levels; the flips depend on (seed, epoch, index) only."""
        order = epoch_order(len(self.train_high), self.args.batch_size, self.args.seed, epoch)
        for index in range(start, len(order)):
            high = self.train_high[order[index]].long()
            flip = torch.rand(len(high), generator=step_generator(self.args.seed, epoch, index)) < 0.5
            high = torch.where(flip[:, None, None, None], high.flip(-1), high)
            yield area_downsample(high, self.args.scale), high

    def train_step(self, batch, step: int, epoch: int):
        low, high = (part.to(self.device) for part in batch)
        loss, parts = self.model.loss(low, high)
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimiser.step()
        return parts

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        self.model.eval()
        _, parts = self.model.loss(self.eval_low.to(self.device), self.eval_high.to(self.device))
        return {"eval_ce": parts["ce"], "eval_ce_conditioning": parts["ce_conditioning"]}

    @torch.no_grad()
    def sample_rows(self):
        """Per held-out face: input (enlarged, nearest) | a sample per temperature (seed 0) | original."""
        self.model.eval()
        rows = [[F.interpolate(low[None].float(), scale_factor=self.args.scale, mode="nearest")[0] / 255.0]
                for low in self.eval_low]
        for temperature in self.args.temperatures:
            samples = self.model.sample(self.eval_low.to(self.device), [0] * len(self.eval_low), temperature)
            for row, sample in zip(rows, samples):
                row.append(sample.float().cpu() / 255.0)
        for row, high in zip(rows, self.eval_high):
            row.append(high.float() / 255.0)
        return rows

    def installation(self, name: str) -> Installation:
        a = self.args
        return Installation(
            weights=safetensors_bytes(self.model.state_dict(), half=a.fp16_weights),
            facts={
                "family": "prsr", "task": "upscale", "arch": "prsr", "title": a.title or name,
                "input_size": a.output_size // a.scale, "paper": PAPER,
                "description": (f"Trained on this machine from {self.folder} ({len(self.train_high)} faces, "
                                f"{a.output_size // a.scale} \u2192 {a.output_size} px)."),
                "options": self.sizes(),
            },
        )
