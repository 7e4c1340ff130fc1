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

from inference.nets import winograd
from inference.nets.fold import PerImageNorm, fold_for_eval, inference_copies, per_image_norm
from inference.nets.winograd import SubPixelConvTranspose2d, WinogradConv2d, WinogradConvTranspose2d, for_cpu
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


def test_a_norm_after_a_resize_convolution_still_folds_or_stays_exact(images):
    # A decoder level whose up-sampling is a Sequential (resize, then convolution) or has a layer
    # between convolution and norm: the copy still gives the plain module's picture.
    net = UnetGenerator(num_downs=7, ngf=8).eval()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
    block = net.model.model[1]
    upconv = block.model[5]
    block.model[5] = torch.nn.Sequential(torch.nn.Upsample(scale_factor=2),
                                         torch.nn.Conv2d(upconv.in_channels, upconv.out_channels, 3, padding=1,
                                                         bias=False))
    inner = block.model[3]
    inner.model.insert(6, torch.nn.Identity())  # norm no longer right after the convolution: kept as a multiply-add
    from inference.nets.fold import RunningNorm

    folded = fold_for_eval(net)
    assert isinstance(folded.model.model[1].model[6], torch.nn.Identity)  # folded into the Sequential's conv
    assert isinstance(folded.model.model[1].model[3].model[7], RunningNorm)
    for norm in ("official", "eval"):
        options = SketchOptions(norm=norm, dropout=False)
        plain = generate(net, images, options, [None, None])
        assert torch.allclose(plain, generate(inference_copies(net)[norm], images, options, [None, None]), atol=1e-3)


@pytest.mark.parametrize("norm", ["official", "eval"])
def test_a_resize_decoder_runs_as_sub_pixel_convolutions_with_the_same_picture(images, norm):
    # The bundled demos' decoder (bilinear doubling + 3x3 conv, replicate padding): the copy computes it at the
    # input's resolution, one convolution for the four phases of each 2x2 cell; the borders must agree too.
    from inference.nets.fold import SubPixelResizeConv
    from inference.nets.pix2pix import ResizeConv2d

    torch.manual_seed(5)
    net = UnetGenerator(num_downs=6, ngf=8, upsample="resize").eval()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.3, 0.3)
    copy_ = inference_copies(net)[norm]
    assert not any(isinstance(m, ResizeConv2d) for m in copy_.modules())
    assert sum(isinstance(m, SubPixelResizeConv) for m in copy_.modules()) == 6
    options = SketchOptions(norm=norm, dropout=True)
    plain, fast = generate(net, images, options, SEEDS), generate(copy_, images, options, SEEDS)
    assert (_eight_bit(plain) - _eight_bit(fast)).abs().max() <= TOLERANCE
    assert torch.allclose(plain, fast, atol=1e-4)


def test_per_image_statistics_stay_exact_when_the_mean_dwarfs_the_spread():
    # Two passes (mean, then squared deviations): E[x²] - E[x]² would lose the variance here.
    norm = torch.nn.BatchNorm2d(4)
    x = (1000 + torch.randn(2, 4, 32, 32)).contiguous(memory_format=torch.channels_last)
    expected = torch.nn.functional.instance_norm(x.double(), weight=norm.weight.double(), bias=norm.bias.double(),
                                                 eps=norm.eps)
    assert torch.allclose(PerImageNorm(norm)(x).double(), expected, atol=1e-2)


# --- Winograd layers (inference/nets/winograd.py): the CPU copies' strided convolutions ---------------------


def _relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    return ((got - expected).abs().max() / expected.abs().max()).item()


LAYER_SHAPES = [(1, 8, 5, 8), (3, 16, 12, 16), (2, 24, 40, 8), (1, 8, 4, 2), (2, 8, 4, 1)]  # (N, C_in, C_out, side)


@pytest.mark.parametrize("m", [1, 2, 4])
@pytest.mark.parametrize("kind", ["down", "up", "up-phases"])
@pytest.mark.parametrize("shape", LAYER_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("channels_last", [True, False], ids=["channels_last", "contiguous"])
def test_winograd_layers_compute_the_plain_convolution(m, kind, shape, bias, channels_last):
    batch, cin, cout, side = shape
    torch.manual_seed(side * 31 + cin)
    if kind == "down":
        side *= 2  # a stride-2 convolution needs at least 2 pixels
        plain = torch.nn.Conv2d(cin, cout, 4, 2, 1, bias=bias)
    else:
        plain = torch.nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)
    if bias:
        torch.nn.init.uniform_(plain.bias, -1, 1)
    fast = WinogradConv2d(plain, m) if kind == "down" else WinogradConvTranspose2d(plain, m, phases=kind == "up-phases")
    x = torch.randn(batch, cin, side, side)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        expected, got = plain(x), fast(x)
        alone = fast(x[-1:])
    assert got.shape == expected.shape
    assert _relative_error(got, expected) < 2e-5  # F(4, 2) on random data: about 5e-6
    assert torch.allclose(alone, got[-1:], atol=1e-5)  # each image on its own: no mixing across the batch


def test_winograd_kernels_keep_bias_and_weights_of_the_layer_they_replace():
    conv = torch.nn.ConvTranspose2d(8, 4, 4, 2, 1)
    fast = WinogradConvTranspose2d(conv, 2)
    assert torch.equal(fast.bias, conv.bias.detach().repeat(4))  # one per output pixel of a 2 x 2 cell
    assert not fast.weight.requires_grad and fast.weight.shape == (9, 8, 16)


@pytest.fixture
def swap_everything(monkeypatch, request):
    """A chooser that gives every strided layer at every side the CPU form request.param (the net is narrow)."""
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 0)
    form = request.param
    # Down layers have no sub-pixel form; P(m) on a down layer is its F(m).
    return lambda conv, side: None if form == "sub-pixel" and type(conv) is torch.nn.Conv2d else form


CPU_LAYERS = (WinogradConv2d, WinogradConvTranspose2d, SubPixelConvTranspose2d)


@pytest.mark.parametrize("swap_everything", ["F(1)", "F(2)", "F(4)", "P(1)", "P(2)", "sub-pixel"], indirect=True)
@pytest.mark.parametrize("norm", ["official", "eval"])
@pytest.mark.parametrize("dropout", [True, False], ids=["dropout", "no-dropout"])
def test_cpu_copy_with_other_forms_of_its_layers_gives_the_plain_modules_picture(net, images, norm, dropout,
                                                                                 swap_everything):
    copy_ = for_cpu(inference_copies(net)[norm], images.shape[-1], choose=swap_everything)
    swapped = [m for m in copy_.modules() if isinstance(m, CPU_LAYERS)]
    # Every level's down- and up-convolution (sides m does not divide run plain); only the up ones for sub-pixel.
    assert len(swapped) == (7 if isinstance(swapped[0], SubPixelConvTranspose2d) else 2 * 7)
    options = SketchOptions(norm=norm, dropout=dropout)
    plain = generate(net, images, options, SEEDS)
    fast = generate(copy_, images, options, SEEDS)
    assert (_eight_bit(plain) - _eight_bit(fast)).abs().max() <= TOLERANCE
    assert torch.allclose(plain, fast, atol=1e-3)


@pytest.mark.parametrize("side", [1, 5, 16])
def test_sub_pixel_form_of_a_transposed_layer_is_the_same_function(side):
    conv = torch.nn.ConvTranspose2d(12, 5, 4, 2, 1)
    x = torch.randn(2, 12, side, side)
    with torch.no_grad():
        expected = conv(x)
        got = SubPixelConvTranspose2d(conv)(x.contiguous(memory_format=torch.channels_last))
    assert got.shape == expected.shape
    assert _relative_error(got, expected) < 1e-5


def test_a_cpu_form_is_kept_only_when_it_is_measurably_faster():
    assert winograd.pick_form({None: 1.0, "F(4)": 0.5, "F(2)": 0.7}) == "F(4)"
    assert winograd.pick_form({None: 1.0, "P(1)": 0.97}) is None  # within MIN_GAIN: the plain layer and its memory
    assert winograd.pick_form({None: 0.4, "sub-pixel": 0.9}) is None


def test_only_cpu_copies_of_unet_256_get_other_forms_and_each_is_the_one_timed_fastest():
    net = UnetGenerator(num_downs=8, ngf=64)
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    assert not any(isinstance(m, CPU_LAYERS) for m in inference_copies(net)["eval"].modules())  # a GPU keeps cuDNN's
    picked = []

    def choose(conv, side):
        picked.append((type(conv).__name__, conv.in_channels, side, winograd.fastest_form(conv, side)))
        return picked[-1][-1]

    cpu = for_cpu(fold_for_eval(net), 256, choose=choose)
    # Every strided layer is asked, at its own input side; the RGB ends have no Winograd forms worth timing.
    assert sorted((name, c, side) for name, c, side, _ in picked) == sorted(
        [("Conv2d", c, s) for c, s in ((3, 256), (64, 128), (128, 64), (256, 32), (512, 16), (512, 8), (512, 4),
                                       (512, 2))]
        + [("ConvTranspose2d", c, s) for c, s in ((512, 1), (1024, 2), (1024, 4), (1024, 8), (1024, 16), (512, 32),
                                                   (256, 64), (128, 128))])
    assert [form for name, c, _, form in picked if c == 3] == [None]
    swapped = [(m.in_channels, m.form) for m in cpu.modules() if isinstance(m, CPU_LAYERS)]
    assert sorted(swapped) == sorted((c, form) for _, c, _, form in picked if form is not None)
    # The timing is done once per layer shape: the second copy asks again and gets the same answers.
    again = []
    for_cpu(fold_for_eval(net), 256, choose=lambda conv, side: again.append(winograd.fastest_form(conv, side)) or again[-1])
    assert again == [form for *_, form in picked]


def test_forms_worth_timing_fit_the_layer_and_only_sub_pixel_is_timed_for_narrow_ones():
    down = torch.nn.Conv2d(64, 128, 4, 2, 1)
    assert winograd.forms_worth_timing(down, 128) == ["F(4)"]
    assert winograd.forms_worth_timing(down, 16) == ["F(1)", "F(2)"]
    assert winograd.forms_worth_timing(torch.nn.Conv2d(512, 512, 4, 2, 1), 2) == ["F(1)"]
    assert winograd.forms_worth_timing(torch.nn.Conv2d(512, 512, 4, 2, 1), 68) == []  # F(4) needs 4 | 34
    assert winograd.forms_worth_timing(torch.nn.ConvTranspose2d(512, 256, 4, 2, 1), 9) == ["P(1)", "sub-pixel"]
    assert winograd.forms_worth_timing(torch.nn.ConvTranspose2d(1024, 512, 4, 2, 1), 8) == ["P(1)", "P(2)", "sub-pixel"]
    assert winograd.forms_worth_timing(torch.nn.ConvTranspose2d(128, 3, 4, 2, 1), 128) == ["sub-pixel"]  # RGB end
    assert winograd.forms_worth_timing(torch.nn.Conv2d(3, 64, 4, 2, 1), 256) == []
    assert winograd.forms_worth_timing(torch.nn.Conv2d(64, 64, 3, 1, 1), 64) == []  # not a strided 4 x 4 layer


def test_resize_convolution_nets_keep_their_layers():
    net = UnetGenerator(num_downs=6, ngf=64, upsample="resize")
    assert not any(isinstance(m, CPU_LAYERS) for m in for_cpu(fold_for_eval(net), 256).modules())
