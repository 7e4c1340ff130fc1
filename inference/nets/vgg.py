"""VGG feature extractors: torchvision's VGG-16/19 and pytorch-AdaIN's normalised VGG-19.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition" (ICLR 2015). Two key layouts are supported, each loading
its published file unchanged:

* torchvision (``vgg16-397923af.pth``, ``vgg19-dcbb9e9d.pth``): a
  ``features`` Sequential of 3x3 convs (padding 1), in-place ReLUs and 2x2
  max pools, keys ``features.0.weight`` ... ``features.28.bias`` for VGG-16,
  plus a ``classifier`` that perceptual losses never use (dropped on load by
  :func:`from_torchvision_vgg`). Input: RGB in [0, 1], normalised with the
  ImageNet mean and std by :meth:`VGGFeatures.forward` itself.
* pytorch-AdaIN (``vgg_normalised.pth``): a bare Sequential (keys ``0.weight``,
  ``2.weight`` ...) converted from the Torch7 model of Huang & Belongie. Its
  first layer is a 1x1 conv 3->3 that turns RGB in [0, 1] into the
  mean-subtracted 0..255 BGR that Caffe's VGG expects; then reflection pads
  (instead of zero padding), 3x3 convs, ReLUs and ceil-mode max pools, up to
  relu5_4. AdaIN only needs it up to relu4_1 (layer 30), see
  :class:`NormalisedVGG19`.

The blocks are plain Sequentials rather than one class per block because
the published keys are Sequential indices: a class per block would add a
level to every key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import Tensor, nn

# Channels per conv, "M" for a 2x2 max pool (torchvision's configurations "D" and "E").
CONFIGS: dict[str, tuple[int | str, ...]] = {
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}

# The layers Johnson et al.'s perceptual loss reads from VGG-16 (Gram style loss on all four).
PERCEPTUAL_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_normalise(rgb: Tensor) -> Tensor:
    """ImageNet normalisation, as torchvision's VGG weights were trained with.

    Args:
        rgb: (N, 3, H, W) in [0, 1].

    Returns:
        (N, 3, H, W) ``(rgb - mean) / std`` per channel.
    """
    mean = rgb.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = rgb.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (rgb - mean) / std


def _layer_names(config: Iterable[int | str]) -> list[str]:
    """Names of the torchvision ``features`` layers: conv1_1, relu1_1, ..., pool1, conv2_1 ..."""
    names: list[str] = []
    block, index = 1, 1
    for item in config:
        if item == "M":
            names.append(f"pool{block}")
            block, index = block + 1, 1
        else:
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
            index += 1
    return names


class VGGFeatures(nn.Module):
    """The convolutional part of a torchvision VGG, returning named activations.

    ``features`` has torchvision's indices (VGG-16: ``features.0`` = conv1_1,
    ``features.3`` = relu1_2, ``features.8`` = relu2_2, ``features.15`` =
    relu3_3, ``features.22`` = relu4_3), so ``state_dict`` keys match the
    published files' ``features.*`` keys exactly.

    Args:
        config: channels per conv and "M" for pools, e.g. ``CONFIGS["vgg16"]``.
    """

    def __init__(self, config: Iterable[int | str]) -> None:
        super().__init__()
        config = tuple(config)
        layers: list[nn.Module] = []
        in_channels = 3
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_channels, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_channels = int(item)
        self.features = nn.Sequential(*layers)
        self.layer_names = _layer_names(config)
        for module in self.features:
            if isinstance(module, nn.Conv2d):  # torchvision's initialisation, for --random-vgg runs
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, rgb: Tensor, layers: Iterable[str] = PERCEPTUAL_LAYERS) -> dict[str, Tensor]:
        """Activations of the named layers for RGB input (ImageNet normalisation applied here).

        Args:
            rgb: (N, 3, H, W) in [0, 1].
            layers: names such as "relu2_2"; the pass stops after the deepest one.

        Returns:
            {name: (N, C, H / 2**k, W / 2**k)} in the order of ``layers``.
        """
        wanted = list(layers)
        unknown = [name for name in wanted if name not in self.layer_names]
        if unknown:
            raise ValueError(f"unknown VGG layers {unknown}; known: {', '.join(self.layer_names)}")
        last = max(self.layer_names.index(name) for name in wanted)
        found: dict[str, Tensor] = {}
        x = imagenet_normalise(rgb)
        for name, layer in zip(self.layer_names[: last + 1], self.features):
            # In-place ReLUs would overwrite a conv output we were asked for.
            x = layer(x.clone()) if name.startswith("relu") and f"conv{name[4:]}" in wanted else layer(x)
            if name in wanted:
                found[name] = x
        return {name: found[name] for name in wanted}


def vgg16() -> VGGFeatures:
    """VGG-16 feature stack (configuration "D") with random weights."""
    return VGGFeatures(CONFIGS["vgg16"])


def vgg19() -> VGGFeatures:
    """VGG-19 feature stack (configuration "E") with random weights."""
    return VGGFeatures(CONFIGS["vgg19"])


_CLASSIFIER_KEYS = {f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")}


def from_torchvision_vgg(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Keep the conv layers of a torchvision VGG file, dropping its ImageNet classifier.

    Perceptual losses only read conv activations, and the three fully
    connected layers are 90 % of the file (about 120 M parameters). Exactly
    the six classifier tensors are dropped; anything else unexpected stays
    and makes the strict load fail.

    Before (vgg16-397923af.pth, 32 keys)::

        features.0.weight  (64, 3, 3, 3)      features.0.bias  (64,)
        ...
        features.28.weight (512, 512, 3, 3)   features.28.bias (512,)
        classifier.0.weight (4096, 25088)     classifier.0.bias (4096,)
        classifier.3.weight (4096, 4096)      classifier.3.bias (4096,)
        classifier.6.weight (1000, 4096)      classifier.6.bias (1000,)

    After (26 keys): the ``features.*`` keys, unchanged.
    """
    return {k: v for k, v in state_dict.items() if k not in _CLASSIFIER_KEYS}


# ---------------------------------------------------------------------------
# pytorch-AdaIN's normalised VGG-19

# Index in the official Sequential of the ReLU that ends each encoder stage,
# as pytorch-AdaIN's Net slices it: [:4] relu1_1, [4:11] relu2_1,
# [11:18] relu3_1, [18:31] relu4_1.
ADAIN_STAGES = {"relu1_1": 3, "relu2_1": 10, "relu3_1": 17, "relu4_1": 30}

# (channels, convs) per block of the official file, relu1_1 ... relu5_4.
_NORMALISED_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def _normalised_vgg19_layers(upto: int) -> list[nn.Module]:
    """The official Sequential's layers 0 .. ``upto`` (inclusive)."""
    layers: list[nn.Module] = [nn.Conv2d(3, 3, kernel_size=1)]
    in_channels = 3
    for block, (channels, convs) in enumerate(_NORMALISED_BLOCKS):
        if block:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True))
        for _ in range(convs):
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(in_channels, channels, kernel_size=3), nn.ReLU(inplace=True)]
            in_channels = channels
    return layers[: upto + 1]


# Layers the full official file has: 0 .. 52 (relu5_4).
NORMALISED_VGG19_LENGTH = len(_normalised_vgg19_layers(10_000))


class NormalisedVGG19(nn.Sequential):
    """pytorch-AdaIN's ``vgg_normalised.pth`` up to relu4_1 (official layers 0..30).

    Keys are the official Sequential indices (``0.weight`` is the 1x1 input
    conv, ``2.weight`` conv1_1 ... ``29.weight`` conv4_1). Input: RGB in
    [0, 1] (the 1x1 conv does the Caffe preprocessing). Pools use
    ``ceil_mode``, so an H x W input gives relu4_1 features of
    ceil(ceil(ceil(H/2)/2)/2) rows.
    """

    def __init__(self) -> None:
        super().__init__(*_normalised_vgg19_layers(ADAIN_STAGES["relu4_1"]))
        for module in self:
            if isinstance(module, nn.Conv2d):  # keeps random encoders' activations alive (--random-vgg)
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def stages(self, rgb: Tensor) -> dict[str, Tensor]:
        """relu1_1, relu2_1, relu3_1 and relu4_1 of ``rgb`` (N, 3, H, W) in [0, 1]."""
        found: dict[str, Tensor] = {}
        x = rgb
        ends = {index: name for name, index in ADAIN_STAGES.items()}
        for index, layer in enumerate(self):
            x = layer(x)  # a stage ends on a ReLU followed by a pad, so in-place ReLUs never touch it
            if index in ends:
                found[ends[index]] = x
        return found

    def encode(self, rgb: Tensor) -> Tensor:
        """relu4_1 features: (N, 512, ~H/8, ~W/8) of ``rgb`` (N, 3, H, W) in [0, 1]."""
        return super().forward(rgb)

    forward = encode


def from_official_vgg_normalised(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Cut the full ``vgg_normalised.pth`` to relu4_1, as pytorch-AdaIN's ``vgg[:31]`` does.

    Exactly the convs after layer 30 (conv4_2 ... conv5_4) are dropped; a
    file already cut at relu4_1 passes through unchanged.

    Before (34 keys)::

        0.weight (3, 3, 1, 1)   2.weight (64, 3, 3, 3)   5.weight (64, 64, 3, 3) ...
        29.weight (512, 256, 3, 3)   32.weight (512, 512, 3, 3) ... 51.weight (512, 512, 3, 3)

    After (20 keys): ``0.*`` ... ``29.*``.
    """
    full = nn.Sequential(*_normalised_vgg19_layers(NORMALISED_VGG19_LENGTH - 1))
    beyond = {k for k in full.state_dict() if int(k.split(".")[0]) > ADAIN_STAGES["relu4_1"]}
    return {k: v for k, v in state_dict.items() if k not in beyond}


def normalised_vgg19() -> NormalisedVGG19:
    """The AdaIN encoder (normalised VGG-19 to relu4_1) with random weights."""
    return NormalisedVGG19()


def build(spec) -> VGGFeatures:
    """The registry's entry point: a random-weight VGG feature stack for ``spec.arch``."""
    builders = {"vgg16": vgg16, "vgg19": vgg19}
    if spec.arch not in builders:
        from ..errors import InferenceError

        raise InferenceError(f"No VGG network called {spec.arch!r}.")
    return builders[spec.arch]()


def from_state_dict(spec, state_dict: Mapping[str, Tensor]) -> VGGFeatures:
    """A VGG feature stack holding a torchvision file's conv weights (strict load)."""
    from ..checkpoints import load_strict

    return load_strict(build(spec), from_torchvision_vgg(state_dict))


def gram_matrix(features: Tensor) -> Tensor:
    """Gram matrix of feature maps, normalised by their size (Johnson et al. 2016).

    Args:
        features: (N, C, H, W).

    Returns:
        (N, C, C) ``F F^T / (C H W)`` with F the (N, C, H*W) flattened features.
    """
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)
