"""RRDBNet, the generator of ESRGAN (Wang et al. 2018) and Real-ESRGAN (Wang et al. 2021), in BasicSR's layout.

Structure: ``conv_first`` -> ``body`` (``num_block`` RRDBs) -> ``conv_body``,
plus a long skip from ``conv_first``; then two nearest-neighbour x2
upsamplings, each followed by a conv (``conv_up1``, ``conv_up2``) and a
LeakyReLU(0.2); then ``conv_hr`` + LeakyReLU and ``conv_last``. An RRDB is
three residual dense blocks (five 3x3 convs, each seeing the block input and
all earlier outputs, ``num_grow_ch`` new channels each, output scaled by 0.2
and added to the input), itself scaled by 0.2 and added to its input.

The trunk always upsamples x4; a x2 (x1) model first pixel-unshuffles its
input by 2 (4), so ``conv_first`` sees ``in_nc * 4`` (``in_nc * 16``)
channels. Our module names are BasicSR's, so Real-ESRGAN's files load after
unwrapping ``params_ema``; the older ESRGAN namings are remapped by
:func:`from_esrgan` and :func:`from_esrgan_2018`, and :func:`from_checkpoint`
detects the naming, scale and sizes of any of them. :func:`build` and
:func:`from_state_dict` (``arch`` "rrdbnet_x4" / "rrdbnet_x2") are the
registry's hooks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# conv_first input channels per unshuffle: scale 4 -> none, 2 -> x4 channels, 1 -> x16 channels.
_UNSHUFFLE = {4: 1, 2: 2, 1: 4}


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; ``x + 0.2 * conv5(...)``: (N, num_feat, H, W) -> same."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            features.append(F.leaky_relu(conv(torch.cat(features, 1)), 0.2))
        return x + 0.2 * self.conv5(torch.cat(features, 1))


class RRDB(nn.Module):
    """Residual in residual dense block: three dense blocks, ``x + 0.2 * rdb3(rdb2(rdb1(x)))``."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: Tensor) -> Tensor:
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """The RRDBNet generator.

    Args:
        in_nc, out_nc: image channels in and out (3 for RGB).
        num_feat: trunk features (64 in every published model).
        num_block: RRDBs in the trunk (23 for ESRGAN and Real-ESRGAN x4plus/x2plus, 6 for the anime model).
        num_grow_ch: growth channels of a dense block (32).
        scale: 4, 2 or 1; below 4 the input is pixel-unshuffled first.

    Input (N, in_nc, H, W) in [0, 1] (H, W multiples of ``4 // scale``);
    output (N, out_nc, H * scale, W * scale), roughly in [0, 1] (not clamped).
    """

    def __init__(self, in_nc: int = 3, out_nc: int = 3, num_feat: int = 64, num_block: int = 23,
                 num_grow_ch: int = 32, scale: int = 4) -> None:
        super().__init__()
        if scale not in _UNSHUFFLE:
            raise ValueError(f"scale must be 4, 2 or 1, got {scale}")
        self.scale = scale
        self.unshuffle = _UNSHUFFLE[scale]
        self.conv_first = nn.Conv2d(in_nc * self.unshuffle ** 2, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(num_feat, num_grow_ch) for _ in range(num_block)))
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, out_nc, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = F.leaky_relu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        feat = F.leaky_relu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2))


# -- foreign layouts ------------------------------------------------------------------------------

LAYOUTS = ("basicsr", "esrgan", "esrgan-2018")

_ESRGAN_NAMES = {"trunk_conv": "conv_body", "upconv1": "conv_up1", "upconv2": "conv_up2", "HRconv": "conv_hr"}
_ESRGAN_BLOCK = re.compile(r"^RRDB_trunk\.(\d+)\.RDB([123])\.conv([1-5])\.(weight|bias)$")
# The 2018 nn.Sequential: 0 conv_first, 1 shortcut(sub = RRDBs then the trunk conv), 2 upsample, 3 conv_up1,
# 4 lrelu, 5 upsample, 6 conv_up2, 7 lrelu, 8 conv_hr, 9 lrelu, 10 conv_last.
_ESRGAN_2018_NAMES = {"model.0": "conv_first", "model.3": "conv_up1", "model.6": "conv_up2", "model.8": "conv_hr",
                      "model.10": "conv_last"}
_ESRGAN_2018_BLOCK = re.compile(r"^model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias)$")
_ESRGAN_2018_TRUNK = re.compile(r"^model\.1\.sub\.(\d+)\.(weight|bias)$")


def _strip_module_prefix(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Drop the ``module.`` prefix that ``nn.DataParallel`` checkpoints carry."""
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict.items()}


def from_basicsr(checkpoint: Mapping[str, object]) -> dict[str, Tensor]:
    """Real-ESRGAN / BasicSR file -> our keys (the same names; only the wrapper goes).

    ``{"params_ema": {"conv_first.weight", "body.0.rdb1.conv1.weight", ..., "conv_body.weight",
    "conv_up1.weight", "conv_up2.weight", "conv_hr.weight", "conv_last.weight"}}`` (``params_ema``,
    else ``params``, else the plain dict) -> ``{"conv_first.weight", "body.0.rdb1.conv1.weight", ...}``.
    """
    for wrapper in ("params_ema", "params"):
        if isinstance(checkpoint.get(wrapper), Mapping):
            checkpoint = checkpoint[wrapper]
            break
    return _strip_module_prefix(checkpoint)  # type: ignore[arg-type]


def from_esrgan(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """ESRGAN release (``RRDB_ESRGAN_x4.pth`` after Sept. 2019) -> our keys.

    ``conv_first.weight`` -> ``conv_first.weight``,
    ``RRDB_trunk.7.RDB2.conv4.bias`` -> ``body.7.rdb2.conv4.bias``,
    ``trunk_conv.weight`` -> ``conv_body.weight``, ``upconv1.weight`` -> ``conv_up1.weight``,
    ``upconv2.weight`` -> ``conv_up2.weight``, ``HRconv.weight`` -> ``conv_hr.weight``,
    ``conv_last.weight`` -> ``conv_last.weight``.
    """
    out = {}
    for key, value in _strip_module_prefix(state_dict).items():
        block = _ESRGAN_BLOCK.match(key)
        if block:
            n, k, j, kind = block.groups()
            out[f"body.{n}.rdb{k}.conv{j}.{kind}"] = value
            continue
        layer, _, kind = key.rpartition(".")
        out[f"{_ESRGAN_NAMES.get(layer, layer)}.{kind}"] = value
    return out


def from_esrgan_2018(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """ESRGAN's first release (the old BasicSR ``nn.Sequential``, 2018) -> our keys.

    ``model.0.weight`` -> ``conv_first.weight``,
    ``model.1.sub.7.RDB2.conv4.0.bias`` -> ``body.7.rdb2.conv4.bias``,
    ``model.1.sub.23.weight`` (the index after the last RRDB) -> ``conv_body.weight``,
    ``model.3.weight`` -> ``conv_up1.weight``, ``model.6.weight`` -> ``conv_up2.weight``,
    ``model.8.weight`` -> ``conv_hr.weight``, ``model.10.weight`` -> ``conv_last.weight``.
    """
    out = {}
    for key, value in _strip_module_prefix(state_dict).items():
        block = _ESRGAN_2018_BLOCK.match(key)
        trunk = _ESRGAN_2018_TRUNK.match(key)
        if block:
            n, k, j, kind = block.groups()
            out[f"body.{n}.rdb{k}.conv{j}.{kind}"] = value
        elif trunk:
            out[f"conv_body.{trunk.group(2)}"] = value
        else:
            layer, _, kind = key.rpartition(".")
            out[f"{_ESRGAN_2018_NAMES.get(layer, layer)}.{kind}"] = value
    return out


def detect_layout(checkpoint: Mapping[str, object]) -> str:
    """Which naming a checkpoint uses: one of :data:`LAYOUTS`; ValueError when it is no RRDBNet."""
    keys = set(from_basicsr(checkpoint))
    if "conv_first.weight" in keys and any(k.startswith("body.") for k in keys):
        return "basicsr"
    if "conv_first.weight" in keys and any(k.startswith("RRDB_trunk.") for k in keys):
        return "esrgan"
    if "model.0.weight" in keys and any(k.startswith("model.1.sub.") for k in keys):
        return "esrgan-2018"
    raise ValueError("not an RRDBNet checkpoint: expected BasicSR, ESRGAN or 2018 ESRGAN key names")


_TO_OURS = {"basicsr": lambda sd: sd, "esrgan": from_esrgan, "esrgan-2018": from_esrgan_2018}


def to_our_keys(checkpoint: Mapping[str, object]) -> dict[str, Tensor]:
    """Any supported checkpoint (wrapped or not, any naming) -> a state dict with our keys."""
    return _TO_OURS[detect_layout(checkpoint)](from_basicsr(checkpoint))


def config_from_state_dict(state_dict: Mapping[str, Tensor]) -> dict[str, int]:
    """Constructor arguments of :class:`RRDBNet` read from tensor shapes (our keys).

    ``conv_first.weight`` is (num_feat, in_nc * u^2, 3, 3) with u = 1, 2, 4 for
    scale 4, 2, 1; ``conv_last.weight`` is (out_nc, num_feat, 3, 3);
    ``body.0.rdb1.conv1.weight`` is (num_grow_ch, num_feat, 3, 3).
    """
    num_feat, first_in = state_dict["conv_first.weight"].shape[:2]
    out_nc = state_dict["conv_last.weight"].shape[0]
    blocks = {int(k.split(".")[1]) for k in state_dict if k.startswith("body.")}
    if blocks != set(range(len(blocks))) or not blocks:
        raise ValueError("the RRDB blocks of this checkpoint are not numbered 0..n-1")
    # Unshuffled inputs have 4x or 16x the image channels; the output has the image's.
    for scale, unshuffle in _UNSHUFFLE.items():
        if first_in == out_nc * unshuffle ** 2:
            break
    else:
        raise ValueError(f"conv_first takes {first_in} channels: not 1, 4 or 16 times the {out_nc} output channels")
    return {"in_nc": first_in // unshuffle ** 2, "out_nc": int(out_nc), "num_feat": int(num_feat),
            "num_block": len(blocks), "num_grow_ch": int(state_dict["body.0.rdb1.conv1.weight"].shape[0]),
            "scale": scale}


def from_checkpoint(checkpoint: Mapping[str, object]) -> RRDBNet:
    """Build an :class:`RRDBNet` for any supported checkpoint and load it strictly.

    Args:
        checkpoint: what ``torch.load(path, weights_only=True)`` returned for a
            Real-ESRGAN/BasicSR file (``params_ema``/``params`` or plain), an
            ESRGAN release file or a 2018 ESRGAN file.

    Returns:
        The network in eval mode; its ``scale`` attribute says the output scale
        (x2 when conv_first takes 12 channels, x4 when it takes 3).

    Raises:
        ValueError: not an RRDBNet checkpoint in any of the three namings.
    """
    state_dict = to_our_keys(checkpoint)
    net = RRDBNet(**config_from_state_dict(state_dict))
    net.load_state_dict(state_dict, strict=True)
    return net.eval()


# -- registry hooks -------------------------------------------------------------------------------


def _sizes(spec) -> dict[str, int]:
    options = getattr(spec, "options", None) or {}
    return {key: int(options[key]) for key in ("num_feat", "num_block", "num_grow_ch") if key in options}


def rrdbnet_x4(spec) -> RRDBNet:
    """Real-ESRGAN x4plus / ESRGAN: 23 RRDBs of 64 features (or ``spec.options``' sizes), x4."""
    return RRDBNet(**_sizes(spec), scale=4)


def rrdbnet_x2(spec) -> RRDBNet:
    """Real-ESRGAN x2plus: the x4 trunk after a pixel unshuffle by 2."""
    return RRDBNet(**_sizes(spec), scale=2)


ARCHITECTURES = {"rrdbnet_x4": rrdbnet_x4, "rrdbnet_x2": rrdbnet_x2}
SCALE_ARCH = {4: "rrdbnet_x4", 2: "rrdbnet_x2"}


def build(spec) -> RRDBNet:
    """The registry's entry point: the RRDBNet ``spec.arch`` names, random weights."""
    from ..errors import InferenceError

    if spec.arch not in ARCHITECTURES:
        raise InferenceError(f"No RRDBNet called {spec.arch!r}; known: {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[spec.arch](spec)


def arch_of(checkpoint: Mapping[str, object]) -> str:
    """The ``arch`` a checkpoint in any naming needs ("rrdbnet_x4" or "rrdbnet_x2"); ValueError if none."""
    scale = config_from_state_dict(to_our_keys(checkpoint))["scale"]
    if scale not in SCALE_ARCH:
        raise ValueError(f"an x{scale} RRDBNet, where Atelier runs x4 and x2 ones")
    return SCALE_ARCH[scale]


def from_state_dict(spec, state_dict: Mapping[str, Tensor]) -> RRDBNet:
    """The registry's loader: any of the three namings, sizes read from the tensors, loaded strictly.

    The number of blocks and the widths follow the file (the 6-block anime
    model loads too); its scale must be the one ``spec.arch`` names.

    Raises:
        CheckpointError: not an RRDBNet checkpoint, another scale, or shapes that do not fit.
    """
    from ..checkpoints import load_strict
    from ..errors import CheckpointError

    try:
        ours = to_our_keys(state_dict)
        config = config_from_state_dict(ours)
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"These weights are not an RRDBNet (ESRGAN / Real-ESRGAN) checkpoint: {exc}.") from None
    wanted = SCALE_ARCH.get(config["scale"])
    if spec.arch in ARCHITECTURES and wanted != spec.arch:
        raise CheckpointError(
            f"These weights are an x{config['scale']} RRDBNet, but {spec.title} is {spec.arch.replace('rrdbnet_', '')}."
        )
    return load_strict(RRDBNet(**config), ours).eval()
