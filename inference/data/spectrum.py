"""How much of a picture's energy sits at the 2-pixel period: a measure of checkerboard texture.

A stride-2 transposed convolution tends to leave a grid in a generator's
pictures, a pattern that repeats every 2 pixels across, down or both. In the
2D discrete Fourier transform of an N x N picture that pattern is the row
and the column of the Nyquist frequency (index N / 2), so the share of the
power spectrum on them says how strong the grid is. Natural pictures have
little there (only the finest grain); a checkerboard puts a lot there.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def nyquist_share(picture: Image.Image | np.ndarray) -> float:
    """Share of the power spectrum at the 2-pixel period, averaged over the colour channels.

    For each channel x (values in [0, 1], its mean removed), with P = |FFT2(x)|^2:
    ``(sum of P over row N/2 and column N/2, the corner counted once) / (sum of P)``.
    Only even sides are measured in full (an odd side has no Nyquist line).

    Returns:
        A number in [0, 1]; 0 for a flat picture.
    """
    pixels = np.asarray(picture, dtype=np.float64) / 255.0
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    height, width = pixels.shape[:2]
    shares = []
    for channel in np.moveaxis(pixels, -1, 0):
        power = np.abs(np.fft.fft2(channel - channel.mean())) ** 2
        total = power.sum()
        if total <= 0:
            shares.append(0.0)
            continue
        nyquist = np.zeros_like(power, dtype=bool)
        if height % 2 == 0:
            nyquist[height // 2, :] = True
        if width % 2 == 0:
            nyquist[:, width // 2] = True
        shares.append(float(power[nyquist].sum() / total))
    return float(np.mean(shares))
