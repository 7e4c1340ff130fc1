"""pytorch-AdaIN's decoder.pth and vgg_normalised.pth load unchanged and compute the official passes."""

import pytest
import torch

from inference.checkpoints import read_state_dict
from inference.errors import CheckpointError
from inference.nets.adain import AdaINDecoder
from inference.nets.vgg import NormalisedVGG19
from inference.registry import get_spec, net_from_state_dict
from official_stylize_keys import (
    adain_decoder_forward,
    adain_decoder_state_dict,
    save,
    vgg_normalised_relu4_1,
    vgg_normalised_state_dict,
)
from torch_threads import one_torch_thread  # noqa: F401


def test_the_decoder_file_loads_strictly_and_decodes_like_the_official_sequential(tmp_path):
    sd = adain_decoder_state_dict(seed=1)
    save(sd, tmp_path / "decoder.pth")
    decoder = net_from_state_dict(get_spec("adain-decoder"), read_state_dict(tmp_path / "decoder.pth")).eval()
    assert isinstance(decoder, AdaINDecoder)
    assert list(decoder.state_dict()) == list(sd)
    t = torch.rand(1, 512, 5, 7)
    with torch.no_grad():
        out = decoder(t)
        assert out.shape == (1, 3, 40, 56)
        torch.testing.assert_close(out, adain_decoder_forward(sd, t), rtol=1e-4, atol=1e-5)


def test_the_full_normalised_vgg_file_loads_cut_at_relu4_1(tmp_path):
    sd = vgg_normalised_state_dict(seed=2)
    assert "51.weight" in sd and len(sd) == 34
    save(sd, tmp_path / "vgg_normalised.pth")
    encoder = net_from_state_dict(get_spec("adain-vgg"), read_state_dict(tmp_path / "vgg_normalised.pth")).eval()
    assert isinstance(encoder, NormalisedVGG19)
    assert list(encoder.state_dict()) == [k for k in sd if int(k.split(".")[0]) <= 30]
    x = torch.rand(1, 3, 44, 60)  # not multiples of 8: ceil-mode pools
    with torch.no_grad():
        features = encoder(x)
        assert features.shape == (1, 512, 6, 8)
        torch.testing.assert_close(features, vgg_normalised_relu4_1(sd, x), rtol=1e-4, atol=1e-4)


def test_the_encoder_stages_end_where_pytorch_adain_slices_them():
    encoder = NormalisedVGG19().eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        stages = encoder.stages(x)
        layers = list(encoder)
        for name, end in (("relu1_1", 4), ("relu2_1", 11), ("relu3_1", 18), ("relu4_1", 31)):
            expected = torch.nn.Sequential(*layers[:end])(x)
            torch.testing.assert_close(stages[name], expected)


def test_a_decoder_file_given_as_encoder_is_refused():
    with pytest.raises(CheckpointError, match="NormalisedVGG19"):
        net_from_state_dict(get_spec("adain-vgg"), adain_decoder_state_dict(seed=3))
