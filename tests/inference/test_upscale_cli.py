"""``python -m inference upscale``: an RRDBNet file in any naming alone is enough; PRSR writes one file per sample."""

import numpy as np
import pytest
import torch
from PIL import Image

from inference.cli import main
from inference.engine import load_nets
from inference.pipelines.upscale import UpscaleOptions, render, render_samples
from inference.registry import get_spec
from inference.training.harness import safetensors_bytes
from inference.nets.prsr import PixelRecursiveSR
from test_rrdbnet_official_layouts import _checkpoint, _logical_weights
from torch_threads import one_torch_thread  # noqa: F401


@pytest.fixture()
def photo(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "in" / "photo.png"
    path.parent.mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 28, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("layout,scale", [("basicsr", 4), ("basicsr", 2), ("esrgan", 4), ("esrgan-2018", 4)])
def test_an_rrdbnet_file_in_each_naming_renders_with_weights_alone(tmp_path, photo, layout, scale):
    state = _checkpoint(_logical_weights(1, 8, 4, 3 if scale == 4 else 12, seed=2), layout, 1)
    if layout == "basicsr":
        state = {"params_ema": state}
    weights = tmp_path / f"{layout}-x{scale}.pth"
    torch.save(state, weights)
    out = tmp_path / "out"
    assert main(["upscale", str(photo), "--weights", str(weights), "--out", str(out), "--device", "cpu"]) == 0
    result = Image.open(out / f"photo.{weights.stem}.png")
    assert result.size == (28 * scale, 20 * scale)
    # The site's pipeline gives the same picture.
    spec = get_spec("realesrgan-x4plus" if scale == 4 else "realesrgan-x2plus")
    expected = render(Image.open(photo), load_nets(spec, weights=weights, device="cpu"), UpscaleOptions())
    assert np.array_equal(np.asarray(result), np.asarray(expected))


def test_an_output_over_the_cap_is_refused_and_the_batch_goes_on(tmp_path, photo, capsys):
    weights = tmp_path / "x4.pth"
    torch.save(_checkpoint(_logical_weights(1, 8, 4, 3, seed=2), "esrgan", 1), weights)
    code = main(["upscale", str(photo), "--weights", str(weights), "--out", str(tmp_path / "out"),
                 "--max-output-megapixels", "0.005", "--device", "cpu"])
    assert code == 1
    assert "the largest photo of this shape that fits is" in capsys.readouterr().err


def test_prsr_writes_one_file_per_sample_as_the_site_draws_them(tmp_path, photo):
    torch.manual_seed(0)
    model = PixelRecursiveSR(scale=4, cond_features=12, cond_blocks=1, prior_features=12, prior_layers=2)
    weights = tmp_path / "tiny-prsr.safetensors"
    weights.write_bytes(safetensors_bytes(model.state_dict()))
    out = tmp_path / "out"
    assert main(["upscale", str(photo), "--weights", str(weights), "--out", str(out), "--samples", "3",
                 "--temperature", "1", "--seed", "4", "--device", "cpu"]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"photo.tiny-prsr.s{k}.png" for k in range(3)]
    nets = load_nets(get_spec("prsr-faces"), weights=weights, device="cpu")
    expected = render_samples(Image.open(photo), nets, UpscaleOptions(temperature=1.0, samples=3, seed=4))
    for k, picture in enumerate(expected):
        assert np.array_equal(np.asarray(Image.open(out / f"photo.tiny-prsr.s{k}.png")), np.asarray(picture))
