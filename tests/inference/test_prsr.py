"""Pixel recursive super-resolution: a causal prior, fast sampling = naive sampling, tau 0 is deterministic.

That it learns is tested through the training command, in test_prsr_training.py.
"""

import pytest
import torch

from inference.nets.prsr import GatedPixelCNN, PixelRecursiveSR
from torch_threads import one_torch_thread  # noqa: F401


def _tiny_model(seed=0):
    torch.manual_seed(seed)
    return PixelRecursiveSR(scale=4, cond_features=12, cond_blocks=1, prior_features=12, prior_layers=3).double().eval()


def test_each_sub_pixel_sees_exactly_the_sub_pixels_before_it():
    """Raster order, R then G then B within a pixel: gradients vanish for the rest and not for the neighbours."""
    torch.manual_seed(1)
    prior = GatedPixelCNN(features=24, layers=3, kernel=3, first_kernel=5).double()
    # A few images: a ReLU unit that happens to be off for one of them cannot hide a dependency.
    image = torch.rand(4, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    logits = prior(image)
    order = lambda c, i, j: (i, j, c)
    for i, j, c in [(0, 0, 0), (0, 0, 2), (2, 3, 1), (4, 5, 0), (4, 5, 2)]:
        (gradient,) = torch.autograd.grad(logits[:, :, c, i, j].sum(), image, retain_graph=True)
        seen = gradient.abs().sum(0) > 0  # (3, H, W)
        for c2 in range(3):
            for i2 in range(5):
                for j2 in range(6):
                    if order(c2, i2, j2) >= order(c, i, j):
                        assert not seen[c2, i2, j2], ((c, i, j), (c2, i2, j2))
        if c > 0:
            assert seen[c - 1, i, j]  # G sees R of the same pixel, B sees G
        if j > 0:
            assert seen[:, i, j - 1].all()
        if i > 0:
            assert seen[:, i - 1, j].all() and seen[:, i - 1, min(j + 1, 5)].all()


def test_fast_sampling_draws_exactly_the_naive_samples_for_the_same_seeds():
    model = _tiny_model()
    low_res = torch.randint(0, 256, (1, 3, 2, 3), generator=torch.Generator().manual_seed(3))
    seeds = [11, 12, 13]
    naive = model.sample_naive(low_res, seeds, temperature=1.0)
    fast = model.sample(low_res, seeds, temperature=1.0)
    assert naive.shape == (3, 3, 8, 12)
    assert torch.equal(naive, fast)
    assert not torch.equal(fast[0], fast[1])  # each seed its own sample
    assert torch.equal(model.sample(low_res, [12], temperature=1.0)[0], fast[1])  # a sample depends on its seed only
    warm = model.sample(low_res, seeds, temperature=0.7)
    assert torch.equal(warm, model.sample_naive(low_res, seeds, temperature=0.7))
    assert not torch.equal(warm, fast)


def test_temperature_zero_gives_one_deterministic_image_whatever_the_seeds():
    model = _tiny_model(seed=2)
    low_res = torch.randint(0, 256, (1, 3, 2, 2), generator=torch.Generator().manual_seed(4))
    greedy = model.sample(low_res, [1, 2], temperature=0.0)
    assert torch.equal(greedy[0], greedy[1])
    assert torch.equal(greedy, model.sample(low_res, [7, 8], temperature=0.0))
    assert torch.equal(greedy, model.sample_naive(low_res, [3, 4], temperature=0.0))
    # Near zero the draws are the argmax too.
    assert torch.equal(greedy, model.sample(low_res, [5, 6], temperature=1e-9))


def test_several_low_res_inputs_are_sampled_in_one_batch():
    model = _tiny_model(seed=3)
    low_res = torch.randint(0, 256, (2, 3, 2, 2), generator=torch.Generator().manual_seed(5))
    both = model.sample(low_res, [1, 2], temperature=0.0)
    assert torch.equal(both[1:], model.sample(low_res[1:], [2], temperature=0.0))
    with pytest.raises(ValueError):
        model.sample(low_res, [1, 2, 3])
