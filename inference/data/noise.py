"""Value noise and fractional Brownian motion (fBm) in numpy, for procedural textures.

Noise is sampled at arbitrary coordinates (not on a pixel grid), so a
texture can be laid on a ground plane seen in perspective: grass blades and
water ripples shrink towards the horizon because the coordinates do.
"""

from __future__ import annotations

import numpy as np

_TABLE = 256  # lattice period; coordinates wrap around it


class ValueNoise:
    """Smooth random field: random values on an integer lattice, smoothstep-interpolated.

    Deterministic for a given numpy Generator. Calling the object returns
    values in [0, 1]; :meth:`fbm` sums octaves of it.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        table = rng.random((_TABLE, _TABLE), dtype=np.float32)
        # One extra row and column (copies of the first) so the +1 neighbour
        # needs no wrap-around; flat for fast gathers.
        self.table = np.pad(table, ((0, 1), (0, 1)), mode="wrap").ravel()
        # A random shift per octave keeps octaves' lattices from lining up.
        self.offsets = rng.random((16, 2), dtype=np.float32) * _TABLE

    def __call__(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Noise at lattice coordinates (u, v) (arrays of one shape) -> float32 in [0, 1]."""
        u = np.asarray(u, dtype=np.float32)
        v = np.asarray(v, dtype=np.float32)
        iu = np.floor(u)
        iv = np.floor(v)
        fu = u - iu
        fv = v - iv
        row = _TABLE + 1
        index = (iv.astype(np.int32) & (_TABLE - 1)) * row + (iu.astype(np.int32) & (_TABLE - 1))
        su = fu * fu * (3.0 - 2.0 * fu)
        sv = fv * fv * (3.0 - 2.0 * fv)
        t = self.table
        a, b = t.take(index), t.take(index + 1)
        c, d = t.take(index + row), t.take(index + row + 1)
        top = a + (b - a) * su
        bottom = c + (d - c) * su
        return top + (bottom - top) * sv

    def fbm(self, u: np.ndarray, v: np.ndarray, octaves: int = 5, gain: float = 0.5,
            lacunarity: float = 2.0) -> np.ndarray:
        """Sum of ``octaves`` noise layers, each ``lacunarity`` times finer and ``gain`` times weaker.

        Returns:
            float32 array shaped like ``u``, roughly in [0, 1] with mean 0.5.
        """
        u = np.asarray(u, dtype=np.float32)
        v = np.asarray(v, dtype=np.float32)
        total = np.zeros(np.broadcast(u, v).shape, dtype=np.float32)
        amplitude, frequency, norm = 1.0, 1.0, 0.0
        for octave in range(octaves):
            du, dv = self.offsets[octave % len(self.offsets)]
            total += amplitude * self(u * frequency + du, v * frequency + dv)
            norm += amplitude
            amplitude *= gain
            frequency *= lacunarity
        # Averaging octaves narrows the spread around 0.5; stretch it back to
        # the spread of a single octave so thresholds mean the same for any count.
        stretch = float(norm / np.sqrt(sum(gain ** (2 * i) for i in range(octaves))))
        return np.clip(0.5 + (total / norm - 0.5) * stretch, 0.0, 1.0)

    def ridged(self, u: np.ndarray, v: np.ndarray, octaves: int = 5) -> np.ndarray:
        """Ridged fBm in [0, 1]: sharp crests where plain noise crosses its middle (mountain ridges)."""
        return (1.0 - np.abs(2.0 * self.fbm(u, v, octaves) - 1.0)) ** 2


def smoothstep(edge0: float | np.ndarray, edge1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 (x <= edge0) to 1 (x >= edge1)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
