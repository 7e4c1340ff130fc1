"""Style transfer models: fast_neural_style's four styles, AdaIN's decoder and encoder, and VGG-16.

``arch`` tells the Stylize tool how to use a model:

* "single" (family transformer_net): one fast_neural_style TransformerNet,
  one style (``options["style"]`` names it);
* "multistyle" (transformer_net): a conditional-instance-norm net trained here
  (``options["styles"]``: [{"name", "thumbnail"}], thumbnails relative to the
  models directory; ``options["identity_slot"]``);
* "adain" (family adain): the AdaIN decoder, any style image;
  ``options["encoder"]`` names the encoder model it was trained with;
* "normalised_vgg19", "vgg16": encoders, parts of other models, not offered
  on their own (``options["part_of"]``).

Together with the AdaIN and VGG records this module is the catalog of the
Stylize tool's families (transformer_net, adain, vgg), which work together.

pytorch/examples publishes its four models in one zip archive without
checksums; ``options["archive_member"]`` is the file fetched from it.
"""

from ..modelspec import ModelSpec

_FNS_ZIP = "https://www.dropbox.com/s/lrvwfehqdcxoza8/saved_models.zip?dl=1"
_FNS_PAPER = (
    "Johnson, Alahi, Fei-Fei. Perceptual Losses for Real-Time Style Transfer and Super-Resolution. ECCV 2016; "
    "Ulyanov, Vedaldi, Lempitsky. Instance Normalization. 2016."
)
_ADAIN_RELEASE = "https://github.com/naoto0804/pytorch-AdaIN/releases/download/v0.0.0/"
_ADAIN_PAPER = (
    "Huang, Belongie. Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization. ICCV 2017."
)


def _fast_neural_style(name: str, title: str, painting: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        family="transformer_net",
        task="stylize",
        arch="single",
        title=f"{title} (fast neural style)",
        url=_FNS_ZIP,
        filename=f"fast_neural_style-{name}.pth",
        sha256=None,
        sha256_prefix=None,
        licence="BSD-3-Clause",
        input_size=256,
        default=True,
        paper=_FNS_PAPER,
        description=f"Paints photos like {painting}, in one pass of a small network (pytorch/examples).",
        options={"style": title, "archive_member": f"saved_models/{name}.pth"},
    )


SPECS = (
    _fast_neural_style("candy", "Candy", "a bright, candy-coloured abstract painting"),
    _fast_neural_style("mosaic", "Mosaic", "a stone mosaic with dark joints"),
    _fast_neural_style("rain_princess", "Rain Princess", "Leonid Afremov's palette-knife painting Rain Princess"),
    _fast_neural_style("udnie", "Udnie", "Francis Picabia's cubist painting Udnie"),
    ModelSpec(
        name="adain-decoder",
        family="adain",
        task="stylize",
        arch="adain",
        title="Any style image (AdaIN)",
        url=_ADAIN_RELEASE + "decoder.pth",
        filename="adain-decoder.pth",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=512,
        default=True,
        paper=_ADAIN_PAPER,
        description=(
            "Takes its style from any picture you upload, and blends several of them; "
            "looser than the trained styles, but instant for a new style."
        ),
        options={"encoder": "adain-vgg"},
    ),
    ModelSpec(
        name="adain-vgg",
        family="adain",
        task="stylize",
        arch="normalised_vgg19",
        title="AdaIN encoder (normalised VGG-19)",
        url=_ADAIN_RELEASE + "vgg_normalised.pth",
        filename="adain-vgg_normalised.pth",
        sha256=None,
        sha256_prefix=None,
        licence="MIT",
        input_size=512,
        default=True,
        paper=_ADAIN_PAPER + " Encoder: Simonyan, Zisserman. Very Deep Convolutional Networks. ICLR 2015.",
        description="The VGG-19 encoder the AdaIN decoder works with (converted from the authors' Torch model).",
        options={"part_of": "adain-decoder"},
    ),
    ModelSpec(
        name="vgg16",
        family="vgg",
        task="training",
        arch="vgg16",
        title="VGG-16 (ImageNet, torchvision)",
        url="https://download.pytorch.org/models/vgg16-397923af.pth",
        filename="vgg16-397923af.pth",
        sha256=None,
        sha256_prefix="397923af",
        licence="BSD-3-Clause",
        input_size=224,
        default=False,
        paper="Simonyan, Zisserman. Very Deep Convolutional Networks for Large-Scale Image Recognition. ICLR 2015.",
        description="Measures the perceptual losses when training multi-style networks (train stylize).",
        options={"part_of": "train stylize"},
    ),
)
