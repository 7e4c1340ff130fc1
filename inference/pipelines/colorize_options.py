"""What a Colorize request may ask for besides hints, checked without torch.

Kept free of torch (like :mod:`inference.pipelines.hints`) so the command
line can list the choices and the web process can validate a form before
torch is loaded; :mod:`inference.pipelines.colorize` re-exports the names.
"""

from __future__ import annotations

from ..errors import InferenceError

# How predicted colours outside the sRGB gamut become pixels:
#   "preserve-luminance": lower their chroma until they fit, so every pixel
#       keeps the photo's own lightness (Atelier's default: a clipped
#       saturated blue sky turns visibly darker than the original grey);
#   "clip": clip each RGB channel to [0, 1], exactly the official code's
#       skimage.color.lab2rgb, to reproduce the released outputs.
GAMUT_MODES = ("preserve-luminance", "clip")
DEFAULT_GAMUT = "preserve-luminance"


def check_gamut(value: object) -> str:
    """The gamut mode named by ``value`` (None or "" give the default).

    Raises:
        InferenceError: not one of :data:`GAMUT_MODES`, with the choices.
    """
    if value in (None, ""):
        return DEFAULT_GAMUT
    if value not in GAMUT_MODES:
        raise InferenceError(f"Unknown gamut mapping {value!r}; use {' or '.join(map(repr, GAMUT_MODES))}.")
    return str(value)
