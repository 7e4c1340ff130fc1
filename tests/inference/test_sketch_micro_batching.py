"""A batch of frames gives each person exactly what a frame of their own would give."""

import numpy as np
import pytest
import torch

from inference.nets.pix2pix import UnetGenerator, init_weights
from inference.pipelines.sketch import SketchOptions, finish, generate

MODES = [
    SketchOptions(norm="official", dropout=True),
    SketchOptions(norm="official", dropout=False),
    SketchOptions(norm="eval", dropout=True),
    SketchOptions(norm="eval", dropout=False),
]


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    net = init_weights(UnetGenerator(num_downs=6, ngf=8))
    for module in net.modules():  # running statistics unlike any single image's
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.3, 0.3)
            module.running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.fixture(scope="module")
def frames():
    """Five different drawings, one of them almost blank (its own statistics differ most)."""
    g = torch.Generator().manual_seed(1)
    frames = torch.rand(5, 3, 64, 64, generator=g) * 2 - 1
    frames[2] = 0.95
    frames[2, :, 30:34, :] = -1.0
    return frames


def _same_pictures(a: torch.Tensor, b: torch.Tensor) -> bool:
    # Kernels may round the last bit differently for another batch size; the
    # statistics and masks are the same, so pictures agree to one grey level.
    pictures = [np.asarray(finish(x), dtype=np.int16) for x in (a, b)]
    return int(np.abs(pictures[0] - pictures[1]).max()) <= 1


@pytest.mark.parametrize("options", MODES, ids=lambda o: f"{o.norm}-{'dropout' if o.dropout else 'stable'}")
def test_a_batch_equals_single_frames_with_the_same_seeds(net, frames, options):
    seeds = [101, 202, 303, 404, 505]
    batch = generate(net, frames, options, seeds)
    singles = torch.cat([generate(net, frames[i:i + 1], options, [seeds[i]]) for i in range(len(frames))])
    assert batch.shape == (5, 3, 64, 64) and batch.dtype == torch.float32
    assert torch.allclose(batch, singles, atol=1e-5)
    assert all(_same_pictures(batch[i], singles[i]) for i in range(len(frames)))


def test_a_frame_does_not_change_with_its_neighbours_in_the_batch(net, frames):
    options = SketchOptions(norm="official", dropout=True)
    alone = generate(net, frames[:1], options, [7])
    with_others = generate(net, torch.cat([frames[:1], -frames[1:]]), options, [7, 1, 2, 3, 4])
    assert torch.allclose(alone[0], with_others[0], atol=1e-5)


def test_dropout_seeds_decide_the_variation(net, frames):
    options = SketchOptions(norm="official", dropout=True)
    first = generate(net, frames[:2], options, [5, 5])
    again = generate(net, frames[:2], options, [5, 5])
    other = generate(net, frames[:2], options, [6, 6])
    assert torch.equal(first, again)
    assert not torch.allclose(first, other, atol=1e-3)
    unseeded = generate(net, frames[:1], options, [None])
    assert not torch.allclose(unseeded, generate(net, frames[:1], options, [None]), atol=1e-3)


def test_without_dropout_the_output_is_stable_whatever_the_seed(net, frames):
    options = SketchOptions(norm="official", dropout=False)
    assert torch.equal(generate(net, frames, options, [1] * 5), generate(net, frames, options, [None] * 5))


def test_official_statistics_are_per_frame_and_leave_running_statistics_alone(net, frames):
    before = {k: v.clone() for k, v in net.state_dict().items()}
    official = generate(net, frames, SketchOptions(norm="official", dropout=False), [None] * 5)
    running = generate(net, frames, SketchOptions(norm="eval", dropout=False), [None] * 5)
    assert not torch.allclose(official, running, atol=1e-3)
    assert all(torch.equal(net.state_dict()[k], before[k]) for k in before)
    assert not net.training


def test_a_half_precision_channels_last_net_runs_and_returns_float32(net, frames):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    half = UnetGenerator(num_downs=6, ngf=8)
    half.load_state_dict(net.state_dict())
    half = half.to(device).half().to(memory_format=torch.channels_last)
    out = generate(half, frames, SketchOptions(dropout=True), [1, 2, 3, 4, 5])
    reference = generate(net, frames, SketchOptions(dropout=True), [1, 2, 3, 4, 5])
    assert out.dtype == torch.float32 and out.device.type == "cpu"
    assert torch.allclose(out, reference, atol=2e-2)
