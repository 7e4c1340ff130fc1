"""A model's `arch` names the builder of its network, and records written by older versions still load."""
import dataclasses
import json

import pytest

from inference.checkpoints import load_strict, read_state_dict
from inference.nets.adain import AdaINDecoder
from inference.nets.pix2pix import UnetGenerator
from inference.registry import all_models, build_net, get_spec


@pytest.mark.parametrize("name", ["landscape-paint", "landscape-sketch"])
def test_the_bundled_demos_load_strictly_into_the_network_their_arch_builds(name):
    spec = get_spec(name)
    assert spec.arch == "unet_small_resize"
    net = build_net(spec)
    assert isinstance(net, UnetGenerator) and net.multiple == 2 ** 6 and net.upsample == "resize"
    load_strict(net, read_state_dict(spec.path))


def test_every_published_model_builds_from_its_arch():
    for spec in all_models():
        assert build_net(spec) is not None, spec.name
        assert "mode" not in spec.options, spec.name


def test_records_of_older_versions_are_read_with_todays_arch(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    decoder = dataclasses.asdict(get_spec("adain-decoder"))
    old_adain = {**decoder, "name": "old-adain", "arch": "decoder", "options": {"mode": "adain", "encoder": "adain-vgg"}}
    sketch = dataclasses.asdict(get_spec("landscape-paint"))
    old_pix2pix = {**sketch, "name": "old-pix2pix", "bundled": False, "arch": "unet_64",
                   "options": {**sketch["options"], "ngf": 8, "num_downs": 6}}
    (tmp_path / "local-models.json").write_text(json.dumps([old_adain, old_pix2pix, {"name": "broken"}]))
    adain = get_spec("old-adain")
    assert adain.arch == "adain" and adain.options == {"encoder": "adain-vgg"}
    assert isinstance(build_net(adain), AdaINDecoder)
    generator = build_net(get_spec("old-pix2pix"))
    assert isinstance(generator, UnetGenerator) and generator.multiple == 2 ** 6
    assert generator.state_dict()["model.model.0.weight"].shape[0] == 8
    assert "broken" not in [s.name for s in all_models()]
