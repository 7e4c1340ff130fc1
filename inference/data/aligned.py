"""Reading the official pix2pix data set layout: ``DIR/train/*.jpg`` with A|B side by side.

Each file holds the input A on the left and the target B on the right, as
``datasets/combine_A_and_B.py`` of the official repository writes them; the
direction "BtoA" swaps the roles. Augmentation is the official
``resize_and_crop`` plus flip: both halves resized to ``load_size`` with
bicubic resampling, one random ``crop_size`` crop and one random horizontal
flip shared by the pair (286 -> 256 in the paper; scaled for other sizes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .palette import snap_to_palette

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def pair_files(folder: Path) -> list[Path]:
    """The image files of one split folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def load_size_for(crop_size: int) -> int:
    """The official 286 for 256, scaled to other crop sizes (rounded to even)."""
    return int(round(crop_size * 286 / 256 / 2)) * 2


def split_pair(image: Image.Image, direction: str = "AtoB") -> tuple[Image.Image, Image.Image]:
    """(input, target) halves of an A|B image, in RGB, for the given direction."""
    image = image.convert("RGB")
    width, height = image.size
    half = width // 2
    a = image.crop((0, 0, half, height))
    b = image.crop((half, 0, 2 * half, height))
    return (a, b) if direction == "AtoB" else (b, a)


@dataclass
class AlignedPairs:
    """The pairs of one split folder, loaded lazily.

    Attributes:
        files: the A|B image files.
        direction: "AtoB" or "BtoA".
        crop_size: side of the training crops (the network input).
        load_size: side both halves are resized to before cropping.
        augment: random crop and flip; without it, a plain resize to ``crop_size``.
        palette: (K, 3) uint8 label colours; inputs are snapped to them after
            resizing, as :func:`inference.pipelines.sketch.prepare` does.
    """

    files: list[Path]
    direction: str = "AtoB"
    crop_size: int = 256
    load_size: int = 286
    augment: bool = True
    palette: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.files)

    def get(self, index: int, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``index`` as (input, target) (H, W, 3) uint8 arrays, augmented with ``rng`` if given."""
        with Image.open(self.files[index]) as image:
            a, b = split_pair(image, self.direction)
        if self.augment and rng is not None:
            size = (self.load_size, self.load_size)
            a = a.resize(size, Image.Resampling.BICUBIC)
            b = b.resize(size, Image.Resampling.BICUBIC)
            x = int(rng.integers(0, self.load_size - self.crop_size + 1))
            y = int(rng.integers(0, self.load_size - self.crop_size + 1))
            box = (x, y, x + self.crop_size, y + self.crop_size)
            a, b = a.crop(box), b.crop(box)
            if rng.random() < 0.5:
                a = a.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                b = b.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            size = (self.crop_size, self.crop_size)
            a = a.resize(size, Image.Resampling.BICUBIC) if a.size != size else a
            b = b.resize(size, Image.Resampling.BICUBIC) if b.size != size else b
        a_pixels, b_pixels = np.asarray(a), np.asarray(b)
        if self.palette is not None:
            a_pixels = snap_to_palette(a_pixels, self.palette)
        return a_pixels, b_pixels


def distinct_colours(files: list[Path], direction: str = "AtoB", limit: int = 64, sample: int = 16) -> np.ndarray | None:
    """The input colours of a label-map data set (read from a few files), or None if it has too many.

    Returns:
        (K, 3) uint8 colours sorted by frequency (most common first), K <= ``limit``.
    """
    counts: dict[tuple[int, int, int], int] = {}
    for path in files[:sample]:
        with Image.open(path) as image:
            a, _ = split_pair(image, direction)
        colours, frequency = np.unique(np.asarray(a).reshape(-1, 3), axis=0, return_counts=True)
        for colour, n in zip(map(tuple, colours.tolist()), frequency.tolist()):
            counts[colour] = counts.get(colour, 0) + n
    # Colours of a handful of pixels are JPEG or resize noise, not labels.
    total = sum(counts.values()) or 1
    labels = [c for c, n in sorted(counts.items(), key=lambda item: -item[1]) if n / total > 1e-4]
    if not labels or len(labels) > limit:
        return None
    return np.asarray(labels, dtype=np.uint8)
