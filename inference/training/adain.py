"""Train an AdaIN decoder (arbitrary style transfer) on folders of photos and paintings.

Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive
Instance Normalization" (ICCV 2017), as pytorch-AdaIN trains it: the encoder
(normalised VGG-19 to relu4_1) is fixed; for a batch of photos c and
paintings s, t = AdaIN(f(c), f(s)) and the decoder g is trained so that
  content = content-weight * MSE(f(g(t)), t)
  style   = style-weight * sum over relu1_1, relu2_1, relu3_1, relu4_1 of
            MSE(mean(g(t)), mean(s)) + MSE(std(g(t)), std(s))
with Adam and the learning rate lr / (1 + lr-decay * step). Pictures are
scaled so their shorter side is twice --image-size, then cropped at random.

Each epoch is one pass over the photos in a fresh order, each photo paired
with a painting drawn at random. Every --interval steps the run folder (see
`train --help`) gets a row in losses.csv and a sample grid (first row: the
evaluation paintings; then per evaluation photo: the photo and its
rendering in each painting's style); at the end the decoder is installed
into the models folder as an AdaIN model paired with the installed
adain-vgg encoder.

examples:
  python -m inference train adain --content photos/ --styles paintings/ --name my-adain
  python -m inference train adain --content coco/ --styles wikiart/ --steps 160000 --batch-size 8 --device cuda
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .command import add_run_arguments, check_positive, train_and_install


@dataclass
class AdaINTraining:
    """Settings of one decoder training run (the command's options, with pytorch-AdaIN's defaults)."""

    content: Path
    styles: Path
    image_size: int = 256
    batch_size: int = 8
    steps: int = 160_000
    lr: float = 1e-4
    lr_decay: float = 5e-5
    content_weight: float = 1.0
    style_weight: float = 10.0
    interval: int = 1000
    seed: int = 42
    eval_pairs: int = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``train adain``."""
    d = AdaINTraining(Path(), Path())
    parser.add_argument("--content", type=Path, required=True, metavar="DIR", help="folder of photos (searched recursively)")
    parser.add_argument("--styles", type=Path, required=True, metavar="DIR", help="folder of paintings (searched recursively)")
    parser.add_argument("--image-size", type=int, default=d.image_size, metavar="PX",
                        help=f"training crop side; pictures are first scaled to twice this (default: {d.image_size})")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, metavar="N", help=f"photo/painting pairs per step (default: {d.batch_size})")
    parser.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"training steps (default: {d.steps})")
    parser.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default: {d.lr:g})")
    parser.add_argument("--lr-decay", type=float, default=d.lr_decay, metavar="D", help=f"lr / (1 + decay * step) (default: {d.lr_decay:g})")
    parser.add_argument("--content-weight", type=float, default=d.content_weight, metavar="W", help=f"default: {d.content_weight:g}")
    parser.add_argument("--style-weight", type=float, default=d.style_weight, metavar="W", help=f"default: {d.style_weight:g}")
    parser.add_argument("--interval", type=int, default=d.interval, metavar="N", help=f"log and write samples every N steps (default: {d.interval})")
    parser.add_argument("--encoder", type=Path, metavar="FILE",
                        help="vgg_normalised.pth (default: the installed adain-vgg model)")
    parser.add_argument("--random-vgg", action="store_true", help="use a randomly initialised encoder (tests only)")
    add_run_arguments(parser, seed=d.seed)


def run(args: argparse.Namespace) -> int:
    """Train (or resume), write the run folder, install (see :func:`.command.train_and_install`)."""
    from .adain_loop import AdaINTrainer, load_encoder
    from .harness import Schedule

    config = AdaINTraining(
        content=args.content, styles=args.styles, image_size=args.image_size, batch_size=args.batch_size,
        steps=args.steps, lr=args.lr, lr_decay=args.lr_decay,
        content_weight=args.content_weight, style_weight=args.style_weight, interval=args.interval, seed=args.seed,
    )
    check_positive(("--image-size", config.image_size), ("--batch-size", config.batch_size),
                   ("--steps", config.steps), ("--interval", config.interval))
    trainer = AdaINTrainer(config, load_encoder(args.encoder, args.random_vgg, args.seed))
    return train_and_install(trainer, Schedule(steps=config.steps, log_every=config.interval), args,
                             default_name=f"adain-{args.styles.name}")
