"""What every ``train NAME`` command shares: its run options, its checks, and install after the run.

Torch is imported only when a run starts, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from . import BadOption


def slug(text: str) -> str:
    """A registry- and file-name-safe lowercase version of ``text`` ("Starry Night!" -> "starry-night")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def check_name(name: str, *, installing: bool = True) -> None:
    """Refuse (BadOption) a name that is not a slug, or that belongs to a published model when installing."""
    from ..registry import REGISTRY

    if not name or slug(name) != name.lower():
        raise BadOption(f"--name {name!r}: use letters, digits and dashes only.")
    if installing and name in REGISTRY:
        raise BadOption(f"--name {name!r} is a published model; choose another name.")


def check_positive(*options: tuple[str, float]) -> None:
    """Raise BadOption for the first (option, value) below 1."""
    for option, value in options:
        if value < 1:
            raise BadOption(f"{option} must be at least 1.")


def add_run_arguments(parser: argparse.ArgumentParser, *, seed: int) -> None:
    """The options every trainer has: where the run goes, resuming, installing, device and threads."""
    group = parser.add_argument_group("run")
    group.add_argument("--name", metavar="NAME", help="registry name to install as (letters, digits, dashes)")
    group.add_argument("--out", type=Path, metavar="RUN_DIR",
                       help="run folder: losses.csv, curves.png, samples/, checkpoint.pt, NAME.safetensors "
                            "(default: <data dir>/runs/NAME)")
    group.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint")
    group.add_argument("--max-steps", type=int, metavar="N",
                       help="stop after N steps of this invocation (quick trials; the model so far is installed, --resume goes on)")
    group.add_argument("--no-install", action="store_true", help="only write the run folder; do not install into the models folder")
    group.add_argument("--seed", type=int, default=seed, help=f"seed for weights, batches and augmentation (default: {seed})")
    group.add_argument("--device", metavar="cpu|cuda", help="where to train (default: $ATELIER_DEVICE, else cuda when available, else cpu)")
    group.add_argument("--threads", type=int, metavar="N", help="CPU threads for torch (default: torch's choice; 1 is fastest on a busy machine)")


@contextmanager
def _torch_threads(count: int | None):
    import torch

    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)  # a caller in the same process keeps its own setting


def train_and_install(trainer, schedule, args: argparse.Namespace, *, default_name: str) -> int:
    """The ``train NAME`` command after option parsing: fit, keep the model in the run folder, install it.

    Returns:
        0. Problems raise TrainingError / InferenceError (see :data:`inference.cli.train.EXIT_CODES`).
    """
    from ..catalog.local import install_trained
    from ..engine import pick_device
    from ..files import write_atomically
    from ..paths import data_dir
    from .harness import fit

    name = args.name or slug(default_name)
    check_name(name, installing=not args.no_install)
    if args.threads is not None:
        check_positive(("--threads", args.threads))
    folder = args.out or data_dir() / "runs" / name
    device = pick_device(args.device)
    with _torch_threads(args.threads):
        run = fit(trainer, schedule, folder, device=device, resume=args.resume, stop_after=args.max_steps, seed=args.seed)
        installation = trainer.installation(name)
    write_atomically(folder / f"{name}.safetensors", installation.weights)
    summary = ", ".join(f"{k} {run.before[k]:.4g} -> {run.after[k]:.4g}" for k in trainer.metrics
                        if run.before.get(k) is not None and run.after.get(k) is not None)
    print(f"step {run.step}{f': {summary}' if summary else ''}; run folder {folder}", file=sys.stderr)
    if args.no_install:
        print(f"not installed (--no-install); weights in {folder / f'{name}.safetensors'}", file=sys.stderr)
        return 0
    spec = install_trained(name, installation.weights, installation.facts, installation.files)
    print(f"installed {spec.name} as {spec.path}", file=sys.stderr)
    return 0
