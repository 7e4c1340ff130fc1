"""ECCV16 and SIGGRAPH17 compute what the official models compute, checked against a forward written here.

The reference below is plain ``torch.nn.functional`` driven by the official
state-dict keys (``model1.0.weight`` ... ``model_out.weight``) and the
official forward passes (richzhang/colorization ``colorizers/eccv16.py`` and
``siggraph17.py``; the classification head as colorization-pytorch's
SIGGRAPHGenerator returns it). It uses none of Atelier's modules, so a wrong
layer order, stride, dilation, padding, skip or normalisation constant in
``inference.nets.colorization`` makes it fail.
"""

import pytest
import torch
import torch.nn.functional as F

from inference.nets.colorization import SIGGRAPH17Colorizer
from inference.registry import get_spec, net_from_state_dict
from official_colorization_keys import ECCV16_LAYERS, SIGGRAPH17_LAYERS, official_state_dict
from torch_threads import one_torch_thread  # noqa: F401

L_CENT, L_NORM, AB_NORM = 50.0, 100.0, 110.0  # BaseColor of the official code


def _conv(sd, prefix, x, *, stride=1, dilation=1, padding=None):
    weight = sd[f"{prefix}.weight"]
    if padding is None:
        padding = dilation * (weight.shape[-1] // 2)
    return F.conv2d(x, weight, sd.get(f"{prefix}.bias"), stride=stride, padding=padding, dilation=dilation)


def _up(sd, prefix, x):
    return F.conv_transpose2d(x, sd[f"{prefix}.weight"], sd[f"{prefix}.bias"], stride=2, padding=1)


def _bn(sd, prefix, x):
    return F.batch_norm(x, sd[f"{prefix}.running_mean"], sd[f"{prefix}.running_var"], sd[f"{prefix}.weight"],
                        sd[f"{prefix}.bias"], training=False, eps=1e-5)


def _encoder_block(sd, name, x, convs, *, stride_last=1, dilation=1):
    """`convs` x (3x3 conv + ReLU) at indices 0, 2, 4, ..., then BatchNorm at index 2 * convs."""
    for i in range(convs):
        stride = stride_last if i == convs - 1 else 1
        x = F.relu(_conv(sd, f"{name}.{2 * i}", x, stride=stride, dilation=dilation))
    return _bn(sd, f"{name}.{2 * convs}", x)


def eccv16_reference(sd, l):
    x = (l - L_CENT) / L_NORM
    x = _encoder_block(sd, "model1", x, 2, stride_last=2)
    x = _encoder_block(sd, "model2", x, 2, stride_last=2)
    x = _encoder_block(sd, "model3", x, 3, stride_last=2)
    x = _encoder_block(sd, "model4", x, 3)
    x = _encoder_block(sd, "model5", x, 3, dilation=2)
    x = _encoder_block(sd, "model6", x, 3, dilation=2)
    x = _encoder_block(sd, "model7", x, 3)
    x = F.relu(_up(sd, "model8.0", x))
    x = F.relu(_conv(sd, "model8.2", x))
    x = F.relu(_conv(sd, "model8.4", x))
    logits = _conv(sd, "model8.6", x)  # (N, 313, H/4, W/4)
    ab = F.conv2d(F.softmax(logits, dim=1), sd["model_out.weight"])  # expectation over the bin centres
    return F.interpolate(ab, scale_factor=4, mode="bilinear", align_corners=False) * AB_NORM


def siggraph17_reference(sd, l, ab_hint, mask):
    """(class logits (N, 529, H/4, W/4), regression in [-1, 1] (N, 2, H, W))."""
    x = torch.cat(((l - L_CENT) / L_NORM, ab_hint / AB_NORM, mask), dim=1)
    conv1_2 = _encoder_block(sd, "model1", x, 2)
    conv2_2 = _encoder_block(sd, "model2", conv1_2[:, :, ::2, ::2], 2)
    conv3_3 = _encoder_block(sd, "model3", conv2_2[:, :, ::2, ::2], 3)
    conv4_3 = _encoder_block(sd, "model4", conv3_3[:, :, ::2, ::2], 3)
    conv5_3 = _encoder_block(sd, "model5", conv4_3, 3, dilation=2)
    conv6_3 = _encoder_block(sd, "model6", conv5_3, 3, dilation=2)
    conv7_3 = _encoder_block(sd, "model7", conv6_3, 3)

    conv8_up = _up(sd, "model8up.0", conv7_3) + _conv(sd, "model3short8.0", conv3_3)
    x = F.relu(_conv(sd, "model8.1", F.relu(conv8_up)))
    conv8_3 = _bn(sd, "model8.5", F.relu(_conv(sd, "model8.3", x)))

    conv9_up = _up(sd, "model9up.0", conv8_3) + _conv(sd, "model2short9.0", conv2_2)
    conv9_3 = _bn(sd, "model9.3", F.relu(_conv(sd, "model9.1", F.relu(conv9_up))))

    conv10_up = _up(sd, "model10up.0", conv9_3) + _conv(sd, "model1short10.0", conv1_2)
    conv10_2 = F.leaky_relu(_conv(sd, "model10.1", F.relu(conv10_up)), 0.2)

    out_class = _conv(sd, "model_class.0", conv8_3)
    out_reg = torch.tanh(_conv(sd, "model_out.0", conv10_2))
    return out_class, out_reg


def _lightness(n=2, height=32, width=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0, 100, width).expand(n, 1, height, width)
    return (0.6 * ramp + 40 * torch.rand(n, 1, height, width, generator=g)).clamp(0, 100)


def _hints(l):
    """A few 3x3 hint patches per image, different colours per image, and their mask."""
    n, _, height, width = l.shape
    ab = torch.zeros(n, 2, height, width)
    mask = torch.zeros(n, 1, height, width)
    spots = [((4, 7), (60.0, -40.0)), ((20, 30), (-30.0, 75.0)), ((12, 40), (10.0, 10.0))]
    for i in range(n):
        for (row, col), colour in spots[: i + 2]:
            ab[i, :, row - 1:row + 2, col - 1:col + 2] = torch.tensor(colour).view(2, 1, 1) * (1 - 0.5 * i)
            mask[i, :, row - 1:row + 2, col - 1:col + 2] = 1.0
    return ab, mask


@pytest.fixture(scope="module")
def eccv16_weights():
    return official_state_dict(ECCV16_LAYERS, seed=31)


@pytest.fixture(scope="module")
def siggraph17_weights():
    return official_state_dict(SIGGRAPH17_LAYERS, seed=32)


def test_eccv16_forward_equals_the_reference(eccv16_weights):
    net = net_from_state_dict(get_spec("eccv16"), eccv16_weights).eval()
    l = _lightness()
    with torch.no_grad():
        ours = net(l)
    expected = eccv16_reference(eccv16_weights, l)
    assert ours.shape == (2, 2, 32, 48)
    assert expected.abs().max() > 5  # a real colour prediction, not a near-zero one
    assert torch.allclose(ours, expected, atol=1e-3, rtol=1e-4), (ours - expected).abs().max()


def test_siggraph17_forward_with_hints_equals_the_reference(siggraph17_weights):
    net = net_from_state_dict(get_spec("siggraph17"), siggraph17_weights).eval()
    l = _lightness(seed=1)
    ab_hint, mask = _hints(l)
    with torch.no_grad():
        ours = net(l, ab_hint, mask)
        without = net(l)
    _, regression = siggraph17_reference(siggraph17_weights, l, ab_hint, mask)
    assert torch.allclose(ours, regression * AB_NORM, atol=1e-3, rtol=1e-4), (ours - regression * AB_NORM).abs().max()

    # No hints given means zero hint planes and an empty mask, and the hints do change the result.
    _, bare = siggraph17_reference(siggraph17_weights, l, torch.zeros_like(ab_hint), torch.zeros_like(mask))
    assert torch.allclose(without, bare * AB_NORM, atol=1e-3, rtol=1e-4)
    assert (ours - without).abs().max() > 1.0


def test_siggraph17_heads_equal_the_official_classification_and_regression(siggraph17_weights):
    net = net_from_state_dict(get_spec("siggraph17"), siggraph17_weights).eval()
    assert isinstance(net, SIGGRAPH17Colorizer)
    l = _lightness(seed=2)
    ab_hint, mask = _hints(l)
    with torch.no_grad():
        class_logits, regression = net.heads(l, ab_hint, mask)
        forward = net(l, ab_hint, mask)
    expected_class, expected_regression = siggraph17_reference(siggraph17_weights, l, ab_hint, mask)
    assert class_logits.shape == (2, 529, 8, 12) and regression.shape == (2, 2, 32, 48)
    assert torch.allclose(class_logits, expected_class, atol=1e-3, rtol=1e-4)
    assert torch.allclose(regression, expected_regression, atol=1e-5)
    assert regression.abs().max() <= 1.0
    assert torch.equal(forward, regression * AB_NORM)


def test_a_net_that_differs_from_the_official_one_is_caught(siggraph17_weights, eccv16_weights):
    """Mistakes the nets could make (a dilation, an activation) move them far beyond the tolerance."""
    l = _lightness(seed=3)
    ab_hint, mask = _hints(l)

    eccv16 = net_from_state_dict(get_spec("eccv16"), eccv16_weights).eval()
    eccv16.model5[0].dilation, eccv16.model5[0].padding = (1, 1), (1, 1)
    siggraph17 = net_from_state_dict(get_spec("siggraph17"), siggraph17_weights).eval()
    siggraph17.model10[2].negative_slope = 0.0  # ReLU where the official code has LeakyReLU(0.2)
    with torch.no_grad():
        wrong_eccv16 = eccv16(l)
        wrong_siggraph17 = siggraph17(l, ab_hint, mask)
    assert not torch.allclose(wrong_eccv16, eccv16_reference(eccv16_weights, l), atol=1e-2)
    _, regression = siggraph17_reference(siggraph17_weights, l, ab_hint, mask)
    assert not torch.allclose(wrong_siggraph17, regression * AB_NORM, atol=1e-2)
