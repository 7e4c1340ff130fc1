"""The pix2pix trainer (``train pix2pix``) for the harness: the official recipe, step by step.

Kept apart from :mod:`inference.training.pix2pix`, the command's torch-free
face, so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from torch import Tensor, nn

from ..data.aligned import AlignedPairs, load_size_for
from ..nets.pix2pix import UnetGenerator, architecture_of, init_weights, patch_discriminator
from ..pipelines.sketch import SketchOptions, generate
from ..pipelines.sketch_options import style_planes
from .harness import Installation, Trainer, safetensors_bytes
from .pix2pix import _Setup

PAPER = "Isola, Zhu, Zhou, Efros. Image-to-Image Translation with Conditional Adversarial Networks. CVPR 2017."
EVAL_PAIRS = 4  # validation pairs in the sample grid and the validation L1
# With --style, each material's colour is withheld from this share of training pairs, so the model
# also paints well when a person gives only some colours, or none.
STYLE_WITHHELD = 0.25


def _to_tensor(pixels: np.ndarray) -> Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(np.array(pixels, copy=True)).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def pair_style(path) -> dict[str, str]:
    """The style written beside a pair (NAME.json: {"style": {material: "#rrggbb"}})."""
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["style"]


def with_style(a: Tensor, style: dict[str, str], materials) -> Tensor:
    """The input ``a`` (3, S, S) followed by the style's constant planes, as prepare() builds them."""
    planes = torch.from_numpy(style_planes(style, materials))
    return torch.cat([a, planes[:, None, None].expand(-1, *a.shape[1:])])


class _PairDataset(torch.utils.data.Dataset):
    """torch Dataset over :class:`AlignedPairs`; augmentation drawn from (seed, epoch, index) so
    results do not depend on the number of workers, and a resumed run sees the same crops.
    With ``materials``, each input carries its pair's style, some colours withheld."""

    def __init__(self, pairs: AlignedPairs, seed: int, materials=()) -> None:
        self.pairs, self.seed, self.epoch, self.materials = pairs, seed, 0, tuple(materials)
        # Read once, not once per pair and epoch.
        self.styles = [pair_style(path) for path in pairs.files] if self.materials else []

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        a, b = self.pairs.get(index, rng)
        a = _to_tensor(a)
        if self.materials:
            style = {name: colour for name, colour in self.styles[index].items()
                     if name in self.materials and rng.random() >= STYLE_WITHHELD}
            a = with_style(a, style, self.materials)
        return a, _to_tensor(b)


def lr_factor(epoch: int, epochs: int, epochs_decay: int) -> float:
    """The official linear rule for 1-based ``epoch``: 1 for ``epochs``, then down towards 0."""
    return 1.0 - max(0, epoch - epochs) / float(epochs_decay + 1)


class Pix2PixTrainer(Trainer):
    """U-Net generator + 70x70 PatchGAN: conditional GAN loss plus lambda * L1, Adam, official schedule.

    Losses logged: G_GAN, G_L1 (lambda * L1, the official term), D_real,
    D_fake, and train_L1 (plain mean absolute error in [-1, 1] units,
    comparable between runs with different lambdas). Metric: val_L1 on a
    fixed batch of validation pairs, official mode, no dropout.
    """

    name = "pix2pix"
    losses = ("G_GAN", "G_L1", "D_real", "D_fake", "train_L1")
    metrics = ("val_L1",)
    curves = {"L1 distance to the target ([-1, 1] units)": {"train": "train_L1", "validation": "val_L1"},
              "adversarial losses": {"G_GAN": "G_GAN", "D_real": "D_real", "D_fake": "D_fake"}}

    def __init__(self, args: argparse.Namespace, setup: _Setup) -> None:
        self.args = args
        self.setup = setup
        crop = args.input_size
        self.train_pairs = AlignedPairs(setup.train_files, args.direction, crop, load_size_for(crop),
                                        not args.no_augment, setup.palette)
        val_pairs = AlignedPairs(setup.val_files or setup.train_files[:EVAL_PAIRS], args.direction, crop, crop,
                                 False, setup.palette)
        items = [val_pairs.get(i) for i in range(min(EVAL_PAIRS, len(val_pairs)))]
        self.materials = setup.style
        self.val_inputs = torch.stack([
            with_style(_to_tensor(a), pair_style(val_pairs.files[i]), self.materials) if self.materials else _to_tensor(a)
            for i, (a, _) in enumerate(items)])
        self.val_targets = torch.stack([_to_tensor(b) for _, b in items])
        self.dataset = _PairDataset(self.train_pairs, args.seed, self.materials)
        self.adversarial = nn.BCEWithLogitsLoss()

    def settings(self) -> dict:
        a = self.args
        return {"ngf": a.ngf, "ndf": a.ndf, "num_downs": self.setup.num_downs, "upsample": a.upsample,
                "input_size": a.input_size, "style": list(self.materials),
                "direction": a.direction, "kind": a.kind, "batch_size": a.batch_size, "seed": a.seed}

    def build(self, device):
        a = self.args
        self.device = device
        self.generator = init_weights(UnetGenerator(self.input_nc, 3, num_downs=self.setup.num_downs, ngf=a.ngf,
                                                    norm="batch", use_dropout=True, upsample=a.upsample)).to(device)
        # The discriminator judges (input, picture) pairs, the style planes included: a picture
        # must match the colours asked for as well as the drawing.
        self.discriminator = init_weights(patch_discriminator(input_nc=self.input_nc + 3, ndf=a.ndf)).to(device)
        self.optimiser_g = torch.optim.Adam(self.generator.parameters(), lr=a.lr, betas=(a.beta1, 0.999))
        self.optimiser_d = torch.optim.Adam(self.discriminator.parameters(), lr=a.lr, betas=(a.beta1, 0.999))
        return ({"generator": self.generator, "discriminator": self.discriminator},
                {"generator": self.optimiser_g, "discriminator": self.optimiser_d})

    @property
    def input_nc(self) -> int:
        """The picture's 3 channels and 4 per style material (:func:`style_planes`)."""
        return 3 + 4 * len(self.materials)

    def _loader(self, epoch: int) -> torch.utils.data.DataLoader:
        self.dataset.epoch = epoch
        size = self.args.batch_size
        return torch.utils.data.DataLoader(
            self.dataset, batch_size=size, shuffle=True, drop_last=len(self.dataset) >= size,
            num_workers=self.args.workers, generator=torch.Generator().manual_seed(self.args.seed * 100003 + epoch),
        )

    def steps_per_epoch(self) -> int:
        return len(self._loader(1))

    def begin_epoch(self, epoch: int) -> None:
        lr = self.args.lr * lr_factor(epoch, self.args.epochs, self.args.epochs_decay)
        for optimiser in (self.optimiser_g, self.optimiser_d):
            for group in optimiser.param_groups:
                group["lr"] = lr

    def batches(self, epoch: int, start: int):
        """(A, B) pairs of (N, input_nc, S, S) and (N, 3, S, S) in [-1, 1]."""
        for index, batch in enumerate(self._loader(epoch)):
            if index >= start:
                yield batch

    def train_step(self, batch, step: int, epoch: int):
        real_a, real_b = (part.to(self.device) for part in batch)
        fake_b = self.generator(real_a)

        # Discriminator: real pairs -> 1, generated pairs -> 0 (halved, as the paper slows D down).
        self.discriminator.requires_grad_(True)
        self.optimiser_d.zero_grad(set_to_none=True)
        pred_fake = self.discriminator(torch.cat([real_a, fake_b.detach()], 1))
        pred_real = self.discriminator(torch.cat([real_a, real_b], 1))
        loss_d_fake = self.adversarial(pred_fake, torch.zeros_like(pred_fake))
        loss_d_real = self.adversarial(pred_real, torch.ones_like(pred_real))
        ((loss_d_fake + loss_d_real) * 0.5).backward()
        self.optimiser_d.step()

        # Generator: fool D on the pair, stay close to the target in L1.
        self.discriminator.requires_grad_(False)
        self.optimiser_g.zero_grad(set_to_none=True)
        pred_fake = self.discriminator(torch.cat([real_a, fake_b], 1))
        loss_g_gan = self.adversarial(pred_fake, torch.ones_like(pred_fake))
        distance = (fake_b - real_b).abs().mean()
        loss_g_l1 = distance * self.args.lambda_l1
        (loss_g_gan + loss_g_l1).backward()
        self.optimiser_g.step()
        return {"G_GAN": loss_g_gan.detach(), "G_L1": loss_g_l1.detach(), "D_real": loss_d_real.detach(),
                "D_fake": loss_d_fake.detach(), "train_L1": distance.detach()}

    def _outputs(self) -> Tensor:
        """The generator on the validation inputs, official mode, no dropout: (n, 3, S, S) in [-1, 1]."""
        inputs = self.val_inputs.to(self.device)
        return generate(self.generator, inputs, SketchOptions(norm="official", dropout=False), [None] * len(inputs)).cpu()

    def evaluate(self) -> dict[str, float]:
        return {"val_L1": float((self._outputs() - self.val_targets).abs().mean())}

    def sample_rows(self):
        """One row per validation pair: input | output | target."""
        outputs = self._outputs()
        return [[(t + 1) / 2 for t in triple] for triple in zip(self.val_inputs[:, :3], outputs, self.val_targets)]

    def installation(self, name: str) -> Installation:
        """The generator in the official key layout (float16 with --fp16-weights) and its sketch-tool facts."""
        a, setup = self.args, self.setup
        options = {"ngf": a.ngf, "num_downs": setup.num_downs, "upsample": a.upsample, "norm": "batch",
                   "input_nc": self.input_nc, "output_nc": 3, "use_dropout": True, "kind": a.kind, "direction": a.direction}
        if self.materials:
            options["style"] = list(self.materials)
        if setup.palette_option:
            options["palette"] = setup.palette_option
        return Installation(
            weights=safetensors_bytes(self.generator.state_dict(), half=a.fp16_weights),
            facts={
                "family": "pix2pix", "task": "sketch", "arch": architecture_of(setup.num_downs, a.ngf, a.upsample),
                "title": a.title or name, "input_size": a.input_size, "paper": PAPER,
                "description": f"Trained on this machine from {a.data} ({len(setup.train_files)} pairs, {a.kind} to picture).",
                "options": options,
            },
        )
