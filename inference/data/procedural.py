"""Procedural photos and paintings for style-transfer tests and demos, deterministic per seed.

* :func:`photo`: a content-like picture: a sky gradient with a sun, hills,
  houses and trees with soft shading and a little sensor noise, i.e. smooth
  regions, edges and objects, as content losses expect;
* :func:`painting`: a style-like picture with a strong texture and a
  palette of its own: "stripes" (wavy bands), "blobs" (overlapping soft
  discs) or "strokes" (short oriented brush strokes).

Only numpy and Pillow: no torch, no files unless asked (:func:`write_photos`,
:func:`write_paintings`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PAINTING_KINDS = ("stripes", "blobs", "strokes")


def _palette(rng: np.random.Generator, colours: int) -> np.ndarray:
    """(colours, 3) float RGB in [0, 1]: related hues around a random base, varied lightness."""
    base = rng.random()
    hues = (base + rng.normal(0.0, 0.12, colours)) % 1.0
    saturation = rng.uniform(0.45, 0.95, colours)
    value = rng.uniform(0.35, 1.0, colours)
    # HSV -> RGB, vectorised.
    h6 = hues * 6.0
    sector = np.floor(h6).astype(int) % 6
    f = h6 - np.floor(h6)
    p, q, t = value * (1 - saturation), value * (1 - saturation * f), value * (1 - saturation * (1 - f))
    table = np.stack([
        np.stack([value, t, p], 1), np.stack([q, value, p], 1), np.stack([p, value, t], 1),
        np.stack([p, q, value], 1), np.stack([t, p, value], 1), np.stack([value, p, q], 1),
    ])
    return table[sector, np.arange(colours)]


def _to_image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8), "RGB")


def photo(seed: int, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """A content-like "photo": sky, sun, hills, houses and trees.

    Args:
        seed: the same seed always gives the same picture.
        size: (width, height).

    Returns:
        An "RGB" image.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    sky_top = np.array([0.25, 0.45, 0.85]) * rng.uniform(0.7, 1.1)
    sky_low = np.array([0.85, 0.8, 0.75]) * rng.uniform(0.8, 1.05)
    pixels = sky_top + (sky_low - sky_top) * y[..., None] ** 0.8
    pixels = np.broadcast_to(pixels, (height, width, 3)).copy()

    sun_x, sun_y, sun_r = rng.uniform(0.15, 0.85), rng.uniform(0.08, 0.3), rng.uniform(0.04, 0.09)
    glow = np.exp(-(((x - sun_x) ** 2 + (y - sun_y) ** 2) / (2 * (sun_r * 1.8) ** 2)))
    pixels += glow[..., None] * np.array([0.35, 0.3, 0.1])
    disc = ((x - sun_x) ** 2 + (y - sun_y) ** 2) < sun_r**2
    pixels[disc] = [1.0, 0.95, 0.7]

    for layer in range(3):  # hills, far (bluish, light) to near (green, dark)
        phase, frequency = rng.uniform(0, 2 * np.pi), rng.uniform(2.0, 5.0)
        ridge = 0.45 + 0.12 * layer + 0.06 * np.sin(2 * np.pi * frequency * x + phase) + 0.03 * np.sin(
            2 * np.pi * 3 * frequency * x + 2 * phase
        )
        colour = np.array([0.35, 0.5, 0.45]) * (1.0 - 0.2 * layer) + np.array([0.0, 0.08, -0.1]) * layer
        below = y >= ridge
        shade = 1.0 - 0.35 * np.clip((y - ridge) / 0.4, 0, 1)
        pixels = np.where(below[..., None], colour * shade[..., None], pixels)

    image = _to_image(pixels)
    draw = ImageDraw.Draw(image)
    ground = int(height * 0.72)
    for _ in range(rng.integers(2, 5)):  # houses: a wall and a roof
        w = int(width * rng.uniform(0.08, 0.16))
        h = int(height * rng.uniform(0.08, 0.15))
        left = int(rng.uniform(0.02, 0.9) * width)
        base = ground + int(rng.uniform(-0.05, 0.15) * height)
        wall = tuple(int(c) for c in rng.integers(120, 240, 3))
        roof = tuple(int(c) for c in rng.integers(60, 160, 3))
        draw.rectangle([left, base - h, left + w, base], fill=wall, outline=(40, 40, 40))
        draw.polygon([(left - w // 8, base - h), (left + w + w // 8, base - h), (left + w // 2, base - h - h // 1.6)],
                     fill=roof)
        draw.rectangle([left + w // 3, base - h // 2, left + 2 * w // 3, base], fill=(70, 50, 40))
    for _ in range(rng.integers(3, 8)):  # trees: trunk and a round crown
        cx = int(rng.uniform(0.0, 1.0) * width)
        base = ground + int(rng.uniform(0.0, 0.25) * height)
        r = int(height * rng.uniform(0.04, 0.08))
        draw.rectangle([cx - r // 5, base - 2 * r, cx + r // 5, base], fill=(90, 60, 35))
        green = (int(rng.integers(20, 70)), int(rng.integers(90, 160)), int(rng.integers(20, 70)))
        draw.ellipse([cx - r, base - 3.2 * r, cx + r, base - 1.4 * r], fill=green)

    image = image.filter(ImageFilter.GaussianBlur(radius=max(0.6, width / 512)))
    noisy = np.asarray(image, dtype=np.float32) / 255.0 + rng.normal(0.0, 0.012, (height, width, 3))
    return _to_image(noisy)


def painting(seed: int, size: tuple[int, int] = (256, 256), kind: str | None = None) -> Image.Image:
    """A style-like "painting" with a strong texture and its own palette.

    Args:
        seed: the same seed always gives the same picture.
        size: (width, height).
        kind: one of :data:`PAINTING_KINDS`; None picks one from the seed.

    Returns:
        An "RGB" image.
    """
    rng = np.random.default_rng(seed)
    if kind is None:
        kind = PAINTING_KINDS[int(rng.integers(len(PAINTING_KINDS)))]
    if kind not in PAINTING_KINDS:
        raise ValueError(f"unknown painting kind {kind!r}; choose one of {', '.join(PAINTING_KINDS)}")
    width, height = size
    colours = _palette(rng, 6)
    if kind == "stripes":
        return _stripes(rng, width, height, colours)
    if kind == "blobs":
        return _blobs(rng, width, height, colours)
    return _strokes(rng, width, height, colours)


def _stripes(rng: np.random.Generator, width: int, height: int, colours: np.ndarray) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / max(width, height)
    angle = rng.uniform(0, np.pi)
    along = x * np.cos(angle) + y * np.sin(angle)
    across = -x * np.sin(angle) + y * np.cos(angle)
    wave = along + 0.04 * np.sin(2 * np.pi * rng.uniform(2, 6) * across + rng.uniform(0, 6.3))
    band = wave * rng.uniform(10, 24)
    index = np.floor(band).astype(int) % len(colours)
    edge = np.abs(band - np.round(band)) < 0.08  # dark outlines between bands
    pixels = colours[index]
    pixels[edge] *= 0.35
    return _to_image(pixels)


def _blobs(rng: np.random.Generator, width: int, height: int, colours: np.ndarray) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.broadcast_to(colours[0] * 0.6, (height, width, 3)).copy()
    scale = max(width, height)
    for _ in range(int(rng.integers(25, 45))):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.04, 0.16) * scale
        mask = np.exp(-(((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))) ** 2
        colour = colours[int(rng.integers(len(colours)))]
        pixels += (colour - pixels) * mask[..., None] * rng.uniform(0.6, 1.0)
    speckle = rng.normal(0.0, 0.04, (height, width, 1))
    return _to_image(pixels * (1 + speckle))


def _strokes(rng: np.random.Generator, width: int, height: int, colours: np.ndarray) -> Image.Image:
    background = tuple(int(c) for c in np.rint(colours[0] * 255))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    scale = max(width, height)
    flow = rng.uniform(0, np.pi)  # strokes follow a slowly turning direction field
    for _ in range(int(scale * 2.2)):
        cx, cy = rng.uniform(-0.05, 1.05) * width, rng.uniform(-0.05, 1.05) * height
        angle = flow + 1.2 * np.sin(cx / scale * 5.0) * np.cos(cy / scale * 4.0) + rng.normal(0, 0.15)
        length = rng.uniform(0.03, 0.08) * scale
        dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
        colour = colours[int(rng.integers(len(colours)))] * rng.uniform(0.8, 1.15)
        fill = tuple(int(c) for c in np.clip(np.rint(colour * 255), 0, 255))
        draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=fill, width=max(2, int(scale * rng.uniform(0.01, 0.025))))
    return image.filter(ImageFilter.SMOOTH)


def write_photos(folder: str | Path, count: int, *, seed: int = 0, size: tuple[int, int] = (256, 256)) -> list[Path]:
    """Write ``count`` photos ``photo-000.png`` ... (seeds ``seed``, ``seed + 1`` ...) and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo-{i:03d}.png"
        photo(seed + i, size).save(path)
        paths.append(path)
    return paths


def write_paintings(
    folder: str | Path, count: int, *, seed: int = 0, size: tuple[int, int] = (256, 256)
) -> list[Path]:
    """Write ``count`` paintings named after their kind (``00-stripes.png`` ...), kinds in turn."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        kind = PAINTING_KINDS[i % len(PAINTING_KINDS)]
        path = folder / f"{i:02d}-{kind}.png"
        painting(seed + i, size, kind).save(path)
        paths.append(path)
    return paths
