"""Every norm/dropout combination of Sketch equals the same net switched by hand, and the defaults are test.py's.

The official pix2pix test.py leaves the generator in train mode (BatchNorm
with the batch's statistics at batch size 1, dropout on); ``--eval`` calls
``model.eval()`` (running statistics, no dropout). The reference here is a
plain module holding the official weights, put in ``.train()`` / ``.eval()``
by hand, with nn.Dropout drawing after ``torch.manual_seed(seed)``.
"""

import copy

import numpy as np
import pytest
import torch
from PIL import Image

from inference.cli import main
from inference.engine import clear_cache
from inference.errors import InferenceError
from inference.nets.pix2pix import UnetGenerator
from inference.pipelines.sketch import SketchOptions, generate
from inference.registry import get_spec, net_from_state_dict
from official_pix2pix_keys import official_state_dict, unet_layers, write_checkpoint
from torch_threads import one_torch_thread  # noqa: F401

SPEC = get_spec("edges2shoes")
SEEDS = (11, 12)


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


@pytest.fixture(scope="module")
def state_dict():
    return official_state_dict(unet_layers(num_downs=7, ngf=8), seed=5)


@pytest.fixture(scope="module")
def images():
    return torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _by_hand(state_dict, *, batch_statistics: bool, dropout: bool) -> UnetGenerator:
    """The official weights in a plain module whose BatchNorm and Dropout modes are set directly."""
    net = UnetGenerator(num_downs=7, ngf=8, use_dropout=True)
    net.load_state_dict(copy.deepcopy(dict(state_dict)), strict=False)
    net.eval()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d) and batch_statistics:
            module.train()
        if isinstance(module, torch.nn.Dropout) and dropout:
            module.train()
    return net


def _reference(state_dict, images, *, batch_statistics: bool, dropout: bool) -> torch.Tensor:
    """One image at a time (test.py's batch size 1), the global RNG seeded per image."""
    net = _by_hand(state_dict, batch_statistics=batch_statistics, dropout=dropout)
    outputs = []
    with torch.no_grad():
        for seed, image in zip(SEEDS, images):
            torch.manual_seed(seed)
            outputs.append(net(image[None].clone()))
    return torch.cat(outputs)


@pytest.mark.parametrize("norm", ["official", "eval"])
@pytest.mark.parametrize("dropout", [True, False], ids=["dropout", "no-dropout"])
def test_each_combination_equals_the_net_switched_by_hand(state_dict, images, norm, dropout):
    net = net_from_state_dict(SPEC, state_dict).train()  # the cached net's own mode must not matter
    expected = _reference(state_dict, images, batch_statistics=norm == "official", dropout=dropout)
    ours = generate(net, images, SketchOptions(norm=norm, dropout=dropout), list(SEEDS))
    assert torch.allclose(ours, expected, atol=1e-5)

    other_seeds = generate(net, images, SketchOptions(norm=norm, dropout=dropout), [21, 22])
    assert torch.allclose(ours, other_seeds, atol=1e-6) is (not dropout)


def test_the_modes_really_differ(state_dict, images):
    net = net_from_state_dict(SPEC, state_dict)
    outputs = [generate(net, images, SketchOptions(norm=n, dropout=d), list(SEEDS))
               for n in ("official", "eval") for d in (True, False)]
    for i in range(len(outputs)):
        for j in range(i):
            assert not torch.allclose(outputs[i], outputs[j], atol=1e-3)


def test_defaults_are_what_test_py_does_with_and_without_eval(state_dict, images):
    assert SketchOptions().dropout is True  # test.py: train mode
    assert SketchOptions(norm="eval").dropout is False  # test.py --eval: model.eval()
    net = net_from_state_dict(SPEC, state_dict)

    official = generate(net, images, SketchOptions(), list(SEEDS))
    assert torch.allclose(official, _reference(state_dict, images, batch_statistics=True, dropout=True), atol=1e-5)

    evaluated = generate(net, images, SketchOptions(norm="eval"), list(SEEDS))
    assert torch.allclose(evaluated, _reference(state_dict, images, batch_statistics=False, dropout=False), atol=1e-5)


def test_an_unknown_norm_is_refused():
    with pytest.raises(InferenceError, match="'official' or 'eval'"):
        SketchOptions(norm="train")


# -- the command line ----------------------------------------------------------------------------

def _render(*extra, weights, drawing, out, capsys, monkeypatch) -> np.ndarray:
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(out.parent / "no-models"))
    code = main(["sketch", str(drawing), "--out", str(out), "--model", "edges2shoes", "--weights", str(weights),
                 "--device", "cpu", *extra])
    stderr = capsys.readouterr().err
    assert code == 0, stderr
    (written,) = [p for p in out.rglob("*") if p.is_file()]
    return np.asarray(Image.open(written)).astype(int)


def test_cli_norm_eval_alone_has_no_dropout_and_dropout_is_on_only_when_asked(tmp_path, state_dict, capsys,
                                                                              monkeypatch):
    weights = tmp_path / "latest_net_G.pth"
    write_checkpoint(state_dict, weights)
    drawing = tmp_path / "edges.png"
    Image.fromarray((np.random.default_rng(3).random((128, 128, 3)) * 255).astype(np.uint8)).save(drawing)

    def render(name, *extra):
        return _render(*extra, weights=weights, drawing=drawing, out=tmp_path / name, capsys=capsys,
                       monkeypatch=monkeypatch)

    # edges2shoes takes 256 x 256: the 128-px drawing is resized, as test.py's loader does.
    image = torch.from_numpy(np.asarray(Image.open(drawing).resize((256, 256), Image.Resampling.BICUBIC)).copy())
    image = image.permute(2, 0, 1).float().div(127.5).sub(1.0)[None]
    reference = _by_hand(state_dict, batch_statistics=False, dropout=False)
    with torch.no_grad():
        expected = reference(image)[0].add(1).mul(127.5).round().clamp(0, 255).permute(1, 2, 0).int().numpy()

    eval_1, eval_2 = render("eval1", "--norm", "eval", "--seed", "1"), render("eval2", "--norm", "eval", "--seed", "2")
    assert np.array_equal(eval_1, eval_2)
    assert np.abs(eval_1 - expected).max() <= 1  # a value at .5 may round either way after float round-off
    assert (eval_1 != expected).mean() < 1e-3

    asked_1 = render("asked1", "--norm", "eval", "--dropout", "--seed", "1")
    asked_2 = render("asked2", "--norm", "eval", "--dropout", "--seed", "2")
    assert not np.array_equal(asked_1, asked_2) and not np.array_equal(asked_1, eval_1)

    official_1 = render("official1", "--seed", "1")
    assert not np.array_equal(official_1, render("official2", "--seed", "2"))  # dropout on by default
    assert np.array_equal(render("stable1", "--no-dropout", "--seed", "1"), render("stable2", "--no-dropout", "--seed", "2"))
