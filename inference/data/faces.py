"""Procedural faces with attribute labels, for training Upscale (PRSR) and Edit (the neural photo editor).

A face is painted back to front on a supersampled canvas and filtered down:
background, long hair behind the head, clothes, neck, ears, the face (an
egg-shaped height field with nose, brows, cheeks, lips and chin bumps, lit
by one light with soft Lambert shading and a little skin texture), eyes
(whites, iris with radial streaks, pupil, catch light, lashes), brows,
mouth (smile curve, lips, teeth when open), the hair on top (strand
texture, sheen) and glasses. Every choice comes from the seed; any of the
labelled attributes can be set instead (:data:`ATTRIBUTES`), and doing so
leaves every other pixel as it was, so an attribute's effect is visible in
isolation.

``python -m inference.data.faces --out DIR --count N`` writes ``DIR/00000.png``
... and ``DIR/labels.csv`` (one row per file, one column per attribute).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .noise import ValueNoise, smoothstep
from .palette import hex_to_rgb

SUPERSAMPLE = 3

SKIN_TONES = {"pale": "#f3d5c4", "light": "#e8b99a", "medium": "#cf9a76", "tan": "#b07a55",
              "brown": "#8a5a3c", "dark": "#5c3a26"}
HAIR_COLOURS = {"black": "#1c1714", "dark-brown": "#3e2a1e", "brown": "#6b4429", "auburn": "#8c3c1e",
                "blond": "#d8b46c", "grey": "#a8a6a4"}
HAIR_LENGTHS = ("bald", "short", "medium", "long")
EYE_COLOURS = {"brown": "#5a3518", "hazel": "#8a6a2a", "green": "#4e7a3a", "blue": "#3f6fb0", "grey": "#7c8690"}
EYE_SHAPES = ("round", "almond", "narrow")
BACKGROUNDS = {"grey": "#9a9ca0", "blue": "#5d86b8", "green": "#6f9a66", "beige": "#d6c6a4", "pink": "#d6a0ae",
               "teal": "#4f9a98", "dark": "#34363c"}
LIGHTING = ("left", "right", "top", "front")
# Light directions (x right, y down, z towards the viewer), normalised below.
_LIGHT_VECTORS = {"left": (-0.7, -0.35, 0.62), "right": (0.7, -0.35, 0.62), "top": (0.0, -0.8, 0.6),
                  "front": (0.0, -0.15, 1.0)}
ATTRIBUTES = ("skin_tone", "hair_colour", "hair_length", "eye_colour", "eye_shape", "smile", "mouth_open",
              "glasses", "background", "lighting")
REGIONS = ("background", "hair", "clothes", "skin", "eyes", "iris", "brows", "lips", "glasses")


@dataclass(frozen=True)
class FaceRender:
    """One face.

    Attributes:
        image: "RGB", ``size`` x ``size``.
        attributes: the labels, one value per name in :data:`ATTRIBUTES`
            (strings, ``smile`` a float in [-1, 1], ``mouth_open`` and ``glasses`` bools).
        regions: name in :data:`REGIONS` -> (size, size) bool mask of the pixels
            that part covers most (the masks partition the image).
    """

    image: Image.Image
    attributes: dict
    regions: dict[str, np.ndarray]


def _colour(hex_colour: str) -> np.ndarray:
    return np.array(hex_to_rgb(hex_colour), dtype=np.float32) / 255.0


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    t = np.asarray(t, dtype=np.float32)
    return a + (b - a) * (t[..., None] if t.ndim else t)


def _inside(signed_distance: np.ndarray, softness: float) -> np.ndarray:
    """Coverage from a signed distance (negative inside), antialiased over ``softness``."""
    return smoothstep(softness, -softness, signed_distance)


def _draw_attributes(rng: np.random.Generator) -> dict:
    """The labelled attributes of a random face, always drawn in this order (overrides must not shift the stream)."""
    return {
        "skin_tone": str(rng.choice(list(SKIN_TONES))),
        "hair_colour": str(rng.choice(list(HAIR_COLOURS), p=[0.22, 0.22, 0.18, 0.1, 0.18, 0.1])),
        "hair_length": str(rng.choice(HAIR_LENGTHS, p=[0.07, 0.33, 0.3, 0.3])),
        "eye_colour": str(rng.choice(list(EYE_COLOURS))),
        "eye_shape": str(rng.choice(EYE_SHAPES)),
        "smile": round(float(rng.uniform(-0.6, 1.0)), 3),
        "mouth_open": bool(rng.random() < 0.3),
        "glasses": bool(rng.random() < 0.3),
        "background": str(rng.choice(list(BACKGROUNDS))),
        "lighting": str(rng.choice(LIGHTING)),
    }


def _check(attributes: dict) -> None:
    choices = {"skin_tone": SKIN_TONES, "hair_colour": HAIR_COLOURS, "hair_length": HAIR_LENGTHS,
               "eye_colour": EYE_COLOURS, "eye_shape": EYE_SHAPES, "background": BACKGROUNDS, "lighting": LIGHTING}
    for name, value in attributes.items():
        if name not in ATTRIBUTES:
            raise ValueError(f"unknown face attribute {name!r}; known: {', '.join(ATTRIBUTES)}")
        if name in choices and value not in choices[name]:
            raise ValueError(f"{name} must be one of {', '.join(choices[name])}, got {value!r}")
        if name == "smile" and not -1.0 <= float(value) <= 1.0:
            raise ValueError(f"smile must be in [-1, 1], got {value!r}")


class _Canvas:
    """The supersampled picture and, per region, how much of each pixel it covers."""

    def __init__(self, r: int) -> None:
        self.r = r
        coords = (np.arange(r, dtype=np.float32) + 0.5) / r
        self.y, self.x = np.meshgrid(coords, coords, indexing="ij")
        self.picture = np.zeros((r, r, 3), dtype=np.float32)
        self.coverage = {name: np.zeros((r, r), dtype=np.float32) for name in REGIONS}
        self.pixel = 1.0 / r
        self.window = (slice(None), slice(None))  # where paint() draws: small features draw in a box

    def paint(self, alpha: np.ndarray, colour: np.ndarray, region: str | None) -> None:
        """Blend ``colour`` ((3,) or per pixel) with per-pixel ``alpha`` in the window; ``region`` now owns that share."""
        alpha = np.clip(alpha, 0.0, 1.0).astype(np.float32)
        target = self.picture[self.window]
        target[...] = _mix(target, np.broadcast_to(colour, target.shape), alpha)
        if region is not None:
            for cover in self.coverage.values():
                cover[self.window] *= 1.0 - alpha
            self.coverage[region][self.window] += alpha


class _FacePainter:
    def __init__(self, seed: int, r: int, attributes: dict) -> None:
        self.rng = np.random.default_rng([seed, 1])  # the nuisance stream, separate from the attributes'
        self.noise = ValueNoise(self.rng)
        self.a = attributes
        self.canvas = _Canvas(r)
        light = np.array(_LIGHT_VECTORS[attributes["lighting"]], dtype=np.float32)
        self.light = light / np.linalg.norm(light)
        u = self.rng.uniform
        # Head geometry, in image units (the image is 1 x 1, y down).
        self.half_width = u(0.215, 0.25)
        self.half_height = self.half_width * u(1.2, 1.34)
        self.centre = np.array([0.5 + u(-0.03, 0.03), 0.44 + u(-0.02, 0.02)], dtype=np.float32)
        self.tilt = u(-0.12, 0.12)
        self.jaw = u(0.12, 0.3)
        c, s = float(np.cos(self.tilt)), float(np.sin(self.tilt))
        dx, dy = self.canvas.x - self.centre[0], self.canvas.y - self.centre[1]
        self.lx, self.ly = c * dx + s * dy, -s * dx + c * dy  # face-local coordinates
        self.rotation = (c, s)
        self.skin = _colour(SKIN_TONES[attributes["skin_tone"]]) * np.float32(u(0.94, 1.05))
        self.hair = _colour(HAIR_COLOURS[attributes["hair_colour"]]) * np.float32(u(0.88, 1.1))

    @contextmanager
    def box(self, x0: float, y0: float, x1: float, y1: float) -> Iterator[None]:
        """Within the block, ``lx``, ``ly`` and painting cover only the face-local box [x0, x1] x [y0, y1]."""
        c, s = self.rotation
        corners = [(c * x - s * y + self.centre[0], s * x + c * y + self.centre[1]) for x in (x0, x1) for y in (y0, y1)]
        r = self.canvas.r
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        window = (slice(max(0, int(min(ys) * r) - 2), min(r, int(max(ys) * r) + 3)),
                  slice(max(0, int(min(xs) * r) - 2), min(r, int(max(xs) * r) + 3)))
        full = self.lx, self.ly
        self.lx, self.ly = self.lx[window], self.ly[window]
        self.canvas.window = window
        try:
            yield
        finally:
            self.lx, self.ly = full
            self.canvas.window = (slice(None), slice(None))

    # -- helpers ---------------------------------------------------------------------------------

    def shade(self, nx: np.ndarray, ny: np.ndarray, nz: np.ndarray, ambient: float = 0.5) -> np.ndarray:
        """Soft Lambert term in [ambient, ~1.1] for unit normals (nx, ny, nz)."""
        lambert = nx * self.light[0] + ny * self.light[1] + nz * self.light[2]
        wrapped = np.clip((lambert + 0.25) / 1.25, 0.0, 1.0)  # wrap lighting: skin scatters light round the edge
        return ambient + (1.05 - ambient) * wrapped

    def specular(self, nx: np.ndarray, ny: np.ndarray, nz: np.ndarray, power: float) -> np.ndarray:
        half = self.light + np.array([0.0, 0.0, 1.0], dtype=np.float32)
        half = half / np.linalg.norm(half)
        return np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0.0, 1.0) ** power

    def ellipsoid_normal(self, x: np.ndarray, y: np.ndarray, rx: float, ry: float):
        nx, ny = np.clip(x / rx, -1, 1), np.clip(y / ry, -1, 1)
        nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.02, 1.0))
        norm = np.sqrt(nx * nx + ny * ny + nz * nz)
        return nx / norm, ny / norm, nz / norm

    def gauss(self, x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
        return np.exp(-(((self.lx - x0) / sx) ** 2 + ((self.ly - y0) / sy) ** 2))

    # -- the face, back to front -----------------------------------------------------------------

    def compose(self) -> None:
        self.background()
        self.back_hair()
        self.clothes()
        self.neck()
        w, h = self.half_width, self.half_height
        with self.box(-w * 1.2, -h * 0.4, w * 1.2, h * 0.35):
            self.ears()
        self.face()
        with self.box(-w, -h * 0.6, w, h * 0.15):
            self.eyes()
            self.brows()
        with self.box(-w * 0.7, h * 0.25, w * 0.7, h * 0.8):
            self.mouth()
        self.top_hair()
        if self.a["glasses"]:
            with self.box(-w * 1.1, -h * 0.6, w * 1.1, h * 0.3):
                self.glasses()
        self.grain()

    def background(self) -> None:
        cv = self.canvas
        base = _colour(BACKGROUNDS[self.a["background"]]) * np.float32(self.rng.uniform(0.9, 1.08))
        lit = 0.5 + 0.5 * (cv.x - 0.5) * self.light[0] * 1.6 - 0.3 * (cv.y - 0.5) * self.light[1]
        blotches = self.noise.fbm(cv.x * 3 + 11, cv.y * 3 + 5, 4)
        vignette = 1.0 - 0.35 * ((cv.x - 0.5) ** 2 + (cv.y - 0.5) ** 2)
        shade = (0.78 + 0.32 * lit + 0.18 * (blotches - 0.5)) * vignette
        cv.paint(np.ones_like(cv.x), base * shade[..., None], "background")

    def _strands(self, along: np.ndarray, across: np.ndarray) -> np.ndarray:
        """Hair texture in [0, 1]: fine streaks across, long along the flow."""
        fine = self.noise.fbm(across * 90.0 + 3.1, along * 5.0, 3)
        coarse = self.noise.fbm(across * 22.0 + 17.0, along * 2.0, 2)
        return 0.55 * fine + 0.45 * coarse

    def _hair_colour(self, alpha_shape: np.ndarray, nx, ny, nz, along, across, sheen_at: np.ndarray) -> np.ndarray:
        strands = self._strands(along, across)
        light = self.shade(nx, ny, nz, ambient=0.3)
        sheen = self.specular(nx, ny, nz, 6.0) * np.exp(-((sheen_at) / 0.05) ** 2) * (0.3 + 0.7 * strands)
        colour = self.hair * (light * (0.6 + 0.75 * strands))[..., None]
        return colour + (0.22 + 0.5 * self.hair.mean()) * sheen[..., None]

    def back_hair(self) -> None:
        length = self.a["hair_length"]
        if length not in ("medium", "long"):
            return
        w, h = self.half_width, self.half_height
        bottom = h * (0.95 if length == "medium" else 2.3) + self.rng.uniform(-0.03, 0.03)
        lx, ly = self.lx, self.ly
        flare = 1.0 + 0.25 * np.clip(ly / h, 0, 2)
        side = np.abs(lx) - (w + 0.05) * flare
        ends = ly - bottom - 0.03 * (self.noise.fbm(lx * 25 + 2, np.full_like(lx, 0.5), 3) - 0.5)
        top = np.hypot(lx / (w + 0.05), (ly + 0.01) / (h + 0.05)) - 1.0
        sd = np.where(ly < 0, top * w, np.maximum(side, ends))
        alpha = _inside(sd, 1.5 * self.canvas.pixel)
        nx, ny, nz = self.ellipsoid_normal(lx, ly * 0.5, (w + 0.06) * flare, h + 0.1)
        colour = self._hair_colour(alpha, nx, ny, nz * 0.9, ly, lx, np.hypot(lx, ly + h * 0.2) - w * 0.8) * 0.72
        self.canvas.paint(alpha, colour, "hair")

    def clothes(self) -> None:
        cv = self.canvas
        u = cv.x - self.centre[0]
        top = self.centre[1] + self.half_height + 0.035 + 0.9 * np.maximum(np.abs(u) - 0.05, 0) ** 2 * 3
        neckline = self.half_width * 0.55 * (1.0 - np.clip((cv.y - top) / 0.14, 0, 1))
        sd = np.maximum(top - cv.y, neckline - np.abs(u))
        alpha = _inside(sd, 1.5 * cv.pixel)
        hue = self.rng.random(3).astype(np.float32)
        fabric = 0.15 + 0.7 * hue / max(float(hue.max()), 1e-3) * np.float32(self.rng.uniform(0.3, 0.9))
        nx, ny, nz = self.ellipsoid_normal(u, np.full_like(u, -0.1), 0.5, 1.0)
        folds = self.noise.fbm(cv.x * 14 + 40, cv.y * 5, 3)
        colour = fabric * (self.shade(nx, ny, nz) * (0.85 + 0.3 * folds))[..., None]
        cv.paint(alpha, colour, "clothes")

    def neck(self) -> None:
        cv = self.canvas
        u = cv.x - self.centre[0]
        width = self.half_width * 0.46
        sd = np.maximum(np.abs(u) - width, self.centre[1] - cv.y)
        alpha = _inside(sd, 1.5 * cv.pixel)
        nx, ny, nz = self.ellipsoid_normal(u, np.zeros_like(u), width * 1.4, 1.0)
        under_chin = np.exp(-np.clip(cv.y - self.centre[1] - self.half_height * 0.95, 0, None) / 0.05)
        colour = self.skin * (self.shade(nx, ny, nz) * (1.0 - 0.5 * under_chin) * 0.85)[..., None]
        cv.paint(alpha, colour, "skin")

    def ears(self) -> None:
        w = self.half_width
        for side in (-1.0, 1.0):
            ex, ey = side * w * 0.97, -0.005
            sd = (np.hypot((self.lx - ex) / 0.03, (self.ly - ey) / 0.055) - 1.0) * 0.03
            alpha = _inside(sd, 1.5 * self.canvas.pixel)
            nx, ny, nz = self.ellipsoid_normal(self.lx - ex, self.ly - ey, 0.04, 0.07)
            inner = self.gauss(ex - side * 0.004, ey, 0.012, 0.03)
            colour = self.skin * (self.shade(nx, ny, nz) * (0.9 - 0.3 * inner))[..., None]
            colour = _mix(colour, colour * np.array([1.1, 0.85, 0.8], np.float32), 0.4)
            self.canvas.paint(alpha, colour, "skin")

    def face_mask(self) -> tuple[np.ndarray, np.ndarray]:
        """Coverage of the face and its egg-shaped signed distance."""
        w, h = self.half_width, self.half_height
        width = w * (1.0 - self.jaw * np.clip(self.ly / h, 0, 1) ** 2)
        sd = (np.hypot(self.lx / width, self.ly / h) - 1.0) * w
        return _inside(sd, 1.5 * self.canvas.pixel), width

    def face(self) -> None:
        w, h = self.half_width, self.half_height
        alpha, width = self.face_mask()
        smile = float(self.a["smile"])
        # A height field: the egg's dome plus features; its slope gives the normal.
        nx0 = np.clip(self.lx / width, -1, 1)
        ny0 = np.clip(self.ly / h, -1, 1)
        dome = np.sqrt(np.clip(1.0 - nx0 ** 2 - ny0 ** 2, 0.0, 1.0)) * w * 0.9
        self.eye_y = -h * 0.08
        self.eye_x = w * 0.42
        self.mouth_y = h * 0.52
        height = dome
        height = height + 0.03 * self.gauss(0, h * 0.12, 0.022, h * 0.22)  # nose bridge and tip
        height = height + 0.012 * self.gauss(0, h * 0.3, 0.03, 0.025)
        height = height - 0.014 * (self.gauss(-self.eye_x, self.eye_y, 0.05, 0.03)
                                   + self.gauss(self.eye_x, self.eye_y, 0.05, 0.03))  # eye sockets
        height = height + 0.012 * (self.gauss(-self.eye_x, self.eye_y - 0.05, 0.05, 0.016)
                                   + self.gauss(self.eye_x, self.eye_y - 0.05, 0.05, 0.016))  # brow ridge
        cheeks = self.gauss(-w * 0.5, h * 0.25, 0.05, 0.04) + self.gauss(w * 0.5, h * 0.25, 0.05, 0.04)
        height = height + (0.008 + 0.01 * max(smile, 0)) * cheeks
        height = height + 0.01 * self.gauss(0, h * 0.86, 0.04, 0.03)  # chin
        gy, gx = np.gradient(height, self.canvas.pixel)
        norm = np.sqrt(gx ** 2 + gy ** 2 + 1.0)
        nx, ny, nz = -gx / norm, -gy / norm, 1.0 / norm
        light = self.shade(nx, ny, nz)
        pores = self.noise.fbm(self.lx * 160 + 7, self.ly * 160, 3)
        blotch = self.noise.fbm(self.lx * 18 + 30, self.ly * 18, 3)
        colour = self.skin * (light * (0.96 + 0.08 * pores + 0.08 * (blotch - 0.5)))[..., None]
        blush = 0.25 * cheeks * (0.5 + 0.5 * self.rng.random())
        colour = _mix(colour, colour * np.array([1.12, 0.78, 0.76], np.float32), blush)
        nostrils = (self.gauss(-0.016, h * 0.34, 0.008, 0.005) + self.gauss(0.016, h * 0.34, 0.008, 0.005))
        colour = colour * (1.0 - 0.55 * np.clip(nostrils, 0, 1))[..., None]
        colour = colour + 0.1 * self.specular(nx, ny, nz, 24.0)[..., None]
        if self.rng.random() < 0.15:  # freckles
            spots = smoothstep(0.72, 0.8, self.noise(self.lx * 90 + 50, self.ly * 90)) * cheeks.clip(0, 1)
            colour = _mix(colour, colour * np.array([0.8, 0.62, 0.5], np.float32), spots * 0.6)
        self.canvas.paint(alpha, colour, "skin")

    def eyes(self) -> None:
        shape = self.a["eye_shape"]
        iris_colour = _colour(EYE_COLOURS[self.a["eye_colour"]])
        ew = self.half_width * 0.24
        eh = ew * {"round": 0.6, "almond": 0.45, "narrow": 0.3}[shape]
        sharpness = {"round": 0.6, "almond": 1.0, "narrow": 1.2}[shape]
        gaze = np.array([self.rng.uniform(-0.25, 0.25) * ew, self.rng.uniform(-0.15, 0.15) * eh])
        for side in (-1.0, 1.0):
            cx, cy = side * self.eye_x, self.eye_y
            dx, dy = self.lx - cx, self.ly - cy
            slant = side * 0.12 * eh * (dx / ew) if shape == "almond" else 0.0
            lid = eh * np.clip(1.0 - (dx / ew) ** 2, 0.0, 1.0) ** sharpness
            sd = np.where(np.abs(dx) < ew, np.abs(dy + slant) - lid, 1.0)
            alpha = _inside(sd, 1.2 * self.canvas.pixel)
            white = np.array([0.93, 0.9, 0.87], np.float32) * (0.85 + 0.15 * self.shade(*self.ellipsoid_normal(dx, dy, ew * 1.5, ew * 1.5)))[..., None]
            self.canvas.paint(alpha, white, "eyes")
            ir = min(ew * 0.52, eh * 1.25 if shape != "narrow" else ew * 0.45)
            ix, iy = dx - gaze[0], dy - gaze[1]
            radius = np.hypot(ix, iy)
            angle = np.arctan2(iy, ix)
            streaks = self.noise.fbm(angle * 6 + 3 + side, radius * 200, 3)
            iris = iris_colour * (0.65 + 0.7 * streaks * (0.6 + 0.4 * radius / ir))[..., None]
            iris = _mix(iris, iris * 0.35, smoothstep(ir * 0.7, ir, radius))  # dark limbal ring
            iris = _mix(iris, np.array([0.04, 0.03, 0.03], np.float32), _inside(radius - ir * 0.42, self.canvas.pixel))
            upper_shadow = np.clip((-(dy + slant) + lid * 0.2) / (lid * 1.2 + 1e-6), 0, 1) * 0.45
            iris = iris * (1.0 - upper_shadow)[..., None]
            iris_alpha = _inside(radius - ir, self.canvas.pixel) * alpha
            self.canvas.paint(iris_alpha, iris, "iris")
            glint = np.hypot(ix - ir * 0.35 * self.light[0] - ir * 0.1, iy - ir * 0.45 * np.sign(self.light[1] + 1e-3))
            self.canvas.paint(_inside(glint - ir * 0.18, self.canvas.pixel) * alpha * 0.9,
                              np.array([1.0, 1.0, 0.98], np.float32), "iris")
            # Upper lid line and lashes, a little below the crease.
            upper = -(dy + slant) - lid
            lash = _inside(np.abs(upper) - 0.004 * (0.5 + 0.5 * np.clip(1 - (dx / ew) ** 2, 0, 1)), self.canvas.pixel)
            lash *= np.abs(dx) < ew * 1.05
            self.canvas.paint(lash * 0.85, np.array([0.08, 0.05, 0.04], np.float32), "eyes")
            crease = np.exp(-((upper - 0.012) / 0.004) ** 2) * (np.abs(dx) < ew * 0.95)
            self.canvas.paint(crease * 0.18, self.skin * 0.45, None)

    def brows(self) -> None:
        ew = self.half_width * 0.24
        colour_base = _mix(self.hair, self.skin * 0.5, 0.25) * 0.8
        arch = self.rng.uniform(0.6, 1.2)
        thickness = self.rng.uniform(0.006, 0.011)
        raised = 0.01 * max(float(self.a["smile"]), 0.0)
        for side in (-1.0, 1.0):
            cx = side * self.eye_x
            dx = self.lx - cx
            t = np.clip(dx * side / (ew * 1.35), -1, 1)  # -1 inner end, 1 outer end
            centre = self.eye_y - ew * 1.15 - raised - arch * 0.012 * (1 - t ** 2) + 0.004 * t
            width = thickness * (1.1 - 0.5 * (t + 1) / 2)
            sd = np.maximum(np.abs(self.ly - centre) - width, np.abs(dx) - ew * 1.35)
            alpha = _inside(sd, 1.2 * self.canvas.pixel)
            hairs = self.noise.fbm(dx * 300 + side * 9, self.ly * 60, 2)
            self.canvas.paint(alpha * (0.55 + 0.4 * hairs), colour_base * (0.8 + 0.4 * hairs)[..., None], "brows")

    def mouth(self) -> None:
        smile = float(self.a["smile"])
        w, h = self.half_width, self.half_height
        mw = w * 0.36 * (1.0 + 0.12 * smile)
        dx = self.lx
        t = np.clip(1.0 - (dx / mw) ** 2, 0.0, 1.0)
        centre = self.mouth_y + 0.006 * smile - 0.028 * smile * (dx / mw) ** 2
        dy = self.ly - centre
        upper_t = self.rng.uniform(0.008, 0.012)
        lower_t = self.rng.uniform(0.011, 0.017)
        opening = 0.011 * (1.0 + smile) * float(self.a["mouth_open"])
        bow = 1.0 - 0.25 * np.exp(-(dx / (mw * 0.2)) ** 2)  # the dip of the cupid's bow
        top = -(opening * t + upper_t * np.sqrt(t) * bow)
        bottom = opening * t + lower_t * np.sqrt(t)
        sd = np.maximum(top - dy, dy - bottom)
        sd = np.where(t > 0, sd, 1.0)
        alpha = _inside(sd, 1.2 * self.canvas.pixel)
        lip_colour = _mix(self.skin, np.array([0.72, 0.3, 0.32], np.float32), 0.45) * 0.92
        nx, ny, nz = self.ellipsoid_normal(dx, np.where(dy < 0, dy + upper_t * 0.5, dy - lower_t * 0.5), mw, 0.02)
        ny = np.where(dy < 0, -np.abs(ny) * 0.3 + 0.4, ny)  # the upper lip faces down a little
        colour = lip_colour * self.shade(nx, ny, nz)[..., None] + 0.12 * self.specular(nx, ny, nz, 16)[..., None] * (dy > 0)[..., None]
        self.canvas.paint(alpha, colour, "lips")
        if opening > 0:
            gap = _inside(np.abs(dy) - opening * t, self.canvas.pixel) * (t > 0)
            teeth = np.array([0.92, 0.9, 0.84], np.float32) * (0.7 + 0.3 * np.clip(-dy / opening, 0, 1))[..., None]
            inside = _mix(np.array([0.25, 0.06, 0.07], np.float32), teeth, (dy < opening * t * 0.15).astype(np.float32))
            self.canvas.paint(gap, inside, "lips")
        else:
            line = np.exp(-(dy / 0.0025) ** 2) * t ** 0.3
            self.canvas.paint(line * 0.7, lip_colour * 0.35, None)
        corners = (self.gauss(-mw, self.mouth_y - 0.028 * smile, 0.008, 0.006)
                   + self.gauss(mw, self.mouth_y - 0.028 * smile, 0.008, 0.006))
        self.canvas.paint(np.clip(corners, 0, 1) * 0.3, self.skin * 0.5, None)

    def top_hair(self) -> None:
        length = self.a["hair_length"]
        if length == "bald":
            return
        w, h = self.half_width, self.half_height
        lx, ly = self.lx, self.ly
        fringe = self.rng.uniform(0.0, 1.0)
        part = self.rng.uniform(-0.5, 0.5) * w
        hairline = -h * (0.62 - 0.3 * fringe) + 0.07 * np.abs(lx - part) / w - 0.02 * fringe * np.cos((lx - part) / w * 3)
        hairline = hairline + 0.05 * (np.abs(lx) / w) ** 4  # temples
        hairline = hairline + 0.012 * (self.noise.fbm(lx * 40 + 5, np.full_like(lx, 1.5), 2) - 0.5)
        cap = (np.hypot(lx / (w + 0.022), (ly + 0.012) / (h + 0.03)) - 1.0) * w
        sd = np.maximum(cap, ly - hairline)
        if length in ("medium", "long"):
            side_bottom = h * (0.55 if length == "medium" else 1.15)
            inner = w * (0.8 if length == "medium" else 0.76)
            flare = 1.0 + 0.2 * np.clip(ly / h, 0, 2)
            sides = np.maximum.reduce([inner - np.abs(lx), np.abs(lx) - (w + 0.04) * flare, ly - side_bottom,
                                       -0.3 * h - ly])
            sides = sides + 0.012 * (self.noise.fbm(lx * 30, ly * 8 + 3, 2) - 0.5)
            sd = np.minimum(sd, sides)
        alpha = _inside(sd, 1.5 * self.canvas.pixel)
        crown = np.array([part * 0.5, -h * 1.15], np.float32)
        along = np.hypot(lx - crown[0], ly - crown[1])
        across = np.arctan2(lx - crown[0], ly - crown[1]) * 0.25
        nx, ny, nz = self.ellipsoid_normal(lx, ly + 0.02, w + 0.05, h + 0.06)
        colour = self._hair_colour(alpha, nx, ny, nz, along * 2, across, along - h * 0.75)
        self.canvas.paint(alpha, colour, "hair")

    def glasses(self) -> None:
        ew = self.half_width * 0.24
        radius = ew * self.rng.uniform(1.45, 1.7)
        roundness = self.rng.uniform(0.0, 1.0)
        frame = np.array(self.rng.choice([[0.06, 0.05, 0.05], [0.35, 0.2, 0.1], [0.75, 0.62, 0.3]]), np.float32)
        thickness = self.rng.uniform(0.0035, 0.006)
        lenses = np.zeros_like(self.lx)
        rims = np.zeros_like(self.lx)
        for side in (-1.0, 1.0):
            dx, dy = self.lx - side * self.eye_x, self.ly - self.eye_y - 0.004
            # A blend of a circle and a rounded rectangle.
            box = np.maximum(np.abs(dx) - radius * 1.05, np.abs(dy) - radius * 0.72)
            circle = np.hypot(dx, dy * 1.15) - radius
            sd = roundness * circle + (1 - roundness) * box
            lenses = np.maximum(lenses, _inside(sd, self.canvas.pixel))
            rims = np.maximum(rims, _inside(np.abs(sd) - thickness, self.canvas.pixel))
        bridge = _inside(np.maximum(np.abs(self.lx) - self.eye_x + radius * 0.95,
                                    np.abs(self.ly - self.eye_y + radius * 0.25) - thickness * 0.8), self.canvas.pixel)
        arms = _inside(np.maximum(np.abs(self.ly - self.eye_y + radius * 0.3) - thickness * 0.7,
                                  -np.minimum(np.abs(self.lx) - self.eye_x - radius, self.half_width * 1.02 - np.abs(self.lx))),
                       self.canvas.pixel)
        reflection = np.clip(0.5 - 1.5 * (self.lx * self.light[0] + self.ly * 0.5), 0, 1) * 0.12
        self.canvas.paint(lenses * (0.08 + reflection), np.array([0.9, 0.95, 1.0], np.float32), None)
        self.canvas.paint(np.maximum.reduce([rims, bridge, arms]), frame, "glasses")

    def grain(self) -> None:
        self.canvas.picture += self.rng.normal(0.0, 0.008, self.canvas.picture.shape).astype(np.float32)


def render_face(seed: int, size: int = 64, **attributes) -> FaceRender:
    """Draw the face of ``seed`` at ``size`` x ``size``; any of :data:`ATTRIBUTES` may be set by keyword.

    Setting an attribute changes only what it is about: the head's shape and
    position, the other attributes and all random texture stay those of the seed.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    _check(attributes)
    chosen = _draw_attributes(np.random.default_rng([seed, 0]))
    chosen.update(attributes)
    chosen["smile"] = float(chosen["smile"])
    chosen["mouth_open"] = bool(chosen["mouth_open"])
    chosen["glasses"] = bool(chosen["glasses"])
    painter = _FacePainter(seed, size * SUPERSAMPLE, chosen)
    painter.compose()
    pixels = np.uint8(np.clip(painter.canvas.picture, 0.0, 1.0) * 255.0 + 0.5)
    image = Image.fromarray(pixels, "RGB").resize((size, size), Image.Resampling.BOX)
    # Each output pixel goes to the region covering most of its supersampled block.
    stacked = np.stack([painter.canvas.coverage[name] for name in REGIONS])
    blocks = stacked.reshape(len(REGIONS), size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(2, 4))
    owner = blocks.argmax(axis=0)
    regions = {name: owner == i for i, name in enumerate(REGIONS)}
    return FaceRender(image=image, attributes=chosen, regions=regions)


def face(seed: int, size: int = 64, **attributes) -> tuple[Image.Image, dict]:
    """A procedural face and its labels: (an "RGB" ``size`` x ``size`` image, {attribute: value}).

    Deterministic per seed; see :func:`render_face` for the attributes.
    """
    render = render_face(seed, size, **attributes)
    return render.image, render.attributes


def face_seed(seed: int, index: int) -> int:
    """The seed of face ``index`` of a set made with ``seed`` (stable whatever the count)."""
    return int(np.random.SeedSequence([seed, 7, index]).generate_state(1)[0])


def example_face(index: int, size: int = 64) -> Image.Image:
    """Example face ``index`` (the Upscale page's "Use an example face"), from a stream of its own: the sets
    of :func:`face_seed` (training data, held-out faces) never draw it."""
    return face(int(np.random.SeedSequence([0, 8, index]).generate_state(1)[0]), size)[0]


def write_faces(folder: str | Path, count: int, size: int = 64, seed: int = 0, progress: bool = False) -> list[Path]:
    """Write ``count`` faces as ``folder/00000.png`` ... and their labels to ``folder/labels.csv``.

    ``labels.csv`` has a header ``file,<ATTRIBUTES...>`` and one row per
    image; booleans are written 0/1. The same arguments write the same files.

    Returns:
        The image paths, in order.
    """
    from tqdm import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for index in tqdm(range(count), desc="faces", unit="face", disable=not progress, file=sys.stderr):
        image, labels = face(face_seed(seed, index), size)
        path = folder / f"{index:05d}.png"
        image.save(path)
        paths.append(path)
        rows.append([path.name] + [int(v) if isinstance(v, bool) else v for v in (labels[k] for k in ATTRIBUTES)])
    with open(folder / "labels.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", *ATTRIBUTES])
        writer.writerows(rows)
    return paths


def contact_sheet(images: Sequence[Image.Image], columns: int = 8, gap: int = 2) -> Image.Image:
    """Images of one size in a grid on white, ``gap`` pixels apart."""
    width, height = images[0].size
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (width + gap) + gap, rows * (height + gap) + gap), "white")
    for i, image in enumerate(images):
        sheet.paste(image, (gap + (i % columns) * (width + gap), gap + (i // columns) * (height + gap)))
    return sheet


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inference.data.faces``: write a folder of procedural faces with labels.csv."""
    parser = argparse.ArgumentParser(
        prog="python -m inference.data.faces",
        description="Write procedural faces (DIR/00000.png ...) and their attribute labels (DIR/labels.csv).",
        epilog="example: python -m inference.data.faces --out var/data/faces --count 5000 --seed 0",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    parser.add_argument("--count", type=int, default=1000, metavar="N", help="faces to write (default: 1000)")
    parser.add_argument("--size", type=int, default=64, metavar="PX", help="side in pixels (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole set (default: 0)")
    parser.add_argument("--sheet", type=Path, metavar="PNG", help="also write a contact sheet of the first 32 faces")
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < 16:
        parser.error("--count must be positive and --size at least 16")
    paths = write_faces(args.out, args.count, args.size, args.seed, progress=True)
    if args.sheet:
        contact_sheet([Image.open(p).convert("RGB") for p in paths[:32]]).save(args.sheet)
    print(f"{len(paths)} faces and labels.csv in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
