"""train a pixel recursive super-resolution model (PRSR) on face photos and install it for Upscale

Dahl, Norouzi & Shlens (2017): a conditioning network on the low-resolution
face and a gated PixelCNN prior over the high-resolution one, their logits
summed into a 256-way softmax per sub-pixel. Loss: cross-entropy of the
summed logits plus cross-entropy of the conditioning logits alone, in nats
per sub-pixel (2 ln 256 = 11.1 at the start). Adam, a constant learning
rate, horizontal flips.

Data: --data DIR, any folder of face photos (searched recursively; an
aligned CelebA folder works): each is centre-cropped to a square and resized
to --output-size (bicubic, antialiased); the low-resolution input is that
picture area-downsampled by --scale (the mean of each scale x scale block),
as Upscale does with a person's photo. --faces N writes N of Atelier's
procedural faces (inference.data.faces, at --output-size) into DIR first
(default DIR: <data dir>/faces-N-PX) when it holds fewer pictures. A few
pictures (--eval-images) are held out for the evaluation loss and the
samples.

The run folder (see `train --help`) gets a losses.csv row (training loss,
held-out loss) and a sample grid at the end of every epoch: one row per
held-out face, columns the low-resolution input (enlarged), one sample at
each --temperatures value, and the original. At the end the model is
installed under --name, so `python -m inference upscale --model NAME` and
the studio can use it at once.

examples:
  python -m inference train prsr --faces 1500 --name my-faces --epochs 30
  python -m inference train prsr --data celeba/img_align_celeba --name celeba-prsr --device cuda \\
      --prior-layers 20 --prior-features 48 --cond-blocks 6 --batch-size 32 --epochs 30
  python -m inference train prsr --data celeba/img_align_celeba --name celeba-prsr --resume
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import BadOption
from .command import add_run_arguments, check_positive, train_and_install


def _temperatures(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("give comma-separated numbers, e.g. 0,0.5,0.8,1") from None
    if not values or any(not 0 <= v <= 2 for v in values):
        raise argparse.ArgumentTypeError("give one to several temperatures between 0 and 2")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train prsr``."""
    data = parser.add_argument_group("data")
    data.add_argument("--data", type=Path, metavar="DIR", help="folder of face photos (required unless --faces)")
    data.add_argument("--faces", type=int, metavar="N",
                      help="write N procedural faces into DIR first (default DIR: <data dir>/faces-N-PX)")
    data.add_argument("--output-size", type=int, default=32, metavar="PX", help="high-resolution side (default: 32)")
    data.add_argument("--scale", type=int, default=4, choices=(2, 4, 8), help="output / input side (default: 4: 8 -> 32)")
    data.add_argument("--eval-images", type=int, default=8, metavar="N",
                      help="pictures held out for the evaluation loss and the samples (default: 8)")

    model = parser.add_argument_group("model (the paper: 6 conditioning blocks, 20 prior layers)")
    model.add_argument("--cond-features", type=int, default=32, metavar="N", help="conditioning network channels (default: 32)")
    model.add_argument("--cond-blocks", type=int, default=6, metavar="N", help="ResNet blocks at the low resolution (default: 6)")
    model.add_argument("--cond-up-blocks", type=int, default=1, metavar="N",
                       help="ResNet blocks after each transposed convolution (default: 1)")
    model.add_argument("--prior-features", type=int, default=48, metavar="N", help="PixelCNN channels, a multiple of 3 (default: 48)")
    model.add_argument("--prior-layers", type=int, default=20, metavar="N", help="gated PixelCNN layers (default: 20)")

    schedule = parser.add_argument_group("optimisation")
    schedule.add_argument("--batch-size", type=int, default=32, metavar="N", help="faces per step (default: 32)")
    schedule.add_argument("--epochs", type=int, default=30, metavar="N", help="passes over the data (default: 30)")
    schedule.add_argument("--steps", type=int, metavar="N", help="stop after N steps in all (default: --epochs whole epochs)")
    schedule.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 1e-3)")
    schedule.add_argument("--log-every", type=int, metavar="N",
                          help="log, sample and checkpoint every N steps (default: at the end of each epoch)")

    output = parser.add_argument_group("samples and model card")
    output.add_argument("--temperatures", type=_temperatures, default=[0.0, 0.5, 0.8, 1.0], metavar="T,T,...",
                        help="temperatures of the samples in each grid (default: 0,0.5,0.8,1)")
    output.add_argument("--title", help="name shown in the studio's model picker (default: --name)")
    output.add_argument("--fp16-weights", action="store_true", help="install the weights as float16 (half the size)")
    add_run_arguments(parser, seed=0)


def check(args: argparse.Namespace) -> None:
    """Refuse option values that cannot work (BadOption)."""
    if args.data is None and args.faces is None:
        raise BadOption("Give --data DIR (a folder of face photos) or --faces N (procedural faces).")
    check_positive(("--cond-features", args.cond_features), ("--cond-blocks", args.cond_blocks),
                   ("--prior-features", args.prior_features), ("--prior-layers", args.prior_layers),
                   ("--batch-size", args.batch_size), ("--epochs", args.epochs), ("--eval-images", args.eval_images))
    if args.faces is not None:
        check_positive(("--faces", args.faces))
    if args.steps is not None:
        check_positive(("--steps", args.steps))
    if args.log_every is not None:
        check_positive(("--log-every", args.log_every))
    if args.cond_up_blocks < 0:
        raise BadOption("--cond-up-blocks must not be negative.")
    if args.prior_features % 3:
        raise BadOption("--prior-features must be a multiple of 3 (one third each for R, G and B).")
    if args.output_size % args.scale or args.output_size < 8:
        raise BadOption("--output-size must be at least 8 and a multiple of --scale.")
    if args.lr <= 0:
        raise BadOption("--lr must be positive.")


def run(args: argparse.Namespace) -> int:
    """Write the faces if asked, train (or resume), write the run folder, install."""
    from .harness import Schedule
    from .prsr_loop import PRSRTrainer, prepare_data

    check(args)
    folder, pictures = prepare_data(args)
    trainer = PRSRTrainer(args, pictures, folder)
    schedule = Schedule(epochs=args.epochs, steps=args.steps, log_every=args.log_every)
    return train_and_install(trainer, schedule, args, default_name=f"prsr-{folder.name}")
