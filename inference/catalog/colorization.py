"""The published Zhang et al. colourisers (richzhang/colorization)."""

from ..modelspec import ModelSpec

_ZHANG_LICENCE = "BSD-2-Clause"

SPECS = (
    ModelSpec(
        name="eccv16",
        family="colorization",
        task="colorize",
        arch="eccv16",
        title="Colorful Image Colorization (ECCV 2016)",
        url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
        filename="colorization_release_v2-9b330a0b.pth",
        sha256=None,
        sha256_prefix="9b330a0b",
        licence=_ZHANG_LICENCE,
        input_size=256,
        default=True,
        paper="Zhang, Isola, Efros. Colorful Image Colorization. ECCV 2016.",
        description=(
            "Automatic colourisation trained on ImageNet; predicts a distribution over 313 "
            "colour bins. Vivid, sometimes adventurous colours; ignores colour hints."
        ),
    ),
    ModelSpec(
        name="siggraph17",
        family="colorization",
        task="colorize",
        arch="siggraph17",
        title="Real-Time User-Guided Image Colorization (SIGGRAPH 2017)",
        url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
        filename="siggraph17-df00044c.pth",
        sha256=None,
        sha256_prefix="df00044c",
        licence=_ZHANG_LICENCE,
        input_size=256,
        default=True,
        paper="Zhang, Zhu, Isola, Geng, Lin, Yu, Efros. Real-Time User-Guided Image Colorization "
        "with Learned Deep Priors. SIGGRAPH 2017.",
        description=(
            "Colourisation that follows colour hints painted on the photo; "
            "without hints it gives calm, natural colours."
        ),
    ),
)
