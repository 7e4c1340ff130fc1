"""train a pix2pix generator on A|B image pairs and install it for Live Sketch

Trains the U-Net generator and the 70x70 PatchGAN discriminator of Isola et
al. (2017) with the official recipe: conditional GAN loss (BCE on the
discriminator's patch logits for (A, B) pairs) plus lambda * L1, Adam
(lr 2e-4, beta1 0.5), a constant learning rate for --epochs and a linear
decay to zero over --epochs-decay, random 286 -> 256 crops and flips
(scaled to --input-size).

DATA is the official layout: DATA/train/*.png|jpg holding A|B side by side
(DATA/val/ is used for the sample grids and the validation L1 when present).
The run folder (see `train --help`) gets a losses.csv row, a sample grid
(input | output | target for a few validation pairs) and a checkpoint at the
end of each epoch; --resume continues from the last one. At the end the
generator (official key layout, safetensors) is installed under --name in the
models folder and recorded in the local catalog, so the studio and
`python -m inference sketch --model NAME` can use it at once.

examples:
  python -m inference.data.landscapes --out var/data/landscape-paint --kind paint --count 1000
  python -m inference train pix2pix --data var/data/landscape-paint --name my-landscapes \\
      --kind label_map --palette landscape --ngf 16 --num-downs 6 --ndf 16 --upsample resize --epochs 10 --epochs-decay 10
  python -m inference train pix2pix --data datasets/facades --direction BtoA --name facades --resume
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import BadOption, TrainingError
from .command import add_run_arguments, train_and_install

KINDS = ("sketch", "label_map", "photo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train pix2pix`` (official defaults where the official code has the option)."""
    data = parser.add_argument_group("data")
    data.add_argument("--data", type=Path, required=True, metavar="DIR", help="data set in the official layout (DIR/train, DIR/val)")
    data.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB", help="translate the left half into the right (AtoB, default) or back")
    data.add_argument("--kind", choices=KINDS, default="sketch",
                      help="what the input is: line drawing (sketch, default), label map (label_map) or photo; the studio picks its canvas by it")
    data.add_argument("--palette", metavar="landscape|FILE.json",
                      help="label colours of a label_map model: 'landscape' (Atelier's), a JSON list of {name, color}, or omitted to read them from the data")
    data.add_argument("--style", metavar="MATERIAL,...",
                      help="condition the generator on the colours of these materials (e.g. sky,mountain,water,grass), "
                           "read from the NAME.json beside each pair (as inference.data.landscapes writes them); "
                           "the studio then lets a person choose them")
    data.add_argument("--input-size", type=int, default=256, metavar="PX", help="crop size = network input side (default: 256)")
    data.add_argument("--no-augment", action="store_true", help="plain resize instead of the official resize-to-286 random crop and flip")
    data.add_argument("--workers", type=int, default=4, metavar="N", help="data loading processes (default: 4; 0 loads in the training process)")

    model = parser.add_argument_group("model")
    model.add_argument("--ngf", type=int, default=64, help="generator filters in the outermost layer (default: 64)")
    model.add_argument("--ndf", type=int, default=64, help="discriminator filters in the first layer (default: 64)")
    model.add_argument("--num-downs", type=int, default=None, metavar="N",
                       help="U-Net down-samplings (default: 8, or fewer so that 2^N <= --input-size); the input side must be a multiple of 2^N")
    model.add_argument("--upsample", choices=("transpose", "resize"), default="transpose",
                       help="how the U-Net goes back up: transposed convolutions (transpose, official, default) or "
                            "bilinear resize + 3x3 convolution (resize: no checkerboard; Atelier's bundled demos)")

    schedule = parser.add_argument_group("optimisation")
    schedule.add_argument("--batch-size", type=int, default=1, metavar="N", help="pairs per step (default: 1, as the paper)")
    schedule.add_argument("--epochs", type=int, default=100, metavar="N", help="epochs at the initial learning rate (default: 100)")
    schedule.add_argument("--epochs-decay", type=int, default=100, metavar="N", help="further epochs decaying the learning rate linearly to zero (default: 100)")
    schedule.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default: 2e-4)")
    schedule.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (default: 0.5)")
    schedule.add_argument("--lambda-l1", type=float, default=100.0, help="weight of the L1 term (default: 100)")

    output = parser.add_argument_group("model card")
    output.add_argument("--title", help="name shown in the studio's model picker (default: --name)")
    output.add_argument("--fp16-weights", action="store_true", help="keep and install the generator as float16 (half the size)")
    add_run_arguments(parser, seed=0)


# -- setup --------------------------------------------------------------------------------------

@dataclass
class _Setup:
    train_files: list
    val_files: list
    palette: np.ndarray | None
    palette_option: list | None
    num_downs: int
    style: tuple[str, ...] = ()


def _palette(args, files: list[Path]) -> tuple[np.ndarray | None, list | None]:
    """(colours, spec option) for label-map training; (None, None) for other kinds."""
    from ..data.aligned import distinct_colours
    from ..data.palette import LANDSCAPE_PALETTE, hex_to_rgb

    if args.kind != "label_map":
        return None, None
    if args.palette == "landscape":
        option = LANDSCAPE_PALETTE
    elif args.palette:
        try:
            option = json.loads(Path(args.palette).read_text(encoding="utf-8"))
            colours = np.asarray([hex_to_rgb(entry["color"]) for entry in option], dtype=np.uint8)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TrainingError(f"Cannot read the palette {args.palette}: {exc}") from None
        return colours, [{"name": str(e.get("name", f"label {i + 1}")), "color": e["color"]} for i, e in enumerate(option)]
    else:
        colours = distinct_colours(files, args.direction)
        if colours is None:
            raise TrainingError("The inputs have too many colours for a label map; give --palette, or use --kind sketch.")
        option = [{"name": f"label {i + 1}", "color": "#%02x%02x%02x" % tuple(c)} for i, c in enumerate(colours.tolist())]
        return colours, option
    return np.asarray([hex_to_rgb(entry["color"]) for entry in option], dtype=np.uint8), list(option)


def _setup(args) -> _Setup:
    from ..data.aligned import pair_files

    def fail(message: str):
        raise BadOption(message)

    train_dir = args.data / "train"
    if not train_dir.is_dir():
        raise TrainingError(f"{args.data} has no train/ folder; expected the official layout DIR/train/*.jpg with A|B side by side.")
    train_files = pair_files(train_dir)
    if not train_files:
        raise TrainingError(f"No images in {train_dir}.")
    val_dir = args.data / "val"
    val_files = pair_files(val_dir) if val_dir.is_dir() else []
    if args.input_size < 32 or args.input_size % 32:
        fail("--input-size must be a multiple of 32 (the U-Net has at least 5 levels)")
    num_downs = args.num_downs
    if num_downs is None:
        num_downs = min(8, int(math.log2(args.input_size)))
        while args.input_size % (2 ** num_downs):
            num_downs -= 1
    if num_downs < 5 or args.input_size % (2 ** num_downs):
        fail(f"--num-downs {num_downs} needs an input side that is a multiple of {2 ** num_downs} (and at least 5 levels)")
    for option in ("ngf", "ndf", "batch_size", "epochs"):
        if getattr(args, option) < 1:
            fail(f"--{option.replace('_', '-')} must be positive")
    if args.epochs_decay < 0 or args.lr <= 0 or args.lambda_l1 < 0:
        fail("--epochs-decay, --lr and --lambda-l1 must not be negative (and --lr not zero)")
    palette, palette_option = _palette(args, train_files)
    style = tuple(name.strip() for name in (args.style or "").split(",") if name.strip())
    if len(set(style)) != len(style):
        fail("--style names a material twice")
    if style:
        missing = [p.name for p in train_files + val_files if not p.with_suffix(".json").is_file()]
        if missing:
            raise TrainingError(f"--style needs a NAME.json with each pair's style; {len(missing)} pairs have none "
                                f"(first {missing[0]}).")
    return _Setup(train_files, val_files, palette, palette_option, num_downs, style)


def run(args: argparse.Namespace) -> int:
    """Train (or resume), write the run folder, install (see :func:`.command.train_and_install`)."""
    from .harness import Schedule
    from .pix2pix_loop import Pix2PixTrainer

    setup = _setup(args)
    trainer = Pix2PixTrainer(args, setup)
    return train_and_install(trainer, Schedule(epochs=args.epochs + args.epochs_decay), args,
                             default_name=f"pix2pix-{args.data.name}")
