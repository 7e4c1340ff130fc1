"""Style blends are the convex mixes the papers define: of gamma/beta (Dumoulin) and of statistics (AdaIN)."""

import pytest
import torch

from inference.errors import InferenceError
from inference.nets.adain import adain, mean_std, mix_statistics
from inference.nets.transformer_net import MultiStyleTransformerNet, TransformerNet, style_mixture
from official_stylize_keys import fast_neural_style_forward, fast_neural_style_state_dict
from torch_threads import one_torch_thread  # noqa: F401

N_STYLES = 3


@pytest.fixture(scope="module")
def multi():
    """A 3-style net (4 rows with the identity) whose style rows really differ."""
    sd = fast_neural_style_state_dict(seed=11, n_rows=N_STYLES + 1)
    net = MultiStyleTransformerNet(N_STYLES).eval()
    net.load_state_dict(sd)
    return net, sd


@pytest.fixture(scope="module")
def photo():
    return torch.rand(1, 3, 40, 52, generator=torch.Generator().manual_seed(5)) * 255


def _single_with_rows(sd, gamma_beta):
    """A single-style TransformerNet with the shared convs of ``sd`` and the given (C,) norm rows."""
    single = {k: gamma_beta(v) if v.dim() == 2 else v for k, v in sd.items()}  # norm tables are the only 2-D tensors
    net = TransformerNet().eval()
    net.load_state_dict(single)
    return net


def test_weights_one_zero_zero_give_exactly_the_first_style(multi, photo):
    net, sd = multi
    first_only = _single_with_rows(sd, lambda table: table[0])
    with torch.no_grad():
        blended = net(photo, style_mixture([1, 0, 0], 1.0, N_STYLES))
        assert torch.equal(blended, first_only(photo))
        torch.testing.assert_close(blended, fast_neural_style_forward(sd, photo, row=0), rtol=1e-4, atol=1e-3)


def test_an_even_blend_equals_a_net_whose_gamma_and_beta_are_the_midpoint(multi, photo):
    net, sd = multi
    midpoint = _single_with_rows(sd, lambda table: (table[0] + table[2]) / 2)
    with torch.no_grad():
        torch.testing.assert_close(net(photo, style_mixture([0.5, 0, 0.5], 1.0, N_STYLES)), midpoint(photo),
                                   rtol=1e-5, atol=1e-4)


def test_weights_are_normalised_so_only_their_ratios_matter():
    torch.testing.assert_close(style_mixture([2, 0, 6], 1.0, 3), style_mixture([0.25, 0, 0.75], 1.0, 3))


def test_strength_zero_is_exactly_the_identity_slot(multi, photo):
    net, sd = multi
    identity = _single_with_rows(sd, lambda table: table[N_STYLES])
    weights = style_mixture([0.2, 0.3, 0.5], 0.0, N_STYLES)
    assert weights.tolist() == [0, 0, 0, 1]
    with torch.no_grad():
        assert torch.equal(net(photo, weights), identity(photo))


def test_strength_mixes_linearly_towards_the_identity_slot():
    torch.testing.assert_close(style_mixture([1, 3, 0], 0.4, 3), torch.tensor([0.1, 0.3, 0.0, 0.6]))


@pytest.mark.parametrize("weights, strength", [([0, 0, 0], 1.0), ([1, -1, 1], 1.0), ([1, 1], 1.0), ([1, 1, 1], 1.5)])
def test_bad_weights_or_strength_are_refused(weights, strength):
    with pytest.raises(InferenceError):
        style_mixture(weights, strength, 3)


def test_an_adain_blend_equals_adain_with_the_blended_statistics():
    g = torch.Generator().manual_seed(3)
    content = torch.rand(1, 512, 6, 5, generator=g)
    styles = [torch.rand(1, 512, 7, 9, generator=g) * (i + 1) for i in range(3)]
    stats = [tuple(t.reshape(-1) for t in mean_std(s)) for s in styles]
    weights = [0.2, 0.5, 0.3]
    # pytorch-AdaIN's interpolation: the weighted sum of each style's AdaIN output.
    official = sum(w * adain(content, *mean_std(s)) for w, s in zip(weights, styles))
    torch.testing.assert_close(adain(content, *mix_statistics(stats, weights)), official, rtol=1e-5, atol=1e-5)


def test_adain_gives_the_content_features_the_style_statistics():
    g = torch.Generator().manual_seed(4)
    content, style = torch.rand(1, 8, 9, 9, generator=g), torch.rand(1, 8, 5, 5, generator=g) * 3 + 1
    out_mean, out_std = mean_std(adain(content, *mean_std(style)))
    style_mean, style_std = mean_std(style)
    torch.testing.assert_close(out_mean, style_mean)
    torch.testing.assert_close(out_std, style_std, rtol=1e-3, atol=1e-4)
