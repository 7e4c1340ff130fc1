"""The Stylize pipelines: sizes, previews, strength, progress, cancelling, and the official AdaIN pass."""

import numpy as np
import pytest
import torch
from PIL import Image

from inference.data.procedural import painting, photo
from inference.errors import InferenceError
from inference.nets.adain import AdaINDecoder, adain
from inference.nets.transformer_net import MultiStyleTransformerNet, TransformerNet
from inference.nets.vgg import NormalisedVGG19
from inference.pipelines.stylize import (
    StyleOptions,
    statistics_from_bytes,
    statistics_to_bytes,
    style_statistics,
    stylize_adain,
    stylize_multistyle,
    stylize_transformer,
)
from official_stylize_keys import adain_decoder_state_dict, fast_neural_style_state_dict, vgg_normalised_state_dict
from torch_threads import one_torch_thread  # noqa: F401


def _spread(sd):
    sd["deconv3.conv2d.weight"] = sd["deconv3.conv2d.weight"] * 40
    sd["deconv3.conv2d.bias"] = sd["deconv3.conv2d.bias"] + 128
    return sd


@pytest.fixture(scope="module")
def single():
    net = TransformerNet().eval().requires_grad_(False)
    net.load_state_dict(_spread(fast_neural_style_state_dict(seed=1)))
    return net


@pytest.fixture(scope="module")
def multi():
    net = MultiStyleTransformerNet(2, ["waves", "dots"]).eval().requires_grad_(False)
    net.load_state_dict(_spread(fast_neural_style_state_dict(seed=2, n_rows=3)))
    return net


@pytest.fixture(scope="module")
def adain_pair():
    encoder = NormalisedVGG19().eval().requires_grad_(False)
    encoder.load_state_dict({k: v for k, v in vgg_normalised_state_dict(seed=3).items() if int(k.split(".")[0]) <= 30})
    sd = adain_decoder_state_dict(seed=4)
    sd["28.weight"], sd["28.bias"] = sd["28.weight"] * 0.2, sd["28.bias"] + 0.5
    decoder = AdaINDecoder().eval().requires_grad_(False)
    decoder.load_state_dict(sd)
    return encoder, decoder


def _array(picture):
    return np.asarray(picture).astype(int)


@pytest.mark.parametrize("size", [(61, 47), (64, 48)])
def test_the_result_has_the_photos_size_even_when_not_a_multiple_of_the_stride(single, size):
    result = stylize_transformer(photo(1, size), single)
    assert result.mode == "RGB" and result.size == size


def test_a_grey_photo_is_stylised_in_colour(single):
    result = stylize_transformer(photo(2, (40, 32)).convert("L"), single)
    assert result.mode == "RGB" and result.size == (40, 32)


def test_max_side_renders_a_smaller_preview(multi):
    result = stylize_multistyle(photo(3, (200, 100)), multi, [1, 0], StyleOptions(max_side=64))
    assert result.size == (64, 32)


def test_single_style_strength_is_a_cross_fade_with_the_photo(single):
    picture = photo(4, (48, 40))
    full = _array(stylize_transformer(picture, single))
    half = _array(stylize_transformer(picture, single, StyleOptions(strength=0.5)))
    assert np.abs(half - (full + _array(picture)) / 2).max() <= 1
    assert (_array(stylize_transformer(picture, single, StyleOptions(strength=0))) == _array(picture)).all()


def test_multistyle_strength_zero_renders_the_identity_style_whatever_the_weights(multi):
    picture = photo(5, (48, 40))
    a = stylize_multistyle(picture, multi, [1, 0], StyleOptions(strength=0))
    b = stylize_multistyle(picture, multi, [0, 1], StyleOptions(strength=0))
    assert (_array(a) == _array(b)).all()
    assert not (_array(a) == _array(stylize_multistyle(picture, multi, [1, 0]))).all()


def test_progress_is_reported_up_to_done_and_an_exception_from_it_cancels(single):
    seen = []
    stylize_transformer(photo(6, (32, 32)), single, progress=lambda f, stage: seen.append((f, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and seen[-1] == (1.0, "done")

    class Cancelled(Exception):
        pass

    def cancel(fraction, stage):
        if stage == "stylize":
            raise Cancelled

    with pytest.raises(Cancelled):
        stylize_transformer(photo(6, (32, 32)), single, progress=cancel)


def test_running_out_of_gpu_memory_is_an_inference_error_with_advice(monkeypatch):
    class Greedy(TransformerNet):
        def forward(self, x, statistics=None):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    with pytest.raises(InferenceError, match="ran out of memory.*smaller"):
        stylize_transformer(photo(7, (32, 32)), Greedy().eval())


@pytest.mark.parametrize(
    "options",
    [dict(strength=1.5), dict(strength=-0.1), dict(preserve_colour="sepia"), dict(tile=100), dict(max_side=4)],
)
def test_bad_options_are_refused_with_a_message(options):
    with pytest.raises(InferenceError):
        StyleOptions(**options)


def test_adain_with_one_style_is_the_official_pass(adain_pair):
    encoder, decoder = adain_pair
    stats = style_statistics(encoder, painting(8, (80, 64), "blobs"))
    assert stats[0].shape == (512,) and stats[1].shape == (512,) and stats[0].device.type == "cpu"
    picture = photo(9, (64, 48))
    ours = _array(stylize_adain(picture, encoder, decoder, [(stats, 1.0)], StyleOptions(tile=0)))
    x = torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255
    with torch.no_grad():
        official = decoder(adain(encoder(x), *stats)).clamp(0, 1)[0].mul(255).round().permute(1, 2, 0).numpy()
    assert np.abs(ours - official).max() <= 1


def test_adain_strength_zero_decodes_the_photos_own_features(adain_pair):
    encoder, decoder = adain_pair
    stats = style_statistics(encoder, painting(10, (64, 64), "strokes"))
    picture = photo(11, (48, 48))
    ours = _array(stylize_adain(picture, encoder, decoder, [(stats, 1.0)], StyleOptions(strength=0)))
    x = torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255
    with torch.no_grad():
        own = decoder(encoder(x)).clamp(0, 1)[0].mul(255).round().permute(1, 2, 0).numpy()
    assert np.abs(ours - own).max() <= 1


def test_style_statistics_scale_the_style_picture_down_to_max_side(adain_pair):
    encoder, _ = adain_pair
    big = painting(12, (128, 96), "stripes")
    small = big.resize((64, 48), Image.Resampling.LANCZOS, reducing_gap=3.0)
    a = style_statistics(encoder, big, max_side=64)
    b = style_statistics(encoder, small, max_side=None)
    torch.testing.assert_close(a[0], b[0])


def test_cached_style_statistics_round_trip_through_bytes(adain_pair):
    encoder, _ = adain_pair
    stats = style_statistics(encoder, painting(13, (48, 48), "blobs"))
    data = statistics_to_bytes(stats)
    assert len(data) < 5000
    mean, std = statistics_from_bytes(data)
    assert torch.equal(mean, stats[0]) and torch.equal(std, stats[1])
    with pytest.raises(InferenceError):
        statistics_from_bytes(b"not statistics")
