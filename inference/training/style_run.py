"""What both style trainers share: image folders as batches, the run folder, installing the result.

* :class:`ImageBatches`: a folder of pictures (searched recursively) as
  random square crops, or fixed centre crops for a steady evaluation batch;
* :class:`RunFolder`: ``losses.csv`` (one row per logged step) and
  ``samples-NNNNNN.png`` grids under ``--out``;
* :func:`install_weights`: the trained weights as safetensors in the models
  directory, written atomically, with their sha256 for the registry.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ..errors import InferenceError
from ..files import write_atomically
from ..images import to_rgb_or_l
from ..paths import models_dir
from .stylize import slug

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted; InferenceError if there are none."""
    if not folder.is_dir():
        raise InferenceError(f"{folder} is not a folder.")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise InferenceError(f"No images in {folder} (looked for {', '.join(sorted(IMAGE_EXTENSIONS))}).")
    return paths


def read_rgb(path: Path, *, shorter_side: int | None = None, longer_side: int | None = None) -> Tensor:
    """A picture as (3, H, W) float32 RGB in [0, 1], optionally resized (bicubic, aspect kept).

    Args:
        shorter_side: resize so the shorter side is this long (up or down).
        longer_side: else resize so the longer side is this long.
    """
    with Image.open(path) as opened:
        picture = to_rgb_or_l(opened).convert("RGB")
    side = min(picture.size) if shorter_side else max(picture.size)
    target = shorter_side or longer_side
    if target and side != target:
        scale = target / side
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1).float().div_(255.0)


class ImageBatches:
    """Square crops of the pictures in a folder.

    Each picture is resized so its shorter side is ``load_size``, then
    cropped to ``size`` x ``size`` (at random for training, in the centre for
    evaluation). Pictures are read when needed, so folders of any size work.

    Args:
        paths: picture files.
        size: crop side.
        load_size: shorter side before cropping (>= size).
        generator: the source of randomness (seeded by the trainer).
    """

    def __init__(self, paths: Sequence[Path], size: int, load_size: int, generator: torch.Generator) -> None:
        if load_size < size:
            raise ValueError("load_size must be at least the crop size")
        self.paths = list(paths)
        self.size = size
        self.load_size = load_size
        self.generator = generator

    def _crop(self, path: Path, random: bool) -> Tensor:
        picture = read_rgb(path, shorter_side=self.load_size)
        _, height, width = picture.shape
        if random:
            top = int(torch.randint(0, height - self.size + 1, (1,), generator=self.generator))
            left = int(torch.randint(0, width - self.size + 1, (1,), generator=self.generator))
        else:
            top, left = (height - self.size) // 2, (width - self.size) // 2
        return picture[:, top:top + self.size, left:left + self.size]

    def sample(self, batch_size: int) -> Tensor:
        """(batch_size, 3, size, size) random crops of randomly chosen pictures, in [0, 1]."""
        picks = torch.randint(0, len(self.paths), (batch_size,), generator=self.generator).tolist()
        return torch.stack([self._crop(self.paths[i], random=True) for i in picks])

    def fixed(self, count: int) -> Tensor:
        """(min(count, pictures), 3, size, size) centre crops of the first pictures: an evaluation batch."""
        return torch.stack([self._crop(path, random=False) for path in self.paths[:count]])


def grid(rows: Sequence[Sequence[Tensor]], pad: int = 2) -> Image.Image:
    """Pictures (3, H, W) in [0, 1], all the same size, as one "RGB" image in rows."""
    height, width = rows[0][0].shape[1:]
    columns = max(len(row) for row in rows)
    sheet = torch.ones(3, len(rows) * (height + pad) + pad, columns * (width + pad) + pad)
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            top, left = pad + r * (height + pad), pad + c * (width + pad)
            sheet[:, top:top + height, left:left + width] = picture.detach().float().cpu().clamp(0, 1)
    pixels = sheet.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(pixels)


class RunFolder:
    """``--out``: a loss log and sample grids, written as training goes.

    ``losses.csv`` has a header row and one row per logged step; the
    columns are ``step`` and the loss names given to the first :meth:`log`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.losses = path / "losses.csv"
        self._columns: list[str] | None = None

    def log(self, step: int, losses: Mapping[str, float]) -> None:
        """Append one row to ``losses.csv``."""
        if self._columns is None:
            self._columns = ["step", *losses]
            with open(self.losses, "w", newline="") as fh:
                csv.writer(fh).writerow(self._columns)
        with open(self.losses, "a", newline="") as fh:
            csv.writer(fh).writerow([step, *(f"{losses[k]:.6g}" for k in self._columns[1:])])

    def save_samples(self, step: int, rows: Sequence[Sequence[Tensor]]) -> Path:
        """Write ``samples-<step>.png``: one row per evaluation photo."""
        path = self.path / f"samples-{step:06d}.png"
        grid(rows).save(path)
        return path


def safetensors_bytes(state_dict: Mapping[str, Tensor], metadata: Mapping[str, str] | None = None) -> bytes:
    """A state dict as safetensors bytes (CPU, contiguous), with string metadata."""
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    return save(tensors, metadata=dict(metadata or {}))


def install_weights(filename: str, data: bytes) -> tuple[Path, str]:
    """Write weights into the models directory atomically; returns (path, sha256)."""
    target = models_dir() / filename
    write_atomically(target, data)
    return target, hashlib.sha256(data).hexdigest()


def install_thumbnails(folder_name: str, pictures: Sequence[tuple[str, Path]], size: int = 128) -> list[str]:
    """Save a JPEG thumbnail per (name, picture file) under ``<models dir>/<folder_name>/``.

    Returns:
        The thumbnails' paths relative to the models directory, in order.
    """
    from ..images import encode_image, thumbnail

    relative = []
    for index, (name, source) in enumerate(pictures):
        with Image.open(source) as opened:
            small = thumbnail(opened, size)
        path = f"{folder_name}/{index:02d}-{slug(name)}.jpg"
        write_atomically(models_dir() / path, encode_image(small, "JPEG", quality=88))
        relative.append(path)
    return relative


def sizes_are_positive(sizes: Sequence[tuple[str, int]]) -> bool:
    """Whether every (option, value) is at least 1; prints the first that is not."""
    for option, value in sizes:
        if value < 1:
            print(f"error: {option} must be at least 1", file=sys.stderr)
            return False
    return True


def finish_run(result, *, name: str, out: Path, no_install: bool, weights_bytes, install) -> int:
    """Report a finished run, then keep its weights in the run folder (--no-install) or install them."""
    print(f"evaluation loss {result.eval_before:.4g} -> {result.eval_after:.4g} after {result.steps} steps; "
          f"run folder {out}", file=sys.stderr)
    if no_install:
        target = out / f"{name}.safetensors"
        target.write_bytes(weights_bytes(result))
        print(f"not installed (--no-install); weights in {target}", file=sys.stderr)
        return 0
    spec = install(result)
    styles = spec.options.get("styles")
    print(f"installed {spec.name}{f' ({len(styles)} styles)' if styles else ''} as {spec.path}", file=sys.stderr)
    return 0
