"""The bundled landscape models ship installed and turn drawings into landscape pictures."""

import numpy as np
import pytest

from inference.data.landscapes import render_scene, scene_seed
from inference.data.spectrum import nyquist_share
from inference.engine import clear_cache, load_nets
from inference.pipelines.sketch import SketchOptions, render
from inference.registry import get_spec, specs_for_task

DEMOS = {"landscape-paint": "label_map", "landscape-sketch": "sketch"}


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


@pytest.fixture(scope="module")
def scenes():
    """Scenes from the held-out "test" stream: never seen in training."""
    return [render_scene(scene_seed(7, "test", i), 256) for i in range(3)]


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_the_demo_model_is_bundled_installed_and_small(name):
    spec = get_spec(name)
    assert spec.bundled and spec.installed and spec.default and spec.licence == "MIT"
    assert spec.task == "sketch" and spec.options["kind"] == DEMOS[name]
    assert spec.path.stat().st_size <= 5_000_000
    assert [s.name for s in specs_for_task("sketch")][:2] == ["landscape-paint", "landscape-sketch"]


def _pictures(name, scenes):
    nets = load_nets(get_spec(name), device="cpu")
    drawings = [scene.label_map if DEMOS[name] == "label_map" else scene.sketch for scene in scenes]
    return [render(drawing, nets, SketchOptions(dropout=False)) for drawing in drawings]


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_the_demo_model_draws_a_landscape_from_a_held_out_drawing(name, scenes):
    pictures = _pictures(name, scenes)
    for picture, scene in zip(pictures, scenes):
        result = np.asarray(picture).astype(float)
        target = np.asarray(scene.picture).astype(float)
        assert picture.size == (256, 256) and result.std() > 10  # not a constant image
        # Closer to the real picture than the best flat colour is.
        flat = np.abs(target - target.mean(axis=(0, 1))).mean()
        assert np.abs(result - target).mean() < 0.8 * flat
        # Sky on top: bluer than red, and the top differs from the bottom.
        assert result[:32, ..., 2].mean() > result[:32, ..., 0].mean()


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_the_demo_pictures_have_no_checkerboard(name, scenes):
    """Resize-convolutions: almost no energy at the 2-pixel period (the first, transposed-convolution
    demos had 5.7e-4 and 8.7e-4 on held-out scenes; true pictures about 0.4e-4). Fixed files and
    inputs, so the figure is the same on every run."""
    share = np.mean([nyquist_share(picture) for picture in _pictures(name, scenes)])
    assert share < 1.5e-4, share
