"""Edit models (the Neural Photo Editor): Atelier's bundled demo trained on procedural faces.

The paper's own models (Theano, CelebA / SVHN / ImageNet) were published as
pickled Theano parameters that this project cannot load; the bundled demo is
trained here by ``python -m inference train npe`` (docs/edit.md has the exact
command, its curve and its pictures). ``arch`` names the builder in
:mod:`inference.nets.npe`; ``options`` hold its sizes (``ndf``, ``ngf``, ``z_dim``).
"""

from ..modelspec import ModelSpec

PAPER = "Brock, Lim, Ritchie, Weston. Neural Photo Editing with Introspective Adversarial Networks. ICLR 2017."

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="npe-faces",
        family="npe",
        task="edit",
        arch="ian_64",
        title="Procedural faces (demo)",
        url="",
        filename="npe-faces.safetensors",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=64,
        default=True,
        paper=PAPER,
        description=(
            "Paint over a 64 x 64 face and the network changes what it thinks is there: hair, skin, background, "
            "eyes. Atelier's own small Introspective Adversarial Network, trained on procedural faces; fast "
            "enough to follow the brush on a CPU."
        ),
        bundled=True,
        options={"ndf": 16, "ngf": 16, "z_dim": 100},
    ),
)
