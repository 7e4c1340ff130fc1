"""Train a multi-style network (conditional instance norm) with a VGG-16 perceptual loss.

Dumoulin, Shlens, Kudlur, "A Learned Representation for Artistic Style"
(ICLR 2017): one TransformerNet for all the pictures in --styles, with a
(gamma, beta) row per style in every instance norm, plus Atelier's identity
row, trained with the content loss only so that the studio's strength
slider can fade each style out towards the photo.

Loss (Johnson et al. 2016), on VGG-16 features of RGB in [0, 1]:
  content  = content-weight * MSE(relu2_2 (or relu3_3) of output, of photo)
  style    = style-weight * sum over relu1_2, relu2_2, relu3_3, relu4_3 of
             MSE(Gram(output), Gram(style image)), Gram normalised by C*H*W
  tv       = tv-weight * mean squared difference of neighbouring pixels
Each step trains one slot, drawn at random (identity included), on a batch
of random crops of the photos in --content.

Each epoch is one pass over the photos in a fresh order. Every --interval
steps the run folder (see `train --help`) gets a row in losses.csv and a
sample grid (rows: evaluation photos; columns: the photo, each style, the
identity); at the end the net is installed into the models folder with
thumbnails of its styles.

examples:
  python -m inference train stylize --content photos/ --styles paintings/ --name my-styles
  python -m inference train stylize --content coco/ --styles paintings/ --steps 40000 --batch-size 8 \\
      --content-layer relu3_3 --style-weight 5e10 --device cuda --out runs/my-styles
  python -m inference train stylize --content coco/ --styles paintings/ --out runs/my-styles --resume
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .command import add_run_arguments, check_positive, train_and_install

CONTENT_LAYERS = ("relu2_2", "relu3_3")


@dataclass
class StylizeTraining:
    """Settings of one training run (the command's options, with their defaults)."""

    content: Path
    styles: Path
    image_size: int = 256
    style_size: int = 512
    batch_size: int = 4
    steps: int = 40_000
    lr: float = 1e-3
    content_weight: float = 1e5
    style_weight: float = 1e10
    tv_weight: float = 1e5
    content_layer: str = "relu2_2"
    interval: int = 500
    seed: int = 42
    eval_photos: int = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``train stylize``."""
    d = StylizeTraining(Path(), Path())
    parser.add_argument("--content", type=Path, required=True, metavar="DIR", help="folder of photos (searched recursively)")
    parser.add_argument("--styles", type=Path, required=True, metavar="DIR",
                        help="folder of style pictures, one style each; file names become style names")
    parser.add_argument("--image-size", type=int, default=d.image_size, metavar="PX", help=f"training crop side (default: {d.image_size})")
    parser.add_argument("--style-size", type=int, default=d.style_size, metavar="PX",
                        help=f"longer side the style pictures are scaled to (default: {d.style_size}); larger = smaller strokes")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, metavar="N", help=f"photos per step (default: {d.batch_size})")
    parser.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"training steps (default: {d.steps})")
    parser.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default: {d.lr:g})")
    parser.add_argument("--content-weight", type=float, default=d.content_weight, metavar="W", help=f"default: {d.content_weight:g}")
    parser.add_argument("--style-weight", type=float, default=d.style_weight, metavar="W", help=f"default: {d.style_weight:g}")
    parser.add_argument("--tv-weight", type=float, default=d.tv_weight, metavar="W",
                        help=f"total variation weight, 0 to disable (default: {d.tv_weight:g})")
    parser.add_argument("--content-layer", choices=CONTENT_LAYERS, default=d.content_layer,
                        help=f"VGG-16 layer of the content loss (default: {d.content_layer}; relu3_3 lets the style change more)")
    parser.add_argument("--interval", type=int, default=d.interval, metavar="N", help=f"log and write samples every N steps (default: {d.interval})")
    parser.add_argument("--vgg", type=Path, metavar="FILE", help="VGG-16 weights in torchvision's layout (default: the installed vgg16 model)")
    parser.add_argument("--random-vgg", action="store_true", help="use a randomly initialised VGG-16 (tests only: the styles will not be learnt)")
    add_run_arguments(parser, seed=d.seed)


def run(args: argparse.Namespace) -> int:
    """Train (or resume), write the run folder, install (see :func:`.command.train_and_install`)."""
    from .harness import Schedule
    from .stylize_loop import StylizeTrainer, load_vgg16

    config = StylizeTraining(
        content=args.content, styles=args.styles, image_size=args.image_size, style_size=args.style_size,
        batch_size=args.batch_size, steps=args.steps, lr=args.lr,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        content_layer=args.content_layer, interval=args.interval, seed=args.seed,
    )
    check_positive(("--image-size", config.image_size), ("--style-size", config.style_size),
                   ("--batch-size", config.batch_size), ("--steps", config.steps), ("--interval", config.interval))
    trainer = StylizeTrainer(config, load_vgg16(args.vgg, args.random_vgg, args.seed))
    return train_and_install(trainer, Schedule(steps=config.steps, log_every=config.interval), args,
                             default_name=f"styles-{args.styles.name}")
