"""The fast inference copies of a pix2pix U-Net (inference/nets/fold.py) give the plain module's pictures.

BatchNorm folded into the convolutions (eval mode) and the fused per-image
statistics (the official mode), both channels_last, are checked against the
plain module switched by hand, on a checkpoint this test writes: every 8-bit
pixel within the fidelity tolerance (2 levels), with and without seeded dropout.
"""

import copy

import numpy as np
import pytest
import torch

from inference.nets.fold import PerImageNorm, fold_for_eval, inference_copies, per_image_norm
from inference.nets.pix2pix import UnetGenerator
from inference.pipelines.sketch import SketchOptions, finish, generate
from inference.registry import get_spec, net_from_state_dict
from official_pix2pix_keys import official_state_dict, unet_layers, write_checkpoint
from torch_threads import one_torch_thread  # noqa: F401

SPEC = get_spec("edges2shoes")
SEEDS = [3, 4]
TOLERANCE = 2  # 8-bit levels


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    state_dict = official_state_dict(unet_layers(num_downs=7, ngf=8), seed=9)
    # Running statistics away from identity, so folding them really changes the weights.
    generator = torch.Generator().manual_seed(1)
    for key, value in state_dict.items():
        if key.endswith("running_mean"):
            value.copy_(torch.rand(value.shape, generator=generator) * 0.4 - 0.2)
        elif key.endswith("running_var"):
            value.copy_(torch.rand(value.shape, generator=generator) * 1.5 + 0.5)
    path = tmp_path_factory.mktemp("checkpoint") / "latest_net_G.pth"
    write_checkpoint(state_dict, path)
    return net_from_state_dict(SPEC, torch.load(path, map_location="cpu", weights_only=True))


@pytest.fixture(scope="module")
def images():
    return torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _eight_bit(batch: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.from_numpy(np.array(finish(image))).int() for image in batch])


@pytest.mark.parametrize("norm", ["official", "eval"])
@pytest.mark.parametrize("dropout", [True, False], ids=["dropout", "no-dropout"])
def test_fast_copy_gives_the_plain_modules_picture(net, images, norm, dropout):
    options = SketchOptions(norm=norm, dropout=dropout)
    plain = generate(net, images, options, SEEDS)
    fast = generate(inference_copies(net)[norm], images, options, SEEDS)
    assert (_eight_bit(plain) - _eight_bit(fast)).abs().max() <= TOLERANCE
    assert torch.allclose(plain, fast, atol=1e-3)


def test_the_copies_replace_batch_norm_and_leave_the_original_alone(net, images):
    before = copy.deepcopy(net.state_dict())
    folded, fused = fold_for_eval(net), per_image_norm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert sum(isinstance(m, PerImageNorm) for m in fused.modules()) == \
        sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert next(folded.parameters()).is_contiguous(memory_format=torch.channels_last)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_folding_uses_running_statistics_and_per_image_norm_each_images_own(net, images):
    # One image alone or beside another gives the same picture: no statistics shared across a batch.
    fused = per_image_norm(net)
    alone = generate(fused, images[:1], SketchOptions(dropout=False), [None])
    together = generate(fused, images, SketchOptions(dropout=False), [None, None])
    assert torch.allclose(alone[0], together[0], atol=1e-5)
    assert not torch.allclose(generate(fold_for_eval(net), images, SketchOptions(norm="eval"), [None, None]),
                              together, atol=1e-2)


def test_an_instance_norm_net_needs_no_copies():
    assert inference_copies(UnetGenerator(num_downs=5, ngf=4, norm="instance")) == {}
