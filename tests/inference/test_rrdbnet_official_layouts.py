"""RRDBNet checkpoints in the three official namings load unchanged and compute the published network.

The checkpoints are written by the test: random tensors under the key names
of Real-ESRGAN/BasicSR (wrapped in ``params_ema`` or ``params``), of the
ESRGAN release and of the 2018 ESRGAN ``nn.Sequential``. The reference
forward below is written from the papers with ``torch.nn.functional`` on
the logical weights, independently of :mod:`inference.nets.rrdbnet`.
"""

import pytest
import torch
import torch.nn.functional as F

from inference.nets.rrdbnet import RRDBNet, config_from_checkpoint, detect_layout, from_checkpoint, to_our_keys
from torch_threads import one_torch_thread  # noqa: F401

# Logical weights: ("first" | "trunk" | "up1" | "up2" | "hr" | "last") or (block, rdb, conv) -> (weight, bias).


def _logical_weights(num_block, num_feat, grow, in_ch, seed):
    g = torch.Generator().manual_seed(seed)

    def conv(cout, cin):
        scale = 1.0 / (cin * 9) ** 0.5
        return torch.randn(cout, cin, 3, 3, generator=g) * scale, torch.randn(cout, generator=g) * 0.05

    weights = {"first": conv(num_feat, in_ch)}
    for n in range(num_block):
        for k in (1, 2, 3):
            for j in range(1, 6):
                weights[n, k, j] = conv(num_feat if j == 5 else grow, num_feat + (j - 1) * grow)
    for name in ("trunk", "up1", "up2", "hr"):
        weights[name] = conv(num_feat, num_feat)
    weights["last"] = conv(3, num_feat)
    return weights


def _names(layout, num_block):
    """Logical name -> key prefix in a layout (the files' own spellings)."""
    if layout == "basicsr":
        top = {"first": "conv_first", "trunk": "conv_body", "up1": "conv_up1", "up2": "conv_up2",
               "hr": "conv_hr", "last": "conv_last"}
        block = "body.{n}.rdb{k}.conv{j}"
    elif layout == "esrgan":
        top = {"first": "conv_first", "trunk": "trunk_conv", "up1": "upconv1", "up2": "upconv2",
               "hr": "HRconv", "last": "conv_last"}
        block = "RRDB_trunk.{n}.RDB{k}.conv{j}"
    else:
        top = {"first": "model.0", "trunk": f"model.1.sub.{num_block}", "up1": "model.3", "up2": "model.6",
               "hr": "model.8", "last": "model.10"}
        block = "model.1.sub.{n}.RDB{k}.conv{j}.0"

    def name(key):
        return top[key] if isinstance(key, str) else block.format(n=key[0], k=key[1], j=key[2])

    return name


def _checkpoint(weights, layout, num_block):
    name = _names(layout, num_block)
    state = {}
    for key, (w, b) in weights.items():
        state[f"{name(key)}.weight"], state[f"{name(key)}.bias"] = w, b
    return state


def _reference(x, weights, num_block, scale):
    """RRDBNet forward from the ESRGAN paper and BasicSR's description, in functional form."""
    def conv(key, t):
        w, b = weights[key]
        return F.conv2d(t, w, b, padding=1)

    def lrelu(t):
        return torch.where(t >= 0, t, 0.2 * t)

    if scale == 2:
        n, c, h, w = x.shape
        x = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, c * 4, h // 2, w // 2)
    fea = conv("first", x)
    trunk = fea
    for n in range(num_block):
        rdb = trunk
        for k in (1, 2, 3):
            dense = [rdb]
            for j in range(1, 5):
                dense.append(lrelu(conv((n, k, j), torch.cat(dense, 1))))
            rdb = rdb + 0.2 * conv((n, k, 5), torch.cat(dense, 1))
        trunk = trunk + 0.2 * rdb
    fea = fea + conv("trunk", trunk)
    up = fea.repeat_interleave(2, 2).repeat_interleave(2, 3)
    fea = lrelu(conv("up1", up))
    up = fea.repeat_interleave(2, 2).repeat_interleave(2, 3)
    fea = lrelu(conv("up2", up))
    return conv("last", lrelu(conv("hr", fea)))


LAYOUT_FILES = [("basicsr", "params_ema"), ("basicsr", "params"), ("basicsr", None), ("esrgan", None),
                ("esrgan-2018", None)]


@pytest.mark.parametrize("scale", [4, 2])
@pytest.mark.parametrize("layout,wrapper", LAYOUT_FILES)
def test_a_small_checkpoint_in_each_naming_loads_and_matches_the_reference_forward(tmp_path, layout, wrapper, scale):
    num_block, num_feat, grow = 2, 16, 8
    weights = _logical_weights(num_block, num_feat, grow, 3 if scale == 4 else 12, seed=scale)
    state = _checkpoint(weights, layout, num_block)
    if wrapper:
        # Real-ESRGAN files hold both when trained with EMA; the EMA weights are the ones to use.
        decoy = {k: torch.zeros_like(v) for k, v in state.items()}
        state = {wrapper: state, **({"params": decoy} if wrapper == "params_ema" else {})}
    path = tmp_path / "model.pth"
    torch.save(state, path)
    checkpoint = torch.load(path, weights_only=True)

    assert detect_layout(checkpoint) == layout
    net = from_checkpoint(checkpoint)
    assert net.scale == scale
    x = torch.rand(1, 3, 12, 16, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        out = net(x)
        expected = _reference(x, weights, num_block, scale)
    assert out.shape == (1, 3, 12 * scale, 16 * scale)
    assert expected.std() > 0.05  # the weights do something: a wrong layer would show
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_a_swapped_layer_does_not_match_the_reference():
    """The comparison above is sharp: exchanging two dense-block convs of equal shape changes the output."""
    weights = _logical_weights(2, 16, 8, 3, seed=1)
    state = _checkpoint(weights, "esrgan", 2)
    a, b = "RRDB_trunk.0.RDB1.conv1.weight", "RRDB_trunk.1.RDB1.conv1.weight"
    state[a], state[b] = state[b], state[a]
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert not torch.allclose(from_checkpoint(state)(x), _reference(x, weights, 2, 4), atol=1e-3)


@pytest.mark.parametrize("layout", ["basicsr", "esrgan", "esrgan-2018"])
@pytest.mark.parametrize("scale", [4, 2])
def test_real_size_checkpoints_map_onto_the_full_network_key_for_key(layout, scale):
    """RealESRGAN_x4plus / x2plus and RRDB_ESRGAN_x4 sizes (23 blocks, 64 features), shapes only (meta tensors)."""
    with torch.device("meta"):
        weights = _logical_weights(23, 64, 32, 3 if scale == 4 else 12, seed=0)
        state = _checkpoint(weights, layout, 23)
        if layout == "basicsr":
            state = {"params_ema": state}
        ours = to_our_keys(state)
        config = config_from_checkpoint(ours)
        assert config == {"in_nc": 3, "out_nc": 3, "num_feat": 64, "num_block": 23, "num_grow_ch": 32, "scale": scale}
        expected = RRDBNet(scale=scale).state_dict()
    assert set(ours) == set(expected)
    assert all(ours[k].shape == expected[k].shape for k in expected)
    assert len(expected) == 2 * (1 + 23 * 15 + 5)
    if layout == "esrgan-2018":
        assert "model.1.sub.23.weight" in state and "model.1.sub.22.RDB3.conv5.0.bias" in state


def test_a_checkpoint_of_another_network_is_refused():
    with pytest.raises(ValueError, match="not an RRDBNet"):
        detect_layout({"conv1.weight": torch.zeros(1)})
