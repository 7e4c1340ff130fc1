"""Procedural landscapes for training Atelier's Live Sketch models.

Each scene is a picture (sky with gradient, sun glow and clouds, mountain
ranges with snow, a lake or the sea reflecting them, beaches, meadows,
rocks and trees, all textured with value noise and lit from the sun) plus
two drawings of the same scene: its label map in the fixed palette of
:mod:`inference.data.palette`, and a hand-drawn-looking line drawing of its
outlines. Everything is deterministic for a seed.

The drawings imitate what people make in the studio rather than tracing the
picture exactly: label maps are painted with a brush (wobbly, jittered
region edges; some regions are brush strokes and blobs with round caps,
laid over each other, and the picture follows them), and line drawings vary
in pen width, wobble, broken strokes, double strokes and hatching. Skies
(clear, golden, dusk, overcast), water (colour, calm mirror or choppy,
glitter or none) and mountains vary from scene to scene.

``python -m inference.data.landscapes --out DIR --kind paint|sketch`` writes
the official pix2pix data set layout: ``DIR/train/*.png`` and ``DIR/val/*.png``,
each file an A|B pair side by side (A = label map or line drawing, B = picture),
which ``python -m inference train pix2pix --data DIR`` reads.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..files import write_atomically
from .noise import ValueNoise, smoothstep
from .palette import LABEL_INDEX, LABEL_RGB, STYLE_MATERIALS

SUPERSAMPLE = 2  # scenes are drawn at twice the size and filtered down: smooth edges
KINDS = ("paint", "sketch")

SKY, CLOUD, MOUNTAIN, SNOW, WATER, SAND, GRASS, ROCK, TREE = (
    LABEL_INDEX[name] for name in ("sky", "cloud", "mountain", "snow", "water", "sand", "grass", "rock", "tree")
)


@dataclass(frozen=True)
class Scene:
    """One landscape and its two drawings, all ``size`` x ``size`` (a drawing not asked for is None).

    Attributes:
        picture: "RGB" rendering.
        labels: (size, size) uint8 label indices into the palette, as painted (edges wobble
            around the picture's, the way a brush follows them).
        label_map: "RGB" image of ``labels`` in palette colours.
        sketch: "RGB" line drawing: dark strokes on white.
        style: the scene's colours, ``{material: "#rrggbb"}`` for the
            :data:`STYLE_MATERIALS` it shows (:func:`scene_style`).
    """

    picture: Image.Image
    labels: np.ndarray | None
    label_map: Image.Image | None
    sketch: Image.Image | None
    style: dict[str, str]


def _rgb(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32) / 255.0


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Linear blend of colours; an array ``t`` is per pixel and broadcasts over the colour axis."""
    t = np.asarray(t, dtype=np.float32)
    if t.ndim:
        t = t[..., None]
    return a + (b - a) * t


class _View:
    """A rectangle of the canvas: slices into the full arrays and its own coordinate arrays."""

    def __init__(self, painter: "_Painter", y0: float, y1: float, x0: float = 0.0, x1: float = 1.0) -> None:
        r = painter.r
        rows = slice(max(0, int(np.floor(y0 * r))), min(r, int(np.ceil(y1 * r))))
        cols = slice(max(0, int(np.floor(x0 * r))), min(r, int(np.ceil(x1 * r))))
        self.slices = (rows, cols)
        self.y = painter.y[self.slices]
        self.x = painter.x[self.slices]

    @property
    def empty(self) -> bool:
        return self.y.size == 0


class _Painter:
    """Draws one scene at ``r`` x ``r`` pixels into ``picture``, ``labels`` and ``strokes``."""

    def __init__(self, seed: int, r: int) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.noise = ValueNoise(self.rng)
        self.r = r
        coords = (np.arange(r, dtype=np.float32) + 0.5) / r
        self.y, self.x = np.meshgrid(coords, coords, indexing="ij")  # (r, r), 0..1 from top-left
        self.xs = coords
        self.picture = np.zeros((r, r, 3), dtype=np.float32)
        self.labels = np.full((r, r), SKY, dtype=np.uint8)
        self.strokes: list[tuple[list[tuple[float, float]], float]] = []  # (points in pixels, width)

    # -- helpers --------------------------------------------------------------------------------

    def drawing_rng(self, kind: str) -> np.random.Generator:
        """The random stream of one drawing, apart from the scene's: each drawing can be made alone."""
        return np.random.default_rng([self.seed, 1 + KINDS.index(kind)])

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def view(self, y0: float, y1: float, x0: float = 0.0, x1: float = 1.0) -> _View:
        return _View(self, y0, y1, x0, x1)

    def paint(self, view: _View, alpha: np.ndarray, colour: np.ndarray, label: int | None) -> None:
        """Blend ``colour`` into ``view`` with per-pixel ``alpha``; label the pixels where alpha > 0.5."""
        alpha = np.asarray(alpha, dtype=np.float32)
        target = self.picture[view.slices]
        target[...] = _mix(target, np.broadcast_to(colour, target.shape), alpha)
        if label is not None:
            self.labels[view.slices][alpha > 0.5] = label

    def depth(self, y: np.ndarray | float) -> np.ndarray:
        """Ground depth: 0 at the horizon, 1 at the bottom edge."""
        return (np.asarray(y, dtype=np.float32) - self.horizon) / (1.0 - self.horizon)

    def ground_plane(self, view: _View) -> tuple[np.ndarray, np.ndarray]:
        """Perspective coordinates of the ground: textures shrink towards the horizon."""
        z = 1.0 / np.maximum(self.depth(view.y), 0.015)
        return (view.x - 0.5) * z, z

    def line(self, y0: float, amplitude: float, frequency: float, seed: float, octaves: int = 4) -> np.ndarray:
        """A wavy line across the picture: one row position per column (y0 +- amplitude)."""
        wave = self.noise.fbm(self.xs * frequency + seed, np.full_like(self.xs, seed * 0.37), octaves)
        return (y0 + amplitude * (wave - 0.5) * 2).astype(np.float32)

    def stroke(self, points: Sequence[tuple[float, float]], width: float) -> None:
        """Record a texture line (points in 0..1 scene coordinates, width in pixels at 512) for the drawing."""
        self.strokes.append(([(px * self.r, py * self.r) for px, py in points], width))

    # -- the scene, back to front ---------------------------------------------------------------

    def compose(self) -> None:
        rng = self.rng
        self.horizon = self.uniform(0.36, 0.6)
        self.mood = str(rng.choice(["clear", "clear", "clear", "golden", "dusk", "overcast", "hazy"]))
        self.golden = self.mood in ("golden", "dusk")
        self.sun = np.array([self.uniform(0.1, 0.9), self.uniform(0.05, self.horizon - 0.12)], dtype=np.float32)
        self.sun_side = 1.0 if self.sun[0] < 0.5 else -1.0  # light from the left (+1) or the right (-1)
        self.layout = str(rng.choice(["lake", "sea", "meadow", "lake", "meadow"]))
        self.sky()
        self.clouds()
        self.mountains()
        self.hills()
        self.ground()
        self.rocks()
        self.trees()
        self.brush_strokes()
        self.finish()

    def sky(self) -> None:
        if self.mood == "golden":
            zenith = _rgb(self.uniform(50, 80), self.uniform(80, 110), self.uniform(150, 185))
            self.horizon_colour = _rgb(self.uniform(240, 255), self.uniform(175, 205), self.uniform(125, 160))
            self.sun_colour = _rgb(255, 190, 110)
        elif self.mood == "dusk":
            zenith = _rgb(self.uniform(40, 70), self.uniform(40, 70), self.uniform(100, 140))
            self.horizon_colour = _rgb(self.uniform(220, 250), self.uniform(130, 170), self.uniform(150, 190))
            self.sun_colour = _rgb(255, 160, 120)
        elif self.mood == "overcast":
            grey = self.uniform(120, 170)
            zenith = _rgb(grey, grey + 5, grey + 15)
            top = self.uniform(185, 220)
            self.horizon_colour = _rgb(top, top + 3, top + 8)
            self.sun_colour = _rgb(225, 225, 225)
        elif self.mood == "hazy":
            zenith = _rgb(self.uniform(90, 130), self.uniform(140, 170), self.uniform(200, 230))
            self.horizon_colour = _rgb(self.uniform(215, 235), self.uniform(220, 235), self.uniform(225, 240))
            self.sun_colour = _rgb(255, 250, 235)
        else:
            zenith = _rgb(self.uniform(30, 70), self.uniform(95, 135), self.uniform(185, 230))
            self.horizon_colour = _rgb(self.uniform(170, 210), self.uniform(200, 225), self.uniform(225, 245))
            self.sun_colour = _rgb(255, 245, 220)
        t = np.clip(self.y / self.horizon, 0.0, 1.0) ** 1.3
        self.picture[:] = _mix(zenith, self.horizon_colour, t)
        distance = np.hypot(self.x - self.sun[0], (self.y - self.sun[1]) * 1.3)
        glow = 0.35 * np.exp(-distance / 0.16) + 0.6 * np.exp(-((distance / 0.03) ** 2))
        strength = {"golden": 0.7, "dusk": 0.6, "overcast": 0.08}.get(self.mood, 0.5)
        self.picture += glow[..., None] * self.sun_colour * strength
        self.zenith = zenith

    def clouds(self) -> None:
        coverage = self.uniform(0.0, 1.0) ** 1.2
        if self.mood == "overcast":
            coverage = self.uniform(0.6, 1.0)
        if coverage < 0.1:
            return
        view = self.view(0.0, self.horizon)
        above = np.maximum(self.horizon + 0.12 - view.y, 0.05)
        z = 1.0 / above  # clouds are a layer seen in perspective: flatter near the horizon
        streaks = self.uniform(0.25, 1.0) if self.rng.random() < 0.3 else 1.0  # < 1: long thin streaks
        u = (view.x - 0.5) * z * 0.5 * streaks + self.uniform(0, 50)
        v = z * 0.9 * self.uniform(0.7, 1.4)
        shape = self.noise.fbm(u, v, 3, gain=0.5)
        detail = self.noise.fbm(u * 4, v * 4, 4)
        density = shape + 0.18 * (detail - 0.5)
        threshold = 0.72 - 0.28 * coverage
        alpha = smoothstep(threshold, threshold + 0.1, density)
        alpha *= smoothstep(0.0, 0.25, (self.horizon - view.y) / self.horizon)
        thickness = smoothstep(threshold, threshold + 0.35, density)
        below = self.noise.fbm(u, v + 0.35, 3, gain=0.5)  # the cloud a little lower down the layer
        lit = np.clip(0.6 + 2.5 * (density - below), 0.0, 1.0)
        bright = _mix(_rgb(255, 255, 255), self.sun_colour, 0.4 if self.golden else 0.08)
        grey = _mix(self.horizon_colour, _rgb(110, 115, 135), 0.6)
        colour = _mix(bright, grey, np.clip(thickness * 0.55 * (1.1 - lit) + 0.1 * (1 - lit), 0.0, 0.8))
        colour = _mix(colour, self.horizon_colour, smoothstep(0.6, 1.0, view.y / self.horizon) * 0.4)
        self.paint(view, alpha * 0.96, colour, CLOUD)

    def mountains(self) -> None:
        ranges = int(self.rng.choice([0, 1, 1, 2, 2, 3]))
        palettes = [_rgb(80, 86, 118), _rgb(112, 98, 86), _rgb(76, 96, 82), _rgb(104, 100, 112),
                    _rgb(140, 96, 70), _rgb(60, 66, 78), _rgb(96, 112, 70), _rgb(130, 120, 110)]
        base = palettes[int(self.rng.integers(len(palettes)))] * self.uniform(0.85, 1.15)
        tall = self.uniform(0.8, 1.35)  # gentle hills to steep peaks
        for k in range(ranges):
            far = 1.0 - k / ranges  # 1 for the backmost range
            height = self.uniform(0.12, 0.32) * tall * (0.55 + 0.5 * far) * self.horizon / 0.5
            centre, spread = self.uniform(0.0, 1.0), self.uniform(0.4, 1.0)
            envelope = np.clip(1.25 - np.abs(self.xs - centre) / spread, 0.1, 1.0)
            ridge = self.noise.ridged(self.xs * self.uniform(2.0, 4.5) + 20 * k, np.full_like(self.xs, 7.3 * k), 6)
            top = self.horizon - height * envelope * (0.25 + 0.75 * ridge)
            view = self.view(float(top.min()), self.horizon + 0.01)
            if view.empty:
                continue
            inside = view.y >= top[None, :]
            # Slope of the ridge (> 0 where it falls to the right), smoothed so one
            # spiky crest does not streak the whole face below it.
            kernel = np.ones(max(3, self.r // 40), dtype=np.float32)
            slope = np.convolve(np.gradient(top) * self.r, kernel / kernel.size, mode="same")
            slope = np.clip(slope, -1.5, 1.5)
            # Faces turned to the sun are bright; gullies run down from the crest.
            drop = (view.y - top[None, :]) / height
            u, v = view.x * 7 + 13 * k, drop * 2.5
            bend = drop * slope[None, :] * 0.8  # gullies follow the fall line of the ridge
            gullies = self.noise.fbm(u + bend, v, 5)
            facing = np.tanh(-2.5 * slope * self.sun_side)[None, :] * np.exp(-drop * 1.5)
            relief = (gullies - self.noise.fbm(u + bend + 0.08, v, 5)) * 4 * self.sun_side
            light = np.clip(0.8 + 0.3 * facing + relief, 0.45, 1.3)
            texture = 0.82 + 0.36 * self.noise.fbm(view.x * 35 + 7 * k, view.y * 35, 4)
            colour = base * (light * texture)[..., None]
            haze = np.clip(0.15 + 0.45 * far ** 2 + 0.3 * smoothstep(0.5, 1.0, drop), 0, 0.85)
            colour = _mix(colour, self.horizon_colour, haze)
            self.paint(view, inside, colour, MOUNTAIN)
            if height > 0.12 and self.rng.random() < 0.75:
                altitude = (self.horizon - view.y) / height
                snowline = self.uniform(0.5, 0.8)
                snow = inside & (altitude + 0.4 * (gullies - 0.5) + 0.1 * facing > snowline)
                snow_colour = _mix(_rgb(242, 246, 252), _rgb(150, 165, 200), np.clip(1.15 - light, 0, 0.8))
                snow_colour = _mix(snow_colour, self.horizon_colour, haze * 0.6)
                self.paint(view, snow, snow_colour, SNOW)

    def hills(self) -> None:
        """Rolling green hills and a forest line just behind the horizon (lakes and meadows)."""
        if self.layout == "sea" or self.rng.random() < 0.3:
            return
        height = self.uniform(0.015, 0.06)
        top = self.line(self.horizon - height, height * 0.8, self.uniform(1.5, 3.5), 99.0)
        top = np.minimum(top, self.horizon - 0.003)
        view = self.view(float(top.min()) - 0.05, self.horizon + 0.01)
        inside = view.y >= top[None, :]
        green = _mix(_rgb(70, 110, 55), self.horizon_colour, 0.4)
        colour = green * (0.88 + 0.24 * self.noise.fbm(view.x * 40, view.y * 40, 3))[..., None]
        self.paint(view, inside, colour, GRASS)
        if self.rng.random() < 0.75:
            spikes = np.abs(((self.xs * self.uniform(70, 120)) % 1.0) - 0.5) * 2
            crown = top - self.uniform(0.012, 0.03) * (1 - spikes) * (0.4 + self.noise.fbm(self.xs * 15, np.ones_like(self.xs), 3))
            forest = (view.y >= crown[None, :]) & (view.y < top[None, :] + 0.015)
            tone = 0.8 + 0.35 * self.noise.fbm(view.x * 120, view.y * 60, 3)
            colour = _mix(_rgb(28, 62, 38), self.horizon_colour, 0.35) * tone[..., None]
            self.paint(view, forest, colour, TREE)

    def ground(self) -> None:
        view = self.view(self.horizon, 1.0)
        depth = self.depth(view.y)
        u, v = self.ground_plane(view)

        # Meadow everywhere below the horizon; water and sand are laid over it.
        grass_base = [_rgb(86, 140, 48), _rgb(130, 138, 62), _rgb(58, 112, 42), _rgb(100, 150, 60),
                      _rgb(150, 140, 70), _rgb(70, 125, 70)][int(self.rng.integers(6))]
        self.grass_base = grass_base
        patches = self.noise.fbm(u * 0.5, v * 0.5, 4)
        clumps = self.noise.fbm(u * 6, v * 6, 3)
        fine = self.noise.fbm(view.x * 260, view.y * 110, 2)  # screen-space blades, strongest in front
        tone = 0.78 + 0.3 * clumps + 0.3 * (fine - 0.5) * depth
        colour = _mix(grass_base * 0.72, grass_base * np.array([1.3, 1.22, 0.85], dtype=np.float32), patches)
        colour = colour * tone[..., None]
        shadows = smoothstep(0.58, 0.7, self.noise.fbm(u * 0.2 + 40, v * 0.2, 3))  # cloud shadows
        colour = colour * (1 - 0.25 * shadows)[..., None]
        colour = _mix(colour, self.horizon_colour, np.clip((1 - depth) ** 8 * 0.55, 0, 0.55))
        self.paint(view, np.ones_like(depth), colour, GRASS)

        if self.layout != "meadow":
            self.water(view, depth, u, v)
        self.grass_tufts()

    def water(self, view: _View, depth: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        span = 1.0 - self.horizon
        if self.layout == "lake":
            far_shore = self.line(self.horizon + span * 0.035, span * 0.025, 3.0, 5.0)
            near = self.uniform(0.3, 0.6)
        else:
            far_shore = np.full_like(self.xs, self.horizon)
            near = self.uniform(0.45, 0.85)
        shore = np.minimum(self.line(self.horizon + span * near, span * near * 0.35, self.uniform(1.5, 3.0), 11.0), 1.05)
        water = (view.y >= far_shore[None, :]) & (view.y < shore[None, :])

        # Reflection: the scene above the far shore mirrored, broken up by ripples.
        # Calm water is a mirror; choppy water breaks the reflection and shows its own colour.
        choppy = self.uniform(0.0, 1.0)
        scale = self.uniform(0.6, 1.8)
        wave = self.noise.fbm(u * 1.2 * scale, v * 22 * scale, 4) - 0.5
        mirror_y = 2 * far_shore[None, :] - view.y + wave * (0.01 + 0.05 * choppy) * np.clip(depth, 0.05, 1)
        mirror_x = view.x + wave * 0.012
        rows = np.clip((mirror_y * self.r).astype(np.int64), 0, self.r - 1)
        cols = np.clip((mirror_x * self.r).astype(np.int64), 0, self.r - 1)
        reflected = self.picture[rows, cols]
        deep = self.water_colour()
        fresnel = np.clip(0.1 + 0.3 * choppy + (0.3 + 0.3 * choppy) * depth, 0, 0.9)
        colour = _mix(reflected * 0.9, deep, fresnel) * (1 + (0.1 + 0.25 * choppy) * wave)[..., None]
        if self.mood not in ("overcast", "hazy") and self.rng.random() < 0.6:  # sun glitter, not on every lake
            sparkle = smoothstep(0.62, 0.8, self.noise.fbm(u * 2.5 * scale, v * 45 * scale, 3))
            glitter = np.exp(-np.abs(view.x - self.sun[0]) / (0.03 + 0.05 * depth)) * sparkle
            colour = colour + glitter[..., None] * self.sun_colour * self.uniform(0.2, 0.7)
        self.paint(view, water, colour, WATER)
        if self.layout == "sea" and self.rng.random() < 0.6:  # surf along the beach
            foam = np.abs(view.y - (shore[None, :] - 0.012 * span * (1 + self.noise.fbm(view.x * 30, view.y * 5, 2))))
            surf = water & (foam < 0.006 * span * self.uniform(0.5, 2.0))
            self.paint(view, surf * 0.8, _rgb(235, 240, 240), None)
        self.water_lines(far_shore, shore)

        if self.layout == "sea" or self.rng.random() < 0.6:  # a beach along the near shore
            width = span * self.uniform(0.04, 0.16) * (0.6 + 0.8 * self.noise.fbm(self.xs * 3 + 70, np.zeros_like(self.xs), 3))
            if self.layout == "sea" and self.rng.random() < 0.5:
                width = width + 1.0  # sand down to the bottom edge
            beach = (view.y >= shore[None, :]) & (view.y < (shore + width)[None, :])
            sand = _mix(_rgb(196, 176, 128), _rgb(240, 224, 172), self.noise.fbm(u * 1.5, v * 1.5, 3))
            sand = sand * (0.93 + 0.14 * self.noise.fbm(view.x * 300, view.y * 300, 2))[..., None]
            wet = np.exp(-np.maximum(view.y - shore[None, :], 0) / (0.018 * span))
            sand = _mix(sand, _rgb(150, 135, 105), wet * 0.6)
            self.paint(view, beach, sand, SAND)

    def water_colour(self) -> np.ndarray:
        """The colour of deep water: blue, turquoise, green-grey or slate."""
        choices = [_rgb(18, 55, 90), _rgb(22, 85, 105), _rgb(30, 110, 120), _rgb(45, 75, 70),
                   _rgb(40, 60, 80), _rgb(15, 40, 70), _rgb(60, 100, 110)]
        return choices[int(self.rng.integers(len(choices)))] * self.uniform(0.8, 1.2)

    def water_lines(self, far_shore: np.ndarray, shore: np.ndarray) -> None:
        for _ in range(int(self.rng.integers(3, 12))):
            px = self.uniform(0.05, 0.95)
            col = min(int(px * self.r), self.r - 1)
            top, bottom = far_shore[col] + 0.01, min(shore[col], 1.0) - 0.01
            if bottom <= top:
                continue
            py = self.uniform(top, bottom)
            depth = max(float(self.depth(py)), 0.05)
            half = self.uniform(0.02, 0.07) * depth
            self.stroke([(px - half, py), (px, py + 0.003 * self.uniform(-1, 1)), (px + half, py)], 1.5 + 2 * depth)

    def grass_tufts(self) -> None:
        for _ in range(int(self.rng.integers(3, 16))):
            py = self.horizon + (1 - self.horizon) * self.uniform(0.3, 1.0)
            px = self.uniform(0.02, 0.98)
            if self.labels[min(int(py * self.r), self.r - 1), int(px * self.r)] != GRASS:
                continue
            depth = float(self.depth(py))
            h = 0.028 * depth
            for lean in (-0.6, 0.0, 0.6):
                self.stroke([(px + lean * h * 0.25, py), (px + lean * h * 0.8, py - h)], 1.5 + 1.5 * depth)

    def rocks(self) -> None:
        for _ in range(int(self.rng.choice([0, 0, 1, 2, 3, 5]))):
            py = self.horizon + (1 - self.horizon) * self.uniform(0.12, 1.0)
            px = self.uniform(0.03, 0.97)
            depth = float(self.depth(py))
            size = self.uniform(0.03, 0.09) * depth + 0.012
            stretch = self.uniform(1.0, 1.8)
            view = self.view(py - size * 2, py + size * 0.6, px - size * stretch * 2, px + size * stretch * 2)
            dx = (view.x - px) / (size * stretch)
            dy = (view.y - (py - size * 0.5)) / size
            radius = np.hypot(dx, dy)
            outline = self.noise.fbm(dx * 1.5 + 31 + px * 40, dy * 1.5, 3)
            inside = (radius < 0.75 + 0.5 * outline) & (view.y < py + 0.002)
            if not inside.any():
                continue
            shadow = np.exp(-(((view.x - px) / (size * stretch * 1.3)) ** 2 + ((view.y - py) / (size * 0.25)) ** 2))
            self.picture[view.slices] *= (1 - 0.5 * shadow)[..., None]
            light = np.clip(0.75 + 0.5 * (-dx * self.sun_side * 0.6 - dy * 0.8) / np.maximum(radius, 0.3), 0.3, 1.25)
            base = _mix(_rgb(118, 112, 106), _rgb(150, 134, 112), self.uniform(0, 1))
            texture = 0.78 + 0.44 * self.noise.fbm(view.x * 220, view.y * 220, 3)
            self.paint(view, inside, base * (light * texture)[..., None], ROCK)
            self.stroke([(px - size * 0.35, py - size * 0.75), (px - size * 0.05, py - size * 0.5),
                         (px + size * 0.1, py - size * 0.15)], 1.5 + 2 * depth)

    def trees(self) -> None:
        count = int(self.rng.choice([0, 1, 2, 3, 5, 8, 12]))
        kind = str(self.rng.choice(["conifer", "broadleaf", "mixed"]))
        places: list[tuple[float, float]] = []
        for _ in range(count * 4):
            if len(places) == count:
                break
            py = self.horizon + (1 - self.horizon) * self.uniform(0.06, 1.0) ** 0.8
            px = self.uniform(0.0, 1.0)
            if self.labels[min(int(py * self.r), self.r - 1), min(int(px * self.r), self.r - 1)] == GRASS:
                places.append((py, px))
        for py, px in sorted(places):  # far trees first, near ones over them
            depth = float(self.depth(py))
            height = (0.1 + 0.55 * depth) * self.uniform(0.7, 1.2) * (1 - self.horizon) * 1.3
            conifer = kind == "conifer" or (kind == "mixed" and self.rng.random() < 0.5)
            (self.conifer if conifer else self.broadleaf)(px, py, height, depth)

    def _trunk(self, px: float, py: float, width: float, top: float) -> None:
        view = self.view(top, py, px - width, px + width)
        trunk = np.abs(view.x - px) < width / 2
        lit = (view.x - px) * self.sun_side < 0
        colour = _rgb(92, 66, 46) * np.where(lit, 1.0, 0.65)[..., None]
        self.paint(view, trunk, colour, TREE)

    def _ground_shadow(self, px: float, py: float, radius: float) -> None:
        cx = px + self.sun_side * radius * 0.6
        view = self.view(py - radius * 0.5, py + radius * 0.5, cx - radius * 2.5, cx + radius * 2.5)
        shadow = np.exp(-(((view.x - cx) / radius) ** 2 + ((view.y - py) / (radius * 0.22)) ** 2))
        self.picture[view.slices] *= (1 - 0.4 * shadow * (self.labels[view.slices] != TREE))[..., None]

    def conifer(self, px: float, py: float, height: float, depth: float) -> None:
        self._ground_shadow(px, py, height * 0.25)
        self._trunk(px, py, height * 0.06, py - height * 0.2)
        top, bottom = py - height, py - height * 0.12
        view = self.view(top, bottom, px - height * 0.3, px + height * 0.3)
        if view.empty:
            return
        along = np.clip((view.y - top) / (bottom - top), 0, 1)
        tiers = self.uniform(4, 7)
        saw = 0.62 + 0.38 * ((along * tiers) % 1.0)
        ragged = 0.85 + 0.3 * self.noise.fbm(view.x * 300, view.y * 300, 2)
        half_width = height * 0.22 * np.sqrt(along) * along ** 0.3 * saw * ragged
        crown = np.abs(view.x - px) < half_width
        side = np.clip((view.x - px) / np.maximum(half_width, 1e-4), -1, 1) * -self.sun_side
        light = 0.72 + 0.3 * side + 0.18 * ((along * tiers) % 1.0)
        base = _mix(_rgb(24, 66, 40), _rgb(42, 92, 50), self.uniform(0, 1))
        colour = base * (light * (0.85 + 0.3 * self.noise.fbm(view.x * 400, view.y * 150, 2)))[..., None]
        colour = _mix(colour, self.horizon_colour, (1 - depth) ** 4 * 0.45)
        self.paint(view, crown, colour, TREE)
        for tier in range(1, int(tiers)):
            y = top + (bottom - top) * tier / tiers
            w = height * 0.2 * np.sqrt(tier / tiers)
            self.stroke([(px - w * 0.9, y), (px - w * 0.3, y - height * 0.02), (px, y - height * 0.01)], 1.2 + 1.5 * depth)

    def broadleaf(self, px: float, py: float, height: float, depth: float) -> None:
        radius = height * 0.33
        cy = py - height + radius
        self._ground_shadow(px, py, radius * 0.9)
        self._trunk(px, py, height * 0.07, cy)
        view = self.view(cy - radius * 1.3, cy + radius * 1.3, px - radius * 1.4, px + radius * 1.4)
        if view.empty:
            return
        dx, dy = (view.x - px) / radius, (view.y - cy) / (radius * 0.9)
        distance = np.hypot(dx, dy)
        lumps = self.noise.fbm(dx * 2.2 + px * 50, dy * 2.2, 3)
        crown = distance < 0.78 + 0.4 * lumps
        leaves = self.noise.fbm(view.x * 260, view.y * 260, 3)
        light = np.clip(0.8 + 0.35 * (-dx * self.sun_side * 0.7 - dy * 0.7) + 0.45 * (leaves - 0.5), 0.3, 1.3)
        base = _mix(_rgb(45, 98, 40), _rgb(92, 128, 48), self.uniform(0, 1))
        colour = _mix(base * light[..., None], self.horizon_colour, (1 - depth) ** 4 * 0.45)
        self.paint(view, crown, colour, TREE)
        for _ in range(int(self.rng.integers(1, 4))):
            a = self.uniform(0, 2 * np.pi)
            cx, cyy = px + np.cos(a) * radius * 0.4, cy + np.sin(a) * radius * 0.4
            self.stroke([(cx - radius * 0.2, cyy), (cx, cyy - radius * 0.12), (cx + radius * 0.2, cyy)], 1.2 + 1.5 * depth)

    def brush_strokes(self) -> None:
        """Regions shaped the way people paint them: round-capped strokes and blobs, laid over the scene.

        A river or pond of water, a patch of forest, a sand path, a rock, a
        cloud or a snow field, each a thick polyline or a cluster of dabs
        with wobbly edges; the picture is painted with the texture of its
        label, so the model learns pictures for brush-shaped regions too.
        """
        for _ in range(int(self.rng.choice([0, 0, 1, 1, 2, 3, 4]))):
            label = int(self.rng.choice([WATER, WATER, TREE, TREE, ROCK, SAND, GRASS, CLOUD, SNOW, MOUNTAIN]))
            if label in (CLOUD,):
                y0, y1 = 0.03, self.horizon - 0.05
            elif label in (SNOW, MOUNTAIN):
                y0, y1 = self.horizon - 0.25, self.horizon - 0.02
            else:
                y0, y1 = self.horizon + 0.03, 1.0
            if y1 - y0 < 0.05:
                continue
            stroke = label != ROCK and self.rng.random() < 0.6  # rocks are dabbed, never dragged
            mask = self._brush_mask(y0, y1, flat=label in (WATER, SAND, GRASS, CLOUD), stroke=stroke)
            if mask is None:
                continue
            rows, cols = np.nonzero(mask)
            view = self.view(rows.min() / self.r, (rows.max() + 1) / self.r, cols.min() / self.r, (cols.max() + 1) / self.r)
            inside = mask[view.slices]
            if label == SNOW:  # snow only where there is something to lie on
                inside = inside & np.isin(self.labels[view.slices], (MOUNTAIN, SNOW, ROCK))
            self.paint(view, inside.astype(np.float32), self.texture(label, view), label)

    def _brush_mask(self, y0: float, y1: float, *, flat: bool, stroke: bool) -> np.ndarray | None:
        """(r, r) bool: a thick round-capped stroke or a cluster of dabs between rows y0 and y1, edges jittered."""
        r, rng = self.r, self.rng
        canvas = Image.new("L", (r, r), 0)
        draw = ImageDraw.Draw(canvas)
        cy, cx = self.uniform(y0, y1), self.uniform(0.05, 0.95)
        depth = float(np.clip(self.depth(cy), 0.2, 1.0)) if cy > self.horizon else 0.6
        width = self.uniform(0.03, 0.14) * depth * r
        if stroke:  # a stroke: a wandering polyline, flatter for lying things
            points = [(cx * r, cy * r)]
            heading = self.uniform(-0.5, 0.5) if flat else self.uniform(0, 2 * np.pi)
            for _ in range(int(rng.integers(2, 7))):
                heading += self.uniform(-0.8, 0.8)
                step = self.uniform(0.04, 0.14) * r
                x, y = points[-1]
                dx, dy = np.cos(heading) * step, np.sin(heading) * step * (0.35 if flat else 1.0)
                points.append((x + dx * (1 if rng.random() < 0.5 else -1), float(np.clip(y + dy, y0 * r, y1 * r))))
            draw.line(points, fill=255, width=max(2, int(width)), joint="curve")
            for x, y in (points[0], points[-1]):  # round caps
                draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
        else:  # a blob: overlapping dabs, as when a region is filled in with a round brush
            spread = self.uniform(0.03, 0.12) * depth
            for _ in range(int(rng.integers(3, 10))):
                x = (cx + self.uniform(-spread, spread) * (2 if flat else 1)) * r
                y = (cy + self.uniform(-spread, spread) * (0.5 if flat else 1)) * r
                w = width * self.uniform(0.6, 1.4)
                draw.ellipse((x - w, y - w * (0.6 if flat else 1), x + w, y + w * (0.6 if flat else 1)), fill=255)
        mask = np.asarray(canvas) > 127
        if not mask.any():
            return None
        # Jittered edges: a brush never leaves a perfectly smooth outline.
        mask = _warped(self, mask, self.uniform(0.002, 0.008), 30, 700)
        return mask if mask.any() else None

    def texture(self, label: int, view: _View) -> np.ndarray:
        """A textured, lit colour for ``label`` over ``view``: what a brush region of that label shows."""
        noise, x, y = self.noise, view.x, view.y
        grain = noise.fbm(x * 60 + label * 17, y * 60, 3)
        fine = noise.fbm(x * 250 + label * 13, y * 250, 2)
        depth = np.clip(self.depth(y), 0.02, 1.0)
        haze = np.clip((1 - depth) ** 6 * 0.5, 0, 0.5)
        if label == WATER:
            ripple = noise.fbm(x * 8 / depth, y * 160, 3) - 0.5
            colour = _mix(self.water_colour(), self.horizon_colour, 0.25 + 0.3 * (1 - depth))
            colour = colour * (1 + 0.3 * ripple)[..., None]
        elif label == TREE:
            base = _mix(_rgb(28, 70, 36), _rgb(80, 120, 46), self.uniform(0, 1))
            light = np.clip(0.6 + 0.8 * (grain - 0.5) + 0.4 * (fine - 0.5) - 0.3 * (noise.fbm(x * 20, y * 20, 2) - 0.5), 0.3, 1.3)
            colour = base * light[..., None]
        elif label == ROCK:
            base = _mix(_rgb(118, 112, 106), _rgb(150, 134, 112), self.uniform(0, 1))
            colour = base * (0.7 + 0.6 * grain * (0.8 + 0.4 * fine))[..., None]
        elif label == SAND:
            colour = _mix(_rgb(196, 176, 128), _rgb(240, 224, 172), grain) * (0.93 + 0.14 * fine)[..., None]
        elif label == GRASS:
            base = getattr(self, "grass_base", _rgb(86, 140, 48))
            colour = _mix(base * 0.75, base * 1.2, grain) * (0.85 + 0.3 * fine)[..., None]
        elif label == CLOUD:
            colour = _mix(_rgb(250, 250, 252), _mix(self.horizon_colour, _rgb(120, 125, 140), 0.5), grain * 0.7)
            return colour
        elif label == SNOW:
            colour = _mix(_rgb(242, 246, 252), _rgb(160, 175, 205), grain * 0.7)
            return colour
        else:  # MOUNTAIN
            colour = _rgb(96, 96, 110) * (0.75 + 0.5 * grain)[..., None]
            return _mix(colour, self.horizon_colour, 0.3)
        return _mix(colour, np.broadcast_to(self.horizon_colour, colour.shape), haze)

    def finish(self) -> None:
        vignette = 1 - 0.3 * ((self.x - 0.5) ** 2 + (self.y - 0.5) ** 2)
        self.picture *= vignette[..., None]
        self.picture += self.rng.normal(0, 0.008, self.picture.shape).astype(np.float32)
        np.clip(self.picture, 0, 1, out=self.picture)


# -- drawings ---------------------------------------------------------------------------------------

def _shift_max(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation with a (2 radius + 1) square, by shifted maxima."""
    out = mask.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx == 0 and dy == 0:
                continue
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


def _smooth_field(painter: _Painter, frequency: float, salt: float, octaves: int = 3) -> np.ndarray:
    """fBm over the canvas, (r, r); a slow field is computed on a coarser grid and repeated (same look, less time)."""
    r = painter.r
    step = 4 if frequency * 2 ** (octaves - 1) <= 48 and r % 4 == 0 else 1
    coords = (np.arange(0, r, step, dtype=np.float32) + step / 2) / r
    y, x = np.meshgrid(coords, coords, indexing="ij")
    field = painter.noise.fbm(x * frequency + salt, y * frequency, octaves)
    return np.repeat(np.repeat(field, step, axis=0), step, axis=1) if step > 1 else field


def _warped(painter: _Painter, labels: np.ndarray, amplitude: float, frequency: float, salt: float) -> np.ndarray:
    """``labels`` looked up through a smooth random displacement of up to ``amplitude`` (hand wobble)."""
    r = painter.r
    octaves = 3 if frequency <= 10 else 2
    wx = (_smooth_field(painter, frequency, salt, octaves) - 0.5) * amplitude
    wy = (_smooth_field(painter, frequency, salt + 100, octaves) - 0.5) * amplitude
    rows = np.clip(((painter.y + wy) * r).astype(np.int64), 0, r - 1)
    cols = np.clip(((painter.x + wx) * r).astype(np.int64), 0, r - 1)
    return labels[rows, cols]


def _edges(labels: np.ndarray) -> np.ndarray:
    edges = np.zeros(labels.shape, dtype=bool)
    edges[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edges[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edges


def _line_drawing(painter: _Painter) -> np.ndarray:
    """Outlines of the label regions plus the texture strokes, hand-drawn: (r, r) uint8 grey.

    Each drawing gets its own style: pen width (thin pen to marker), wobble,
    broken strokes, ink (black pen or grey pencil), sometimes doubled
    (sketchy) outlines and hatching in the shadows.
    """
    r, rng, noise = painter.r, painter.drawing_rng("sketch"), painter.noise
    scale = r / 512  # widths below are in pixels at 512
    width = rng.uniform(0.6, 2.6)  # pen width factor
    wobble = 0.003 + 0.012 * rng.uniform(0, 1) ** 2
    gaps = rng.choice([0.0, 0.15, 0.2, 0.25, 0.35])  # how often a stroke breaks off
    pencil = rng.random() < 0.35
    doubled = rng.random() < 0.3
    hatching = rng.random() < 0.35
    # A smooth warp makes the outlines wobble like a hand-drawn line.
    edges = _edges(_warped(painter, painter.labels, wobble, 6, 100))
    if doubled:  # a second, differently wobbling pass over the same outlines
        edges |= _edges(_warped(painter, painter.labels, wobble * 1.5, 9, 900)) & (
            _smooth_field(painter, 12, 950, 2) > 0.4)
    # Skip short stretches, as a drawing does not close every outline.
    edges &= _smooth_field(painter, 25, 300, 2) > gaps
    # Pressure: the stroke width varies slowly along the lines.
    pressure = _smooth_field(painter, 4, 400, 2)
    base = max(0, int(round(width * scale * 1.2)) - 1)
    ink = _shift_max(edges, base) if base else edges.copy()
    ink |= _shift_max(edges, base + 1) & (pressure > 0.62)
    if pencil:
        darkness = (0.62 + 0.25 * _smooth_field(painter, 10, 500, 2)) * (
            0.8 + 0.2 * noise.fbm(painter.x * 300 + 550, painter.y * 300, 1))  # graphite grain
    else:
        darkness = 0.8 + 0.2 * _smooth_field(painter, 10, 500, 2)
    amount = darkness * ink
    if hatching:
        # Parallel strokes over the darker parts of mountains, rocks and trees.
        luminance = painter.picture.mean(axis=2)
        solid = np.isin(painter.labels, (MOUNTAIN, ROCK, TREE))
        if solid.any():
            shade = solid & (luminance < np.percentile(luminance[solid], rng.uniform(25, 55)))
            angle = rng.uniform(0.5, 1.1) * (1 if rng.random() < 0.5 else -1)
            period = rng.uniform(6, 12) * scale
            along = (painter.x * np.cos(angle) + painter.y * np.sin(angle)) * r / period
            lines = (along % 1.0) < max(0.12, 1.2 * scale / period)
            hatch = shade & lines & (_smooth_field(painter, 20, 600, 2) > 0.35)
            amount = np.maximum(amount, hatch * darkness * 0.8)
    canvas = Image.fromarray(np.uint8(255 - 255 * np.clip(amount, 0, 1)))
    draw = ImageDraw.Draw(canvas)
    grey_range = (60, 130) if pencil else (15, 80)
    for points, stroke_width in painter.strokes:
        if rng.random() < gaps * 0.5:
            continue
        jittered = [(x + rng.normal(0, 0.6 + wobble * 100), y + rng.normal(0, 0.6 + wobble * 100)) for x, y in points]
        grey = int(rng.uniform(*grey_range))
        draw.line(jittered, fill=grey, width=max(1, int(round(stroke_width * scale * 1.3 * width))), joint="curve")
    return np.asarray(canvas)


def _painted_labels(painter: _Painter) -> np.ndarray:
    """The label map as a person paints it: region edges wobbling and jittered at two scales."""
    rng = painter.drawing_rng("paint")
    labels = _warped(painter, painter.labels, rng.uniform(0.004, 0.02), rng.uniform(3, 8), 1200)
    return _warped(painter, labels, rng.uniform(0.002, 0.008), rng.uniform(25, 50), 1400)


def _downsample(array: np.ndarray, size: int) -> Image.Image:
    mode = "L" if array.ndim == 2 else "RGB"
    return Image.fromarray(array, mode).resize((size, size), Image.Resampling.LANCZOS)


def render_scene(seed: int, size: int = 256, kinds: Sequence[str] = KINDS) -> Scene:
    """Draw the landscape of ``seed`` at ``size`` x ``size`` (same seed and size, same pixels).

    ``kinds`` names the drawings to make ("paint": ``labels`` and ``label_map``,
    "sketch": ``sketch``); the others are None. Each drawing has its own
    random stream, so it comes out the same whether or not the other is made.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    painter = _Painter(seed, size * SUPERSAMPLE)
    painter.compose()
    picture = _downsample(np.uint8(np.clip(painter.picture, 0, 1) * 255 + 0.5), size)
    labels = label_map = sketch = None
    if "paint" in kinds:
        # Labels are taken at the centre of each output pixel: no blended, unknown colours.
        labels = _painted_labels(painter)[SUPERSAMPLE // 2::SUPERSAMPLE, SUPERSAMPLE // 2::SUPERSAMPLE].copy()
        label_map = Image.fromarray(np.asarray(LABEL_RGB, dtype=np.uint8)[labels], "RGB")
    if "sketch" in kinds:
        sketch = _downsample(_line_drawing(painter), size).convert("RGB")
    return Scene(picture=picture, labels=labels, label_map=label_map, sketch=sketch, style=scene_style(painter))


def scene_style(painter: "_Painter") -> dict[str, str]:
    """The mean colour of each :data:`STYLE_MATERIALS` material where the scene truly shows it.

    Measured on the finished picture under the scene's own labels (not the
    painted, wobbling ones), so both drawings of a scene share one style.
    "horizon" is the sky in the band just above the horizon line (an eighth
    of the picture high), whose colour the haze lends to everything far
    away. A material covering under 0.5 % of the picture is left out: the
    scene does not show it.
    """
    picture = np.clip(painter.picture, 0, 1)
    style = {}
    for name in STYLE_MATERIALS:
        if name == "horizon":
            inside = (painter.labels == SKY) & (painter.y > painter.horizon - 0.125) & (painter.y < painter.horizon)
        else:
            inside = painter.labels == LABEL_INDEX[name]
        if inside.mean() < 0.005:
            continue
        mean = picture[inside].mean(axis=0) * 255
        style[name] = "#%02x%02x%02x" % tuple(int(v + 0.5) for v in mean)
    return style


def pair_image(scene: Scene, kind: str) -> Image.Image:
    """The official A|B training image: A (label map or line drawing) left, B (picture) right."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    a = scene.label_map if kind == "paint" else scene.sketch
    pair = Image.new("RGB", (a.width * 2, a.height))
    pair.paste(a, (0, 0))
    pair.paste(scene.picture, (a.width, 0))
    return pair


def scene_seed(seed: int, split: str, index: int) -> int:
    """The seed of image ``index`` of ``split``: independent streams per split, stable across counts."""
    split_id = {"train": 0, "val": 1, "test": 2, "example": 3}[split]
    return int(np.random.SeedSequence([seed, split_id, index]).generate_state(1)[0])


# The Sketch page's "Example" drawings: a fixed set, so each one can be cached wherever it is served.
EXAMPLES = 32


def example_scene(kind: str, index: int, size: int = 256) -> Scene:
    """Example ``index`` (0 <= index < EXAMPLES) of ``kind``'s drawings, with its picture and style.

    Drawn like the training pairs, from a stream of scenes no data set or
    measurement uses, so the bundled models see the kind of drawing they
    learnt from, and a person gets a start that already makes a picture.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not 0 <= index < EXAMPLES:
        raise ValueError(f"index must be in [0, {EXAMPLES}), got {index}")
    return render_scene(scene_seed(0, "example", index), size, kinds=(kind,))


def example_drawing(kind: str, index: int, size: int = 256) -> Image.Image:
    """The drawing of :func:`example_scene`: a label map or a line drawing."""
    scene = example_scene(kind, index, size)
    return scene.label_map if kind == "paint" else scene.sketch


def write_dataset(out: Path, *, kind: str, count: int, size: int = 256, seed: int = 0,
                  val_count: int | None = None, image_format: str = "png", progress: bool = True,
                  keep_existing: bool = False) -> dict[str, int]:
    """Write ``count`` training and ``val_count`` validation pairs in the official layout.

    Files are ``out/train/00000.png`` ... and ``out/val/00000.png`` ...; the
    same arguments always write the same pixels, and every pair depends only
    on (seed, split, index), so ``keep_existing`` can finish an interrupted
    run (or extend a set) without redrawing the files already there.

    Returns:
        {"train": n, "val": m}, the number of pairs written.
    """
    from tqdm import tqdm

    if val_count is None:
        val_count = max(1, count // 10)
    extension = {"png": ".png", "jpg": ".jpg", "jpeg": ".jpg"}[image_format]
    jobs = [("train", i) for i in range(count)] + [("val", i) for i in range(val_count)]
    for split in ("train", "val"):
        (out / split).mkdir(parents=True, exist_ok=True)
    if keep_existing:
        jobs = [(split, i) for split, i in jobs
                if not all((out / split / f"{i:05d}{suffix}").is_file() for suffix in (extension, ".json"))]
    for split, index in tqdm(jobs, desc=f"landscapes ({kind})", unit="pair", disable=not progress, file=sys.stderr):
        scene = render_scene(scene_seed(seed, split, index), size, kinds=(kind,))
        target = out / split / f"{index:05d}{extension}"
        encoded = io.BytesIO()
        if extension == ".jpg":
            pair_image(scene, kind).save(encoded, format="JPEG", quality=95)
        else:
            pair_image(scene, kind).save(encoded, format="PNG")
        # The pair's style beside it (NAME.json), for style-conditioned training (train pix2pix --style).
        # Written first: a pair on disk always has its style.
        write_atomically(target.with_suffix(".json"), json.dumps({"style": scene.style}).encode())
        write_atomically(target, encoded.getvalue())  # never leave a half-written pair
    return {"train": count, "val": val_count}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inference.data.landscapes``: write a procedural pix2pix data set."""
    parser = argparse.ArgumentParser(
        prog="python -m inference.data.landscapes",
        description="Write procedural landscape pairs in the official pix2pix layout (DIR/train, DIR/val; "
        "A|B side by side, A = label map (--kind paint) or line drawing (--kind sketch), B = picture).",
        epilog="example: python -m inference.data.landscapes --out var/data/landscape-paint --kind paint --count 2000 --seed 1",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write train/ and val/ into")
    parser.add_argument("--kind", choices=KINDS, required=True, help="A side: palette label map or line drawing")
    parser.add_argument("--count", type=int, default=1000, metavar="N", help="training pairs (default: 1000)")
    parser.add_argument("--val", type=int, default=None, metavar="N", help="validation pairs (default: count / 10)")
    parser.add_argument("--size", type=int, default=256, metavar="PX", help="side of each half in pixels (default: 256)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole set (default: 0)")
    parser.add_argument("--format", choices=("png", "jpg"), default="png", help="file format (default: png)")
    parser.add_argument("--keep-existing", action="store_true",
                        help="skip pairs already written (to finish an interrupted run; they would come out the same)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < 16 or (args.val is not None and args.val < 0):
        parser.error("--count must be positive, --size at least 16 and --val not negative")
    written = write_dataset(args.out, kind=args.kind, count=args.count, size=args.size, seed=args.seed,
                            val_count=args.val, image_format=args.format, keep_existing=args.keep_existing)
    print(f"{written['train']} training and {written['val']} validation pairs in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
