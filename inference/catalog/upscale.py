"""Upscale models: Real-ESRGAN's RRDBNet x4 and x2 for photos, and Atelier's bundled PRSR faces demo.

Real-ESRGAN (xinntao/Real-ESRGAN, BSD-3-Clause) publishes its files as GitHub
release assets, ``RealESRGAN_x4plus.pth`` in v0.1.0 and ``RealESRGAN_x2plus.pth``
in v0.2.1, without a published hash; both are BasicSR RRDBNets (23 blocks, 64
features, growth 32) with the weights under ``params_ema``. ESRGAN's own
release (``RRDB_ESRGAN_x4.pth``, Apache-2.0) is only on Google Drive, which has
no stable download address, so it has no record: ``--weights FILE`` (and
``models import``) load it, in either of its namings.

``arch`` is the builder in the family module (``rrdbnet_x4``, ``rrdbnet_x2``
in :mod:`inference.nets.rrdbnet`, ``prsr`` in :mod:`inference.nets.prsr`);
``options["scale"]`` is the output / input side. For PRSR ``input_size`` is
the low-resolution side (8) and every sample is ``input_size * scale``
squared (32).
"""

from ..modelspec import ModelSpec

ESRGAN_PAPER = ("Wang, Xie, Dong, Shan. Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure "
                "Synthetic Data. ICCVW 2021.")
PRSR_PAPER = "Dahl, Norouzi, Shlens. Pixel Recursive Super Resolution. ICCV 2017."
_RELEASES = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_RRDB_23 = {"num_feat": 64, "num_block": 23, "num_grow_ch": 32}

# The bundled demo's sizes (the constructor arguments of PixelRecursiveSR); see docs/upscale.md.
PRSR_DEMO = {"scale": 4, "cond_features": 32, "cond_blocks": 4, "cond_up_blocks": 1, "prior_features": 24,
             "prior_layers": 6, "prior_kernel": 3}

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="prsr-faces",
        family="prsr",
        task="upscale",
        arch="prsr",
        title="Pixel recursive faces (8 \u2192 32 px)",
        url="",
        filename="prsr-faces.safetensors",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=8,
        default=True,
        paper=PRSR_PAPER,
        description=(
            "Invents a 32 \u00d7 32 face from an 8 \u00d7 8 one, a pixel at a time: every sample is a different "
            "plausible face. Atelier's own small model, trained on procedural faces; runs on a CPU."
        ),
        bundled=True,
        # "examples": the Upscale page's example faces come from the faces it learnt from (inference/examples.py).
        options={**PRSR_DEMO, "examples": "faces"},
    ),
    ModelSpec(
        name="realesrgan-x4plus",
        family="rrdbnet",
        task="upscale",
        arch="rrdbnet_x4",
        title="Real-ESRGAN \u00d74 (photos)",
        url=f"{_RELEASES}/v0.1.0/RealESRGAN_x4plus.pth",
        filename="RealESRGAN_x4plus.pth",
        sha256=None,
        sha256_prefix=None,
        licence="BSD-3-Clause",
        input_size=0,
        default=True,
        paper=ESRGAN_PAPER,
        description=(
            "Enlarges a photo four times, removing blur, noise and JPEG blocks on the way; trained on "
            "synthetically degraded photos. Large photos run in tiles; fast on a GPU, slow on a CPU."
        ),
        options={**_RRDB_23, "scale": 4},
    ),
    ModelSpec(
        name="realesrgan-x2plus",
        family="rrdbnet",
        task="upscale",
        arch="rrdbnet_x2",
        title="Real-ESRGAN \u00d72 (photos)",
        url=f"{_RELEASES}/v0.2.1/RealESRGAN_x2plus.pth",
        filename="RealESRGAN_x2plus.pth",
        sha256=None,
        sha256_prefix=None,
        licence="BSD-3-Clause",
        input_size=0,
        default=False,
        paper=ESRGAN_PAPER,
        description=(
            "Enlarges a photo two times, cleaning it as the \u00d74 model does; the same network after a "
            "pixel unshuffle, so it costs about as much per output pixel."
        ),
        options={**_RRDB_23, "scale": 2},
    ),
)
