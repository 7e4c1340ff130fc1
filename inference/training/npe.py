"""train the Neural Photo Editor's Introspective Adversarial Network on face photos, for Edit

Brock, Lim, Ritchie, Weston (ICLR 2017): an encoder to a latent z (mean and
log-variance), a decoder back to a 64 x 64 picture and a discriminator whose
feature maps measure the reconstruction ("introspective"). Each step:

  discriminator  BCE(D(x), 1) + (BCE(D(x_rec), 0) + BCE(D(x_sample), 0)) / 2
  encoder +      kl-weight      * KL(q(z|x) || N(0, I)) / pixels
  decoder        + pixel-weight   * mean |x_rec - x|
                 + feature-weight * mean over D's layers of MSE(D_l(x_rec), D_l(x))
                 + adversarial-weight * (BCE(D(x_rec), 1) + BCE(D(x_sample), 1))

with x_rec decoded from z = mu + sigma * eps and x_sample from z ~ N(0, I);
Adam for both. Pictures are centre-cropped to a square and resized to 64 x
64 (any folder of face photos: aligned CelebA works as it is), with random
horizontal flips.

Every --interval steps the run folder (see `train --help`) gets a losses.csv
row, the evaluation L1 of reconstructions (through the mean) on fixed faces,
and a sample grid: rows 1-2 faces and their reconstructions, row 3 random
samples from fixed noise under N(0, I), row 4 the same noise through a
Gaussian fitted to the encoder's codes of the training faces. At the end the
encoder, the decoder and that fitted prior (what "random face" samples) are
installed; the discriminator only lives in checkpoint.pt.

examples:
  python -m inference train npe --faces 1500 --name my-faces --ndf 16 --ngf 24 --steps 3000
  python -m inference train npe --data celeba/img_align_celeba --name celeba --ndf 128 --ngf 128 --device cuda
  python -m inference train npe --data celeba/img_align_celeba --name celeba --out runs/celeba --resume
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from . import BadOption
from .command import add_run_arguments, check_positive, train_and_install


@dataclass
class NPETraining:
    """Settings of one run (the command's options, with their defaults)."""

    data: Path | None = None
    faces: int | None = None
    ndf: int = 128
    ngf: int = 128
    z_dim: int = 100
    batch_size: int = 64
    steps: int = 20_000
    lr: float = 5e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    kl_weight: float = 0.05
    pixel_weight: float = 1.0
    feature_weight: float = 0.1
    adversarial_weight: float = 0.002
    interval: int = 250
    seed: int = 0
    eval_faces: int = 16
    fp16_weights: bool = False
    title: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``train npe``."""
    d = NPETraining()
    data = parser.add_argument_group("data (one of)")
    source = data.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, metavar="DIR", help="folder of face photos (searched recursively; centre crop, resized to 64)")
    source.add_argument("--faces", type=int, metavar="N",
                        help="N procedural faces (inference.data.faces, seed --seed), written once into <data dir>/faces/faces-N-seedS")
    model = parser.add_argument_group("model (the paper: 128, 128, 100)")
    model.add_argument("--ndf", type=int, default=d.ndf, help=f"encoder and discriminator channels of the first layer (default: {d.ndf})")
    model.add_argument("--ngf", type=int, default=d.ngf, help=f"decoder channels of the last hidden layer (default: {d.ngf})")
    model.add_argument("--z-dim", type=int, default=d.z_dim, metavar="N", help=f"latent dimensions (default: {d.z_dim})")
    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--batch-size", type=int, default=d.batch_size, metavar="N", help=f"faces per step (default: {d.batch_size})")
    opt.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"training steps (default: {d.steps})")
    opt.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate of encoder and decoder (default: {d.lr:g})")
    opt.add_argument("--lr-d", type=float, default=d.lr_d, help=f"Adam learning rate of the discriminator (default: {d.lr_d:g})")
    opt.add_argument("--beta1", type=float, default=d.beta1, help=f"Adam beta1 (default: {d.beta1:g})")
    opt.add_argument("--kl-weight", type=float, default=d.kl_weight, metavar="W", help=f"KL term per pixel (default: {d.kl_weight:g})")
    opt.add_argument("--pixel-weight", type=float, default=d.pixel_weight, metavar="W", help=f"pixel L1 (default: {d.pixel_weight:g})")
    opt.add_argument("--feature-weight", type=float, default=d.feature_weight, metavar="W",
                     help=f"discriminator-feature reconstruction (default: {d.feature_weight:g})")
    opt.add_argument("--adversarial-weight", type=float, default=d.adversarial_weight, metavar="W",
                     help=f"adversarial term of encoder and decoder (default: {d.adversarial_weight:g})")
    opt.add_argument("--interval", type=int, default=d.interval, metavar="N", help=f"log and write samples every N steps (default: {d.interval})")
    card = parser.add_argument_group("model card")
    card.add_argument("--title", help="name shown in the studio's model picker (default: --name)")
    card.add_argument("--fp16-weights", action="store_true", help="install the weights as float16 (half the size)")
    add_run_arguments(parser, seed=d.seed)


def config_from(args: argparse.Namespace) -> NPETraining:
    """The run's settings from parsed options (BadOption for values that cannot work)."""
    config = NPETraining(
        data=args.data, faces=args.faces, ndf=args.ndf, ngf=args.ngf, z_dim=args.z_dim, batch_size=args.batch_size,
        steps=args.steps, lr=args.lr, lr_d=args.lr_d, beta1=args.beta1, kl_weight=args.kl_weight,
        pixel_weight=args.pixel_weight, feature_weight=args.feature_weight,
        adversarial_weight=args.adversarial_weight, interval=args.interval, seed=args.seed,
        fp16_weights=args.fp16_weights, title=args.title,
    )
    check_positive(("--ndf", config.ndf), ("--ngf", config.ngf), ("--z-dim", config.z_dim),
                   ("--batch-size", config.batch_size), ("--steps", config.steps), ("--interval", config.interval))
    if config.faces is not None:
        check_positive(("--faces", config.faces))
    for option, value in (("--kl-weight", config.kl_weight), ("--pixel-weight", config.pixel_weight),
                          ("--feature-weight", config.feature_weight), ("--adversarial-weight", config.adversarial_weight)):
        if value < 0:
            raise BadOption(f"{option} must not be negative.")
    return config


def run(args: argparse.Namespace) -> int:
    """Train (or resume), write the run folder, install (see :func:`.command.train_and_install`)."""
    from .harness import Schedule
    from .npe_loop import NPETrainer, face_folder

    config = config_from(args)
    folder = config.data if config.data is not None else face_folder(config.faces, config.seed)
    trainer = NPETrainer(config, folder)
    default = f"npe-{folder.name}"
    return train_and_install(trainer, Schedule(steps=config.steps, log_every=config.interval), args, default_name=default)
