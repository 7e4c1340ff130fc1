"""The key layouts of the published style transfer files, written down from the official layer lists.

Built from the facts of pytorch/examples' fast_neural_style
``transformer_net.py``, naoto0804/pytorch-AdaIN's ``net.py`` and
torchvision's ``vgg.py`` (layer order, Sequential indices, channel counts),
NOT from Atelier's own modules, so a test loading these dicts checks our
nets against the official layouts rather than against themselves. Each
module also has a functional forward pass written from the same facts, to
check that loaded nets compute what the official code computes.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# fast_neural_style TransformerNet: (prefix, in, out, kernel) per conv, in registration order

FNS_CONVS = [("conv1", 3, 32, 9), ("conv2", 32, 64, 3), ("conv3", 64, 128, 3)]
FNS_NORMS = {"in1": 32, "in2": 64, "in3": 128, "in4": 64, "in5": 32}


def fast_neural_style_state_dict(*, seed: int, running_stats: bool = False, n_rows: int | None = None) -> OrderedDict:
    """An official TransformerNet state dict with random values.

    Args:
        running_stats: add ``running_mean``/``running_var`` to every norm, as
            files saved with PyTorch 0.3 have.
        n_rows: give every norm an (n_rows, C) table instead of (C,): the
            multi-style layout (n_rows = styles + identity).
    """
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict = OrderedDict()

    def conv(prefix: str, c_in: int, c_out: int, k: int) -> None:
        sd[f"{prefix}.conv2d.weight"] = torch.randn(c_out, c_in, k, k, generator=g) * (2.0 / (c_in * k * k)) ** 0.5
        sd[f"{prefix}.conv2d.bias"] = torch.randn(c_out, generator=g) * 0.1

    def norm(prefix: str, c: int) -> None:
        shape = (c,) if n_rows is None else (n_rows, c)
        sd[f"{prefix}.weight"] = 1.0 + 0.3 * torch.randn(*shape, generator=g)
        sd[f"{prefix}.bias"] = 0.3 * torch.randn(*shape, generator=g)
        if running_stats:
            sd[f"{prefix}.running_mean"] = torch.randn(c, generator=g)
            sd[f"{prefix}.running_var"] = torch.rand(c, generator=g) + 0.5

    conv("conv1", 3, 32, 9); norm("in1", 32)
    conv("conv2", 32, 64, 3); norm("in2", 64)
    conv("conv3", 64, 128, 3); norm("in3", 128)
    for i in range(1, 6):
        conv(f"res{i}.conv1", 128, 128, 3); norm(f"res{i}.in1", 128)
        conv(f"res{i}.conv2", 128, 128, 3); norm(f"res{i}.in2", 128)
    conv("deconv1", 128, 64, 3); norm("in4", 64)
    conv("deconv2", 64, 32, 3); norm("in5", 32)
    conv("deconv3", 32, 3, 9)
    return sd


def fast_neural_style_forward(sd, x: torch.Tensor, row: int | None = None) -> torch.Tensor:
    """The official forward pass, functionally: x (N, 3, H, W) in [0, 255] -> (N, 3, H, W).

    ``row`` picks one row of multi-style tables (the net a one-hot blend should equal).
    """

    def conv(prefix, y, k, stride=1, upsample=False):
        if upsample:
            y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = F.pad(y, [k // 2] * 4, mode="reflect")
        return F.conv2d(y, sd[f"{prefix}.conv2d.weight"], sd[f"{prefix}.conv2d.bias"], stride)

    def norm(prefix, y):
        w, b = sd[f"{prefix}.weight"], sd[f"{prefix}.bias"]
        if row is not None:
            w, b = w[row], b[row]
        return F.instance_norm(y, weight=w, bias=b, eps=1e-5)

    y = F.relu(norm("in1", conv("conv1", x, 9)))
    y = F.relu(norm("in2", conv("conv2", y, 3, 2)))
    y = F.relu(norm("in3", conv("conv3", y, 3, 2)))
    for i in range(1, 6):
        r = F.relu(norm(f"res{i}.in1", conv(f"res{i}.conv1", y, 3)))
        y = y + norm(f"res{i}.in2", conv(f"res{i}.conv2", r, 3))
    y = F.relu(norm("in4", conv("deconv1", y, 3, upsample=True)))
    y = F.relu(norm("in5", conv("deconv2", y, 3, upsample=True)))
    return conv("deconv3", y, 9)


# ---------------------------------------------------------------------------
# pytorch-AdaIN: Sequential index -> (in, out, kernel) of each conv

ADAIN_DECODER_CONVS = {
    1: (512, 256), 5: (256, 256), 8: (256, 256), 11: (256, 256), 14: (256, 128),
    18: (128, 128), 21: (128, 64), 25: (64, 64), 28: (64, 3),
}
ADAIN_DECODER_UPSAMPLES = (3, 16, 23)  # UpsamplingNearest2d(scale_factor=2) indices
ADAIN_DECODER_LENGTH = 29

# vgg_normalised.pth, all 53 layers; index 0 is the 1x1 conv 3 -> 3.
VGG_NORMALISED_CONVS = {
    0: (3, 3, 1), 2: (3, 64, 3), 5: (64, 64, 3),
    9: (64, 128, 3), 12: (128, 128, 3),
    16: (128, 256, 3), 19: (256, 256, 3), 22: (256, 256, 3), 25: (256, 256, 3),
    29: (256, 512, 3), 32: (512, 512, 3), 35: (512, 512, 3), 38: (512, 512, 3),
    42: (512, 512, 3), 45: (512, 512, 3), 48: (512, 512, 3), 51: (512, 512, 3),
}
VGG_NORMALISED_POOLS = (7, 14, 27, 40)  # MaxPool2d(2, 2, 0, ceil_mode=True)
RELU4_1 = 30  # pytorch-AdaIN keeps vgg[:31]


def adain_decoder_state_dict(*, seed: int) -> OrderedDict:
    """An official ``decoder.pth`` state dict with random values."""
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict = OrderedDict()
    for index, (c_in, c_out) in ADAIN_DECODER_CONVS.items():
        sd[f"{index}.weight"] = torch.randn(c_out, c_in, 3, 3, generator=g) * (2.0 / (9 * c_in)) ** 0.5
        sd[f"{index}.bias"] = torch.randn(c_out, generator=g) * 0.05
    return sd


def vgg_normalised_state_dict(*, seed: int) -> OrderedDict:
    """An official ``vgg_normalised.pth`` state dict (all 17 convs, up to relu5_4).

    Layers beyond relu4_1 are stride-0 views of one zero (exact key names and
    shapes, tiny file): AdaIN never uses them.
    """
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict = OrderedDict()
    for index, (c_in, c_out, k) in VGG_NORMALISED_CONVS.items():
        if index > RELU4_1:
            sd[f"{index}.weight"] = torch.zeros(1).expand(c_out, c_in, k, k)
            sd[f"{index}.bias"] = torch.zeros(1).expand(c_out)
            continue
        sd[f"{index}.weight"] = torch.randn(c_out, c_in, k, k, generator=g) * (2.0 / (k * k * c_in)) ** 0.5
        sd[f"{index}.bias"] = torch.randn(c_out, generator=g) * 0.05
    return sd


def vgg_normalised_relu4_1(sd, x: torch.Tensor) -> torch.Tensor:
    """pytorch-AdaIN's ``vgg[:31]`` functionally: RGB (N, 3, H, W) in [0, 1] -> relu4_1."""
    y = F.conv2d(x, sd["0.weight"], sd["0.bias"])
    for index in range(1, RELU4_1 + 1):
        if index in VGG_NORMALISED_POOLS:
            y = F.max_pool2d(y, 2, 2, 0, ceil_mode=True)
        elif index in VGG_NORMALISED_CONVS:
            y = F.relu(F.conv2d(F.pad(y, [1] * 4, mode="reflect"), sd[f"{index}.weight"], sd[f"{index}.bias"]))
    return y


def adain_decoder_forward(sd, t: torch.Tensor) -> torch.Tensor:
    """pytorch-AdaIN's decoder functionally: (N, 512, h, w) -> (N, 3, 8h, 8w)."""
    y = t
    last = max(ADAIN_DECODER_CONVS)
    for index in range(ADAIN_DECODER_LENGTH):
        if index in ADAIN_DECODER_UPSAMPLES:
            y = F.interpolate(y, scale_factor=2, mode="nearest")
        elif index in ADAIN_DECODER_CONVS:
            y = F.conv2d(F.pad(y, [1] * 4, mode="reflect"), sd[f"{index}.weight"], sd[f"{index}.bias"])
            if index != last:
                y = F.relu(y)
    return y


# ---------------------------------------------------------------------------
# torchvision VGG-16 ("D"): features index -> (in, out); classifier Linear layers

TORCHVISION_VGG16_CONVS = {
    0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128),
    10: (128, 256), 12: (256, 256), 14: (256, 256),
    17: (256, 512), 19: (512, 512), 21: (512, 512),
    24: (512, 512), 26: (512, 512), 28: (512, 512),
}
TORCHVISION_VGG16_POOLS = (4, 9, 16, 23, 30)
TORCHVISION_CLASSIFIER = {0: (25088, 4096), 3: (4096, 4096), 6: (4096, 1000)}
# relu names -> features index, as fast_neural_style's Vgg16 slices them ([0:4], [4:9], [9:16], [16:23]).
TORCHVISION_VGG16_RELUS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}


def torchvision_vgg16_state_dict(*, seed: int) -> OrderedDict:
    """A ``vgg16-397923af.pth``-layout state dict: random convs, classifier as stride-0 zeros (tiny file)."""
    g = torch.Generator().manual_seed(seed)
    sd: OrderedDict = OrderedDict()
    for index, (c_in, c_out) in TORCHVISION_VGG16_CONVS.items():
        sd[f"features.{index}.weight"] = torch.randn(c_out, c_in, 3, 3, generator=g) * (2.0 / (9 * c_in)) ** 0.5
        sd[f"features.{index}.bias"] = torch.randn(c_out, generator=g) * 0.05
    for index, (c_in, c_out) in TORCHVISION_CLASSIFIER.items():
        sd[f"classifier.{index}.weight"] = torch.zeros(1).expand(c_out, c_in)
        sd[f"classifier.{index}.bias"] = torch.zeros(1).expand(c_out)
    return sd


def torchvision_vgg16_activations(sd, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The torchvision features up to relu4_3, functionally, after ImageNet normalisation."""
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    y = (rgb - mean) / std
    found = {}
    wanted = {index: name for name, index in TORCHVISION_VGG16_RELUS.items()}
    for index in range(max(wanted) + 1):
        if index in TORCHVISION_VGG16_POOLS:
            y = F.max_pool2d(y, 2, 2)
        elif index in TORCHVISION_VGG16_CONVS:
            y = F.conv2d(y, sd[f"features.{index}.weight"], sd[f"features.{index}.bias"], padding=1)
        else:
            y = F.relu(y)
        if index in wanted:
            found[wanted[index]] = y
    return found


def save(sd, path, *, legacy: bool = False) -> None:
    """torch.save ``sd`` to ``path`` (legacy: the pre-zip format of old releases)."""
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
