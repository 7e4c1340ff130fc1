"""Folders of pictures as training data: random square crops whose randomness a resumed run repeats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ..images import to_rgb_or_l
from . import TrainingError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted; TrainingError if there are none."""
    if not folder.is_dir():
        raise TrainingError(f"{folder} is not a folder.")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise TrainingError(f"No images in {folder} (looked for {', '.join(sorted(IMAGE_EXTENSIONS))}).")
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


class PictureCrops:
    """Square crops of pictures: each is resized so its shorter side is ``load_size``, then cropped to ``size``.

    Pictures are read when needed, so folders of any size work.

    Args:
        paths: picture files.
        size: crop side.
        load_size: shorter side before cropping (>= size).
    """

    def __init__(self, paths: Sequence[Path], size: int, load_size: int) -> None:
        if load_size < size:
            raise ValueError("load_size must be at least the crop size")
        self.paths = list(paths)
        self.size = size
        self.load_size = load_size

    def __len__(self) -> int:
        return len(self.paths)

    def crop(self, index: int, generator: torch.Generator | None) -> Tensor:
        """(3, size, size) in [0, 1]: a random crop drawn from ``generator``, or the centre crop when None."""
        picture = read_rgb(self.paths[index], shorter_side=self.load_size)
        _, height, width = picture.shape
        if generator is not None:
            top = int(torch.randint(0, height - self.size + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - self.size + 1, (1,), generator=generator))
        else:
            top, left = (height - self.size) // 2, (width - self.size) // 2
        return picture[:, top:top + self.size, left:left + self.size]

    def batch(self, indices: Sequence[int], generator: torch.Generator) -> Tensor:
        """(len(indices), 3, size, size): random crops of the given pictures."""
        return torch.stack([self.crop(i, generator) for i in indices])

    def fixed(self, count: int) -> Tensor:
        """(min(count, pictures), 3, size, size) centre crops of the first pictures: an evaluation batch."""
        return torch.stack([self.crop(i, None) for i in range(min(count, len(self.paths)))])
