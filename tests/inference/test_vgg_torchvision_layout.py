"""torchvision's VGG-16 file loads as a perceptual-loss network with the named activations."""

import pytest
import torch

from inference.checkpoints import read_state_dict
from inference.errors import CheckpointError
from inference.nets.vgg import PERCEPTUAL_LAYERS, VGGFeatures, from_torchvision_vgg, gram_matrix, vgg19
from inference.registry import get_spec, net_from_state_dict
from official_stylize_keys import save, torchvision_vgg16_activations, torchvision_vgg16_state_dict
from torch_threads import one_torch_thread  # noqa: F401


def test_the_torchvision_vgg16_file_loads_and_gives_relu1_2_to_relu4_3(tmp_path):
    sd = torchvision_vgg16_state_dict(seed=1)
    save(sd, tmp_path / "vgg16-397923af.pth")
    vgg = net_from_state_dict(get_spec("vgg16"), read_state_dict(tmp_path / "vgg16-397923af.pth")).eval()
    assert isinstance(vgg, VGGFeatures)
    assert list(vgg.state_dict()) == [k for k in sd if k.startswith("features.")]
    x = torch.rand(2, 3, 40, 48)
    with torch.no_grad():
        ours = vgg(x, PERCEPTUAL_LAYERS)
    reference = torchvision_vgg16_activations(sd, x)
    assert list(ours) == ["relu1_2", "relu2_2", "relu3_3", "relu4_3"]
    for name in PERCEPTUAL_LAYERS:
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-4, atol=1e-4)


def test_only_the_classifier_is_dropped_so_other_strangers_are_still_refused():
    sd = torchvision_vgg16_state_dict(seed=2)
    assert set(sd) - set(from_torchvision_vgg(sd)) == {k for k in sd if k.startswith("classifier.")}
    sd["features.31.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"features\.31\.weight"):
        net_from_state_dict(get_spec("vgg16"), sd)


def test_vgg19_has_torchvisions_sixteen_convs_in_features():
    convs = [k for k in vgg19().state_dict() if k.endswith("weight")]
    assert convs[0] == "features.0.weight" and convs[-1] == "features.34.weight" and len(convs) == 16


def test_a_conv_output_requested_with_its_relu_is_not_overwritten_by_the_in_place_relu():
    vgg = VGGFeatures((4, "M"))
    out = vgg(torch.rand(1, 3, 8, 8) - 0.5, ["conv1_1", "relu1_1"])
    assert (out["conv1_1"] < 0).any() and torch.equal(out["relu1_1"], out["conv1_1"].clamp(min=0))


def test_the_gram_matrix_is_normalised_by_the_feature_size():
    features = torch.ones(1, 2, 3, 4)
    torch.testing.assert_close(gram_matrix(features), torch.full((1, 2, 2), 12 / 24))
