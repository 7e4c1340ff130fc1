"""train a pix2pix generator on A|B image pairs and install it for Live Sketch

Trains the U-Net generator and the 70x70 PatchGAN discriminator of Isola et
al. (2017) with the official recipe: conditional GAN loss (BCE on the
discriminator's patch logits for (A, B) pairs) plus lambda * L1, Adam
(lr 2e-4, beta1 0.5), a constant learning rate for --epochs and a linear
decay to zero over --epochs-decay, random 286 -> 256 crops and flips
(scaled to --input-size).

DATA is the official layout: DATA/train/*.png|jpg holding A|B side by side
(DATA/val/ is used for the sample grids and the validation L1 when present).
Each epoch writes to --out: samples/epoch_NNN.png (input | output | target
for a few validation pairs), loss_log.csv, training_curve.png, and the
official latest_net_G.pth / latest_net_D.pth plus latest_state.pt (optimisers,
epoch) for --resume. At the end the generator is installed under --name in
the models folder and recorded in the local catalog, so the studio and
`python -m inference sketch --model NAME` can use it at once.

examples:
  python -m inference.data.landscapes --out var/data/landscape-paint --kind paint --count 1000
  python -m inference train pix2pix --data var/data/landscape-paint --name my-landscapes \\
      --kind label_map --palette landscape --ngf 16 --num-downs 6 --ndf 16 --epochs 10 --epochs-decay 10
  python -m inference train pix2pix --data datasets/facades --direction BtoA --name facades --resume
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PAPER = "Isola, Zhu, Zhou, Efros. Image-to-Image Translation with Conditional Adversarial Networks. CVPR 2017."
KINDS = ("sketch", "label_map", "photo")
_STATE = "latest_state.pt"
_GENERATOR = "latest_net_G.pth"
_DISCRIMINATOR = "latest_net_D.pth"
_SAMPLES = 4  # validation pairs shown in each sample grid


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train pix2pix`` (official defaults where the official code has the option)."""
    data = parser.add_argument_group("data")
    data.add_argument("--data", type=Path, required=True, metavar="DIR", help="data set in the official layout (DIR/train, DIR/val)")
    data.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB", help="translate the left half into the right (AtoB, default) or back")
    data.add_argument("--kind", choices=KINDS, default="sketch",
                      help="what the input is: line drawing (sketch, default), label map (label_map) or photo; the studio picks its canvas by it")
    data.add_argument("--palette", metavar="landscape|FILE.json",
                      help="label colours of a label_map model: 'landscape' (Atelier's), a JSON list of {name, color}, or omitted to read them from the data")
    data.add_argument("--input-size", type=int, default=256, metavar="PX", help="crop size = network input side (default: 256)")
    data.add_argument("--no-augment", action="store_true", help="plain resize instead of the official resize-to-286 random crop and flip")
    data.add_argument("--workers", type=int, default=4, metavar="N", help="data loading processes (default: 4; 0 loads in the training process)")

    model = parser.add_argument_group("model")
    model.add_argument("--ngf", type=int, default=64, help="generator filters in the outermost layer (default: 64)")
    model.add_argument("--ndf", type=int, default=64, help="discriminator filters in the first layer (default: 64)")
    model.add_argument("--num-downs", type=int, default=None, metavar="N",
                       help="U-Net down-samplings (default: 8, or fewer so that 2^N <= --input-size); the input side must be a multiple of 2^N")

    schedule = parser.add_argument_group("optimisation")
    schedule.add_argument("--batch-size", type=int, default=1, metavar="N", help="pairs per step (default: 1, as the paper)")
    schedule.add_argument("--epochs", type=int, default=100, metavar="N", help="epochs at the initial learning rate (default: 100)")
    schedule.add_argument("--epochs-decay", type=int, default=100, metavar="N", help="further epochs decaying the learning rate linearly to zero (default: 100)")
    schedule.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default: 2e-4)")
    schedule.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (default: 0.5)")
    schedule.add_argument("--lambda-l1", type=float, default=100.0, help="weight of the L1 term (default: 100)")
    schedule.add_argument("--max-steps", type=int, default=None, metavar="N", help="stop after N steps in this run (for quick tests; the epoch it stops in counts as done)")
    schedule.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and augmentation (default: 0)")
    schedule.add_argument("--device", metavar="cpu|cuda", help="where to train (default: $ATELIER_DEVICE, else cuda when available, else cpu)")
    schedule.add_argument("--threads", type=int, default=None, metavar="N",
                          help="CPU threads for torch (default: torch's choice; 1 is fastest on a busy machine)")

    output = parser.add_argument_group("output")
    output.add_argument("--out", type=Path, metavar="RUN_DIR", help="run folder for checkpoints, samples and logs (default: $ATELIER_DATA_DIR/runs/pix2pix-NAME)")
    output.add_argument("--resume", action="store_true", help="continue from the run folder's latest checkpoint (generator, discriminator, optimisers, epoch)")
    output.add_argument("--name", help="registry name to install the generator as (required unless --no-install)")
    output.add_argument("--title", help="name shown in the studio's model picker (default: --name)")
    output.add_argument("--no-install", action="store_true", help="only train; do not install into the models folder")
    output.add_argument("--fp16-weights", action="store_true", help="install the generator as float16 safetensors (half the size)")


# -- setup --------------------------------------------------------------------------------------

@dataclass
class _Setup:
    train_files: list
    val_files: list
    palette: np.ndarray | None
    palette_option: list | None
    num_downs: int
    out: Path


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
            raise SystemExit(f"error: cannot read the palette {args.palette}: {exc}")
        return colours, [{"name": str(e.get("name", f"label {i + 1}")), "color": e["color"]} for i, e in enumerate(option)]
    else:
        colours = distinct_colours(files, args.direction)
        if colours is None:
            raise SystemExit("error: the inputs have too many colours for a label map; give --palette, or use --kind sketch")
        option = [{"name": f"label {i + 1}", "color": "#%02x%02x%02x" % tuple(c)} for i, c in enumerate(colours.tolist())]
        return colours, option
    return np.asarray([hex_to_rgb(entry["color"]) for entry in option], dtype=np.uint8), list(option)


def _setup(args) -> _Setup:
    from ..data.aligned import pair_files
    from ..paths import data_dir

    def fail(message: str):
        raise SystemExit(f"error: {message}")

    train_dir = args.data / "train"
    if not train_dir.is_dir():
        fail(f"{args.data} has no train/ folder; expected the official layout DIR/train/*.jpg with A|B side by side")
    train_files = pair_files(train_dir)
    if not train_files:
        fail(f"no images in {train_dir}")
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
    if not args.no_install and not args.name:
        fail("give --name to install the trained generator (or --no-install)")
    palette, palette_option = _palette(args, train_files)
    out = args.out or data_dir() / "runs" / f"pix2pix-{args.name or args.data.name}"
    return _Setup(train_files, val_files, palette, palette_option, num_downs, out)


class _PairDataset:
    """torch Dataset over :class:`AlignedPairs`; augmentation drawn from (seed, epoch, index) so
    results do not depend on the number of workers, and a resumed run sees the same crops."""

    def __init__(self, pairs, seed: int) -> None:
        self.pairs, self.seed, self.epoch = pairs, seed, 0

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int):
        import torch

        rng = np.random.default_rng([self.seed, self.epoch, index])
        a, b = self.pairs.get(index, rng)
        return _to_tensor(a, torch), _to_tensor(b, torch)


def _to_tensor(pixels: np.ndarray, torch):
    """(H, W, 3) uint8 -> (3, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(np.array(pixels, copy=True)).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def _lr_factor(epoch: int, epochs: int, epochs_decay: int) -> float:
    """The official linear rule for 1-based ``epoch``: 1 for --epochs, then down towards 0."""
    return 1.0 - max(0, epoch - epochs) / float(epochs_decay + 1)


# -- the loop -----------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    """Train (or resume), write the run folder, install the generator; 0 on success."""
    import torch

    from ..engine import pick_device
    from ..errors import InferenceError

    setup = _setup(args)
    try:
        device = pick_device(args.device)
    except InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = setup.out
    out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return _train(args, setup, device)
    finally:
        torch.set_num_threads(threads)  # a caller in the same process keeps its own setting


def _train(args: argparse.Namespace, setup: _Setup, device) -> int:
    import torch
    from torch import nn
    from tqdm import tqdm

    from ..data.aligned import AlignedPairs, load_size_for
    from ..nets.pix2pix import UnetGenerator, init_weights, patch_discriminator

    out = setup.out
    torch.manual_seed(args.seed)

    hyper = {"ngf": args.ngf, "ndf": args.ndf, "num_downs": setup.num_downs, "input_size": args.input_size,
             "direction": args.direction, "kind": args.kind}
    generator = init_weights(UnetGenerator(3, 3, num_downs=setup.num_downs, ngf=args.ngf, norm="batch", use_dropout=True))
    discriminator = init_weights(patch_discriminator(input_nc=6, ndf=args.ndf))
    generator.to(device)
    discriminator.to(device)
    optimiser_g = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(args.beta1, 0.999))

    start_epoch, step = 1, 0
    history: list[dict] = []
    if args.resume:
        state_path = out / _STATE
        if not state_path.is_file():
            print(f"error: nothing to resume: {state_path} does not exist", file=sys.stderr)
            return 1
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        if state["hyper"] != hyper:
            changed = ", ".join(f"{k} {state['hyper'].get(k)} -> {v}" for k, v in hyper.items() if state["hyper"].get(k) != v)
            print(f"error: the run in {out} was trained with other settings ({changed}); use a new --out", file=sys.stderr)
            return 1
        generator.load_state_dict(torch.load(out / _GENERATOR, map_location="cpu", weights_only=True))
        discriminator.load_state_dict(torch.load(out / _DISCRIMINATOR, map_location="cpu", weights_only=True))
        optimiser_g.load_state_dict(state["optimiser_g"])
        optimiser_d.load_state_dict(state["optimiser_d"])
        start_epoch, step = int(state["epoch"]) + 1, int(state["step"])
        history = _read_log(out / "loss_log.csv")
        print(f"resuming {out} after epoch {state['epoch']} (step {step})", file=sys.stderr)

    crop = args.input_size
    train_pairs = AlignedPairs(setup.train_files, args.direction, crop, load_size_for(crop), not args.no_augment, setup.palette)
    val_pairs = AlignedPairs(setup.val_files or setup.train_files[:_SAMPLES], args.direction, crop, crop, False, setup.palette)
    dataset = _PairDataset(train_pairs, args.seed)
    val_batch = _validation_batch(val_pairs, torch)
    adversarial = nn.BCEWithLogitsLoss()
    l1 = nn.L1Loss()
    total_epochs = args.epochs + args.epochs_decay

    if not history:
        history.append({"epoch": 0, "step": 0, "lr": args.lr, "G_GAN": "", "G_L1": "", "D_real": "", "D_fake": "",
                        "train_L1": "", "val_L1": _val_l1(generator, val_batch), "seconds": 0.0})
        _write_log(out / "loss_log.csv", history)

    steps_left = args.max_steps
    for epoch in range(start_epoch, total_epochs + 1):
        if steps_left is not None and steps_left <= 0:
            break
        lr = args.lr * _lr_factor(epoch, args.epochs, args.epochs_decay)
        for optimiser in (optimiser_g, optimiser_d):
            for group in optimiser.param_groups:
                group["lr"] = lr
        dataset.epoch = epoch
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=args.batch_size, shuffle=True, drop_last=len(dataset) >= args.batch_size,
            num_workers=args.workers, generator=torch.Generator().manual_seed(args.seed * 100003 + epoch),
        )
        generator.train()
        discriminator.train()
        sums = {"G_GAN": 0.0, "G_L1": 0.0, "D_real": 0.0, "D_fake": 0.0, "train_L1": 0.0}
        batches = 0
        started = time.monotonic()
        bar = tqdm(loader, desc=f"epoch {epoch}/{total_epochs}", unit="batch", file=sys.stderr, dynamic_ncols=True)
        for real_a, real_b in bar:
            real_a, real_b = real_a.to(device), real_b.to(device)
            fake_b = generator(real_a)

            # Discriminator: real pairs -> 1, generated pairs -> 0 (halved, as the paper slows D down).
            discriminator.requires_grad_(True)
            optimiser_d.zero_grad(set_to_none=True)
            pred_fake = discriminator(torch.cat([real_a, fake_b.detach()], 1))
            pred_real = discriminator(torch.cat([real_a, real_b], 1))
            loss_d_fake = adversarial(pred_fake, torch.zeros_like(pred_fake))
            loss_d_real = adversarial(pred_real, torch.ones_like(pred_real))
            ((loss_d_fake + loss_d_real) * 0.5).backward()
            optimiser_d.step()

            # Generator: fool D on the pair, stay close to the target in L1.
            discriminator.requires_grad_(False)
            optimiser_g.zero_grad(set_to_none=True)
            pred_fake = discriminator(torch.cat([real_a, fake_b], 1))
            loss_g_gan = adversarial(pred_fake, torch.ones_like(pred_fake))
            distance = l1(fake_b, real_b)
            loss_g_l1 = distance * args.lambda_l1
            (loss_g_gan + loss_g_l1).backward()
            optimiser_g.step()

            step += 1
            batches += 1
            for key, value in (("G_GAN", loss_g_gan.detach()), ("G_L1", loss_g_l1.detach()), ("D_real", loss_d_real.detach()),
                               ("D_fake", loss_d_fake.detach()), ("train_L1", distance.detach())):
                sums[key] += float(value)
            bar.set_postfix(G_L1=f"{sums['G_L1'] / batches:.2f}", G_GAN=f"{sums['G_GAN'] / batches:.2f}",
                            D=f"{(sums['D_real'] + sums['D_fake']) / 2 / batches:.3f}", refresh=False)
            if steps_left is not None:
                steps_left -= 1
                if steps_left <= 0:
                    break
        bar.close()

        row = {"epoch": epoch, "step": step, "lr": lr, **{k: v / max(batches, 1) for k, v in sums.items()},
               "val_L1": _val_l1(generator, val_batch), "seconds": round(time.monotonic() - started, 2)}
        history.append(row)
        _save_epoch(out, epoch, step, hyper, generator, discriminator, optimiser_g, optimiser_d, torch)
        _write_log(out / "loss_log.csv", history)
        _draw_curve(out / "training_curve.png", history)
        _save_samples(out / "samples" / f"epoch_{epoch:03d}.png", generator, val_batch, torch)
        print(f"epoch {epoch}: G_L1 {row['G_L1']:.3f}  G_GAN {row['G_GAN']:.3f}  D {(row['D_real'] + row['D_fake']) / 2:.3f}  "
              f"val L1 {row['val_L1']:.4f}  ({row['seconds']:.0f} s)", file=sys.stderr)

    final = _export_generator(generator, out, args.fp16_weights, torch)
    if args.no_install:
        print(f"done; generator in {final} (not installed)", file=sys.stderr)
        return 0
    spec = _install(args, setup, final)
    print(f"installed as {spec.name!r}: {spec.path}. Try: python -m inference sketch DRAWING.png --model {spec.name} --out results/",
          file=sys.stderr)
    return 0


# -- evaluation and outputs ---------------------------------------------------------------------

def _validation_batch(pairs, torch):
    """A fixed batch of up to 4 validation pairs: (inputs, targets), each (n, 3, S, S)."""
    items = [pairs.get(i) for i in range(min(_SAMPLES, len(pairs)))]
    return (torch.stack([_to_tensor(a, torch) for a, _ in items]), torch.stack([_to_tensor(b, torch) for _, b in items]))


def _val_l1(generator, val_batch) -> float:
    """Mean absolute error (in [-1, 1] units) on the fixed validation batch, official mode, no dropout."""
    from ..pipelines.sketch import SketchOptions, generate

    inputs, targets = val_batch
    out = generate(generator, inputs, SketchOptions(norm="official", dropout=False), [None] * len(inputs))
    return float((out - targets).abs().mean())


def _save_samples(path: Path, generator, val_batch, torch) -> None:
    """A grid with one row per validation pair: input | output | target."""
    from PIL import Image

    from ..pipelines.sketch import SketchOptions, finish, generate

    inputs, targets = val_batch
    outputs = generate(generator, inputs, SketchOptions(norm="official", dropout=False), [None] * len(inputs))
    size = inputs.shape[-1]
    grid = Image.new("RGB", (3 * size, len(inputs) * size), "white")
    for row, triple in enumerate(zip(inputs, outputs, targets)):
        for col, tensor in enumerate(triple):
            grid.paste(finish(tensor), (col * size, row * size))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.save(path)


# G_L1 is the official loss term (lambda * L1); train_L1 and val_L1 are plain mean absolute
# errors in [-1, 1] units, comparable between runs with different lambdas.
_FIELDS = ("epoch", "step", "lr", "G_GAN", "G_L1", "D_real", "D_fake", "train_L1", "val_L1", "seconds")


def _write_log(path: Path, history: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_FIELDS)
        writer.writeheader()
        for row in history:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _read_log(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    def parse(key: str, value: str):
        if value in ("", None):
            return ""
        return int(value) if key in ("epoch", "step") else float(value)

    with open(path, newline="") as fh:
        return [{k: parse(k, v) for k, v in row.items() if k in _FIELDS} for row in csv.DictReader(fh)]


def _draw_curve(path: Path, history: list[dict]) -> None:
    from .curves import draw_curves

    def series(key: str, scale: float = 1.0) -> list[tuple[float, float]]:
        return [(row["epoch"], float(row[key]) * scale) for row in history if row.get(key) not in ("", None)]

    draw_curves({
        "L1 distance to the target ([-1, 1] units)": {"train": series("train_L1"), "validation": series("val_L1")},
        "adversarial losses": {"G_GAN": series("G_GAN"), "D (real+fake)/2": _mean_d(history)},
    }, path)


def _mean_d(history: list[dict]) -> list[tuple[float, float]]:
    return [(r["epoch"], (float(r["D_real"]) + float(r["D_fake"])) / 2) for r in history if r.get("D_real") not in ("", None)]


def _save_epoch(out: Path, epoch: int, step: int, hyper: dict, generator, discriminator, optimiser_g, optimiser_d, torch) -> None:
    """Official latest_net_G/D.pth plus our resume state, each written atomically."""
    def save(obj, name: str) -> None:
        tmp = out / f".{name}.tmp"
        torch.save(obj, tmp)
        tmp.replace(out / name)

    save({k: v.detach().cpu() for k, v in generator.state_dict().items()}, _GENERATOR)
    save({k: v.detach().cpu() for k, v in discriminator.state_dict().items()}, _DISCRIMINATOR)
    save({"epoch": epoch, "step": step, "hyper": hyper,
          "optimiser_g": optimiser_g.state_dict(), "optimiser_d": optimiser_d.state_dict()}, _STATE)


def _export_generator(generator, out: Path, fp16: bool, torch) -> Path:
    """The final generator in the official key layout: generator.pth, or generator.safetensors in float16."""
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    if fp16:
        from safetensors.torch import save_file

        path = out / "generator.safetensors"
        save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()}, str(path))
    else:
        path = out / "generator.pth"
        torch.save(state, path)
    return path


def _install(args, setup: _Setup, weights: Path):
    """Copy the generator into the models folder and record it in the local catalog."""
    import shutil

    from ..catalog.local import register_local
    from ..checkpoints import sha256_file
    from ..modelspec import ModelSpec
    from ..paths import models_dir
    from ..registry import net_from_state_dict

    options = {"ngf": args.ngf, "num_downs": setup.num_downs, "norm": "batch", "input_nc": 3, "output_nc": 3,
               "use_dropout": True, "kind": args.kind, "direction": args.direction}
    if setup.palette_option:
        options["palette"] = setup.palette_option
    spec = ModelSpec(
        name=args.name, family="pix2pix", task="sketch", arch=f"unet_{2 ** setup.num_downs}",
        title=args.title or args.name, url="", filename=f"{args.name}{weights.suffix}",
        sha256=sha256_file(weights), sha256_prefix=None, licence="NOASSERTION", input_size=args.input_size,
        default=False, paper=PAPER,
        description=f"Trained on this machine from {args.data} ({len(setup.train_files)} pairs, {args.kind} to picture).",
        options=options,
    )
    target = models_dir() / spec.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(weights, tmp)
    tmp.replace(target)
    from ..checkpoints import read_state_dict

    net_from_state_dict(spec, read_state_dict(target))  # refuse to record a file that would not load
    register_local(spec)
    return spec
