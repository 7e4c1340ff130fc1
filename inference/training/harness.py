"""The one training harness: run folder, loss log, samples, curves, resume, installation.

A trainer (pix2pix, the multi-style net, AdaIN, ...) subclasses
:class:`Trainer` and supplies only what is its own: the nets and optimisers,
the batches of an epoch, one training step returning named losses, an
evaluation, the rows of a sample grid and what to install. :func:`fit` runs
it and :func:`train_and_install` is the whole ``train NAME`` command.

Run folder (``--out``, default ``<data dir>/runs/NAME``), the same for every
trainer; every file is written atomically, so an interrupted run leaves only
whole files:

* ``losses.csv``: ``step,epoch,<losses>,<metrics>,lr,seconds``; the first row
  (step 0, epoch 0) is the evaluation before training, the others the mean
  of each loss since the previous row, the evaluation at that step, the
  first optimiser's learning rate and the seconds taken;
* ``curves.png``: the curves of those columns (:mod:`.curves`);
* ``samples/step-NNNNNN.png``: sample grids (one row per evaluation input);
* ``checkpoint.pt``: nets, optimisers, random state, settings and log at the
  last logged step: ``--resume`` continues from there exactly (the same steps
  and batches an uninterrupted run would have taken);
* ``NAME.safetensors``: the model at the end of the run, which is what gets
  installed into the models directory and the local catalog.

Errors a person can fix raise :class:`~inference.training.TrainingError` (or
:class:`~inference.training.BadOption`); the command line maps them to exit
codes (:data:`inference.cli.train.EXIT_CODES`). The command's side (options
every trainer shares, install after the run) is :mod:`.command`.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor, nn

from ..files import write_atomically
from . import BadOption, TrainingError

CHECKPOINT = "checkpoint.pt"
LOSSES = "losses.csv"
CURVES = "curves.png"
SAMPLES = "samples"


# -- what a trainer supplies ---------------------------------------------------------------------

@dataclass
class Installation:
    """What a trained model installs as.

    Attributes:
        weights: the model file, safetensors bytes.
        facts: ModelSpec fields the trainer knows (family, task, arch, title,
            input_size, paper, description, options); see
            :func:`inference.catalog.local.trained_spec`.
        files: further files by path relative to the models directory.
    """

    weights: bytes
    facts: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


class Trainer:
    """One kind of training run; subclass and fill in the methods that raise NotImplementedError.

    Attributes:
        name: the trainer's name ("pix2pix"), shown on the progress bar.
        losses: names of the losses :meth:`train_step` returns, in log order.
        metrics: names of the values :meth:`evaluate` returns, in log order.
        curves: {panel title: {series label: column}} for ``curves.png``
            (default: one panel of losses, one of metrics).
    """

    name: str = "model"
    losses: Sequence[str] = ()
    metrics: Sequence[str] = ()
    curves: Mapping[str, Mapping[str, str]] | None = None

    def settings(self) -> dict[str, Any]:
        """What a resumed run must share with the run it continues (JSON-like values)."""
        return {}

    def build(self, device: torch.device) -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        """Create the nets (on ``device``) and their optimisers, by name. Called once, seeded."""
        raise NotImplementedError

    def steps_per_epoch(self) -> int:
        """How many batches :meth:`batches` gives for one epoch."""
        raise NotImplementedError

    def batches(self, epoch: int, start: int) -> Iterable[Any]:
        """The batches of ``epoch`` (1-based) from batch ``start`` on.

        They should depend only on (seed, epoch, index), so that a resumed
        run sees the batches the interrupted one would have seen.
        """
        raise NotImplementedError

    def begin_epoch(self, epoch: int) -> None:
        """Called before the first batch of each epoch (e.g. a learning-rate schedule)."""

    def train_step(self, batch: Any, step: int, epoch: int) -> Mapping[str, Tensor | float]:
        """One optimisation step on ``batch`` (``step`` counts from 1); returns every name in :attr:`losses`."""
        raise NotImplementedError

    def evaluate(self) -> Mapping[str, float]:
        """Every name in :attr:`metrics`, on fixed evaluation data (nets in whatever mode they need)."""
        return {}

    def sample_rows(self) -> Sequence[Sequence[Tensor]]:
        """Rows of (3, H, W) RGB pictures in [0, 1], all the same size, for a sample grid."""
        return []

    def installation(self, name: str) -> Installation:
        """The model file and registry facts for installing the trained nets as ``name``."""
        raise NotImplementedError


@dataclass
class Schedule:
    """How long to train and when to log.

    Attributes:
        epochs: passes over the data (None: as many as ``steps`` needs).
        steps: total steps (None: ``epochs`` whole epochs).
        log_every: log, evaluate and checkpoint every N steps (None: at the
            end of each epoch). The last step of a run always logs.
        sample_every: write a sample grid every N steps (None: at each log).
    """

    epochs: int | None = None
    steps: int | None = None
    log_every: int | None = None
    sample_every: int | None = None


@dataclass
class Run:
    """What :func:`fit` did: the nets and the log rows (the first is the evaluation before training)."""

    nets: dict[str, nn.Module]
    step: int
    history: list[dict[str, Any]]
    folder: Path | None

    @property
    def before(self) -> dict[str, Any]:
        return self.history[0]

    @property
    def after(self) -> dict[str, Any]:
        return self.history[-1]


# -- run folder files ---------------------------------------------------------------------------

def descend(optimiser: torch.optim.Optimizer, losses: Mapping[str, Tensor], total: str = "total") -> dict[str, Tensor]:
    """One gradient step on ``losses[total]``; returns every loss detached, ready for :meth:`Trainer.train_step`."""
    optimiser.zero_grad(set_to_none=True)
    losses[total].backward()
    optimiser.step()
    return {name: value.detach() for name, value in losses.items()}


def grid(rows: Sequence[Sequence[Tensor]]) -> Image.Image:
    """Pictures (3, H, W) in [0, 1], all the same size, as one "RGB" image, row by row."""
    height, width = rows[0][0].shape[1:]
    columns = max(len(row) for row in rows)
    sheet = torch.ones(3, len(rows) * height, columns * width)
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            sheet[:, r * height:(r + 1) * height, c * width:(c + 1) * width] = picture.detach().float().cpu().clamp(0, 1)
    return Image.fromarray(sheet.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy())


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def safetensors_bytes(state_dict: Mapping[str, Tensor], metadata: Mapping[str, str] | None = None, *,
                      half: bool = False) -> bytes:
    """A state dict as safetensors bytes (CPU, contiguous; floats as float16 when ``half``)."""
    from safetensors.torch import save

    tensors = {}
    for key, value in state_dict.items():
        value = value.detach().to("cpu")
        tensors[key] = (value.half() if half and value.is_floating_point() else value).contiguous().clone()
    return save(tensors, metadata=dict(metadata or {}))


def _torch_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _csv_bytes(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return text.getvalue().encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _curves_png(trainer: Trainer, history: Sequence[Mapping[str, Any]], x: str) -> bytes:
    """``curves.png`` for the log so far: the trainer's panels against ``x`` ("step" or "epoch")."""
    from .curves import curve_sheet

    panels = trainer.curves or {
        "training losses": {name: name for name in trainer.losses},
        **({"evaluation": {name: name for name in trainer.metrics}} if trainer.metrics else {}),
    }
    return png_bytes(curve_sheet({
        title: {label: [(float(row[x]), float(row[column])) for row in history if row.get(column) is not None]
                for label, column in series.items()}
        for title, series in panels.items()
    }, x_label=x))


# -- the loop -----------------------------------------------------------------------------------

def _columns(trainer: Trainer) -> list[str]:
    return ["step", "epoch", *trainer.losses, *trainer.metrics, "lr", "seconds"]


def _first_lr(optimisers: Mapping[str, torch.optim.Optimizer]) -> float | None:
    for optimiser in optimisers.values():
        return float(optimiser.param_groups[0]["lr"])
    return None


def _changed(saved: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    keys = dict.fromkeys([*saved, *now])
    return ", ".join(f"{k} {saved.get(k)} -> {now.get(k)}" for k in keys if saved.get(k) != now.get(k))


def fit(
    trainer: Trainer,
    schedule: Schedule,
    folder: Path | None,
    *,
    device: torch.device | str = "cpu",
    resume: bool = False,
    stop_after: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Run:
    """Train ``trainer`` to the end of ``schedule`` (or ``stop_after`` more steps), writing ``folder``.

    Args:
        folder: the run folder (None: write nothing, e.g. in a notebook).
        resume: continue from ``folder``'s checkpoint (TrainingError if there
            is none, or it was made with other settings). Without it, a
            folder that holds a checkpoint is refused rather than overwritten.
        stop_after: stop after this many steps of this call; the run can be
            resumed later.
        seed: seeds torch before :meth:`Trainer.build`.
        progress: show a progress bar on stderr.

    Returns:
        The nets (in training mode) and the log rows.
    """
    from tqdm import tqdm

    device = torch.device(device)
    settings = trainer.settings()
    checkpoint_path = folder / CHECKPOINT if folder is not None else None
    if stop_after is not None and stop_after < 1:
        raise BadOption("--max-steps must be at least 1.")
    state = None
    if checkpoint_path is not None and checkpoint_path.is_file():
        if not resume:
            raise TrainingError(f"{folder} already holds a run; give --resume to continue it, or another --out.")
        try:
            state = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        except Exception:
            raise TrainingError(f"The checkpoint {checkpoint_path} cannot be read; start a new run with another --out.") from None
        if state["settings"] != settings:
            raise TrainingError(f"The run in {folder} was trained with other settings ({_changed(state['settings'], settings)}); "
                                f"use a new --out.")
    elif resume:
        raise TrainingError(f"Nothing to resume: {checkpoint_path or 'no run folder'} does not exist.")

    torch.manual_seed(seed)
    nets, optimisers = trainer.build(device)
    per_epoch = trainer.steps_per_epoch()
    if per_epoch < 1:
        raise TrainingError("The data gives no batch; add pictures or lower --batch-size.")
    total = schedule.steps if schedule.steps is not None else (schedule.epochs or 1) * per_epoch
    if schedule.epochs is not None:
        total = min(total, schedule.epochs * per_epoch)
    columns = _columns(trainer)
    x_axis = "epoch" if schedule.log_every is None else "step"

    if state is not None:
        for name, net in nets.items():
            net.load_state_dict(state["nets"][name])
        for name, optimiser in optimisers.items():
            optimiser.load_state_dict(state["optimisers"][name])
        torch.set_rng_state(state["rng"])
        step, history = int(state["step"]), list(state["history"])
        print(f"resuming {folder} at step {step}", file=sys.stderr)
    else:
        step = 0
        history = [{"step": 0, "epoch": 0, **trainer.evaluate(), "lr": _first_lr(optimisers), "seconds": 0.0}]
    for net in nets.values():
        net.train()

    def write_log() -> None:
        if folder is None:
            return
        write_atomically(folder / LOSSES, _csv_bytes(columns, history))
        write_atomically(folder / CURVES, _curves_png(trainer, history, x_axis))

    def write_checkpoint() -> None:
        if folder is None:
            return
        write_atomically(checkpoint_path, _torch_bytes({
            "step": step, "settings": settings, "history": history, "rng": torch.get_rng_state(),
            "nets": {name: {k: v.detach().cpu() for k, v in net.state_dict().items()} for name, net in nets.items()},
            "optimisers": {name: optimiser.state_dict() for name, optimiser in optimisers.items()},
        }))

    def write_samples() -> None:
        rows = trainer.sample_rows()
        if folder is not None and rows:
            write_atomically(folder / SAMPLES / f"step-{step:06d}.png", png_bytes(grid(rows)))
        for net in nets.values():
            net.train()

    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_log()
    last = total if stop_after is None else min(total, step + stop_after)
    sums: dict[str, float] = {}
    since_log, started = 0, time.monotonic()
    with tqdm(total=total, initial=step, desc=f"train {trainer.name}", unit="step", file=sys.stderr,
              disable=not progress, dynamic_ncols=True) as bar:
        while step < last:
            epoch, start = step // per_epoch + 1, step % per_epoch
            if start == 0:
                trainer.begin_epoch(epoch)
            for batch in trainer.batches(epoch, start):
                losses = trainer.train_step(batch, step + 1, epoch)
                step += 1
                since_log += 1
                for name in trainer.losses:
                    sums[name] = sums.get(name, 0.0) + float(losses[name])
                bar.update(1)
                bar.set_postfix({name: f"{float(losses[name]):.4g}" for name in list(trainer.losses)[:3]}, refresh=False)
                epoch_done = step % per_epoch == 0
                logs = step == last or (epoch_done if schedule.log_every is None else step % schedule.log_every == 0)
                if logs:
                    history.append({"step": step, "epoch": epoch, **{k: v / since_log for k, v in sums.items()},
                                    **trainer.evaluate(), "lr": _first_lr(optimisers),
                                    "seconds": round(time.monotonic() - started, 2)})
                    for net in nets.values():
                        net.train()
                    sums, since_log, started = {}, 0, time.monotonic()
                if (step % schedule.sample_every == 0 or step == last) if schedule.sample_every else logs:
                    write_samples()
                if logs:
                    write_log()  # before the checkpoint: a resumed run rewrites the log from the checkpoint
                    write_checkpoint()
                if step == last or epoch_done:
                    break
            else:
                raise TrainingError(f"The data gave fewer batches in epoch {epoch} than the {per_epoch} announced.")
    return Run(nets, step, history, folder)


def epoch_order(count: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The shuffled indices of ``count`` items for ``epoch``, cut into batches of ``batch_size``.

    An epoch has ``max(1, count // batch_size)`` batches (an incomplete last
    batch is dropped; fewer items than a batch repeat). The order depends
    only on (seed, epoch).
    """
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    batches = max(1, count // batch_size)
    needed = batches * batch_size
    order: list[int] = []
    while len(order) < needed:
        order += torch.randperm(count, generator=generator).tolist()
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(batches)]


def step_generator(seed: int, *where: int) -> torch.Generator:
    """A torch generator seeded from (seed, epoch, index ...): randomness that a resumed run repeats."""
    value = seed
    for part in where:
        value = (value * 1_000_003 + part) % (2 ** 63 - 1)
    return torch.Generator().manual_seed(value)


__all__ = ["BadOption", "Installation", "Run", "Schedule", "Trainer", "TrainingError", "epoch_order", "fit",
           "grid", "png_bytes", "safetensors_bytes", "step_generator"]
