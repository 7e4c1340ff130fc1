"""pix2pix models for Live Sketch: the official releases and Atelier's bundled landscape demos.

The official generators come from junyanz/pytorch-CycleGAN-and-pix2pix
(``scripts/download_pix2pix_model.sh`` fetches
``http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/<name>.pth``);
all are unet_256 with BatchNorm (ngf 64, 8 levels) and no published hash.
The bundled landscape demos are ``unet_small_resize`` (ngf 16, 6 levels, still
256 px in and out, resize-convolutions instead of transposed ones on the way
up, so no checkerboard). ``arch`` names the builder in
:mod:`inference.nets.pix2pix`, which holds the configuration's depth, width
and up-sampling.
``direction`` is the direction each was trained in on its official data set,
i.e. which half of an A|B pair is the input. ``kind`` tells the studio what
to let people draw: "sketch" (dark lines on white), "label_map" (flat colours,
from ``palette`` when one is known) or "photo" (an image to translate).
"""

from ..data.palette import LANDSCAPE_PALETTE, STYLE_MATERIALS
from ..modelspec import ModelSpec

PAPER = "Isola, Zhu, Zhou, Efros. Image-to-Image Translation with Conditional Adversarial Networks. CVPR 2017."
_OFFICIAL_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/{name}.pth"
_OFFICIAL_LICENCE = "BSD-2-Clause"  # licence of the pytorch-CycleGAN-and-pix2pix repository
_BATCHNORM_RGB = {"norm": "batch", "input_nc": 3, "output_nc": 3, "use_dropout": True}


def _official(name: str, title: str, direction: str, kind: str, description: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        family="pix2pix",
        task="sketch",
        arch="unet_256",
        title=title,
        url=_OFFICIAL_URL.format(name=name),
        filename=f"{name}.pth",
        sha256=None,
        sha256_prefix=None,
        licence=_OFFICIAL_LICENCE,
        input_size=256,
        default=False,
        paper=PAPER,
        description=description,
        options={**_BATCHNORM_RGB, "direction": direction, "kind": kind},
    )


# The bundled demos: small enough to draw live on a laptop CPU (see docs/demo-models.md).
# "examples": the Sketch page's Example drawings come from the scenes they learnt from (inference/data/landscapes.py).
_DEMO = {**_BATCHNORM_RGB, "direction": "AtoB", "examples": "landscapes"}


def _style(*materials: str) -> dict:
    """A demo's colours: it takes those of ``materials`` (in this order, as it was trained), 4 input planes
    each after the drawing's 3 channels (inference/pipelines/sketch_options.py)."""
    return {"style": list(materials), "input_nc": 3 + 4 * len(materials)}


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="landscape-paint",
        family="pix2pix",
        task="sketch",
        arch="unet_small_resize",
        title="Landscape painter (label map)",
        url="",
        filename="landscape-paint.safetensors",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=256,
        default=True,
        paper=PAPER,
        description=(
            "Paint sky, clouds, mountains, water, sand, grass, rocks and trees with flat colours and get a "
            "landscape picture; choose the colours of sky, mountains, water and grass, or leave them to the model. "
            "Atelier's own small model, trained on procedural scenes; fast enough on a CPU."
        ),
        bundled=True,
        options={**_DEMO, **_style("sky", "mountain", "water", "grass"), "kind": "label_map",
                 "palette": LANDSCAPE_PALETTE},
    ),
    ModelSpec(
        name="landscape-sketch",
        family="pix2pix",
        task="sketch",
        arch="unet_small_resize",
        title="Landscape from a line drawing",
        url="",
        filename="landscape-sketch.safetensors",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=256,
        default=True,
        paper=PAPER,
        description=(
            "Draw the outlines of a landscape (horizon, mountains, shore, trees, rocks) in dark lines on white "
            "and get a picture; choose the colours of sky, horizon, mountains, water and grass, or leave them to "
            "the model. "
            "Atelier's own small model, trained on procedural scenes; fast enough on a CPU."
        ),
        bundled=True,
        options={**_DEMO, **_style(*STYLE_MATERIALS), "kind": "sketch"},
    ),
    _official("edges2shoes", "Shoes from edges (official pix2pix)", "AtoB", "sketch",
              "Draw the outline of a shoe; trained on 50k UT Zappos50K photos with HED edges."),
    _official("facades_label2photo", "Facades from labels (official pix2pix)", "BtoA", "label_map",
              "Building facades from CMP Facades label maps (windows, doors, balconies ...); "
              "the label colours are those of the official facades data set."),
    _official("sat2map", "Map from an aerial photo (official pix2pix)", "AtoB", "photo",
              "Turns a satellite photo of a city (Google Maps, New York) into a map rendering."),
    _official("map2sat", "Aerial photo from a map (official pix2pix)", "BtoA", "photo",
              "Turns a Google Maps rendering into a plausible satellite photo."),
    _official("day2night", "Day to night (official pix2pix)", "BtoA", "photo",
              "Turns a daytime outdoor photo into night; trained on the Transient Attributes webcams."),
)
