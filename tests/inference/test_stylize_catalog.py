"""The Stylize models are registered as data: official URLs, archive members, licences, pairings."""

import subprocess
import sys

from inference.registry import get_spec, specs_for_task


def test_the_four_fast_neural_style_models_come_from_the_pytorch_examples_zip():
    for name in ("candy", "mosaic", "rain_princess", "udnie"):
        spec = get_spec(name)
        assert spec.family == "transformer_net" and spec.arch == "single" and spec.task == "stylize"
        assert spec.url == "https://www.dropbox.com/s/lrvwfehqdcxoza8/saved_models.zip?dl=1"
        assert spec.options["archive_member"] == f"saved_models/{name}.pth"
        assert spec.licence == "BSD-3-Clause"


def test_the_adain_decoder_names_its_encoder_and_both_are_release_assets():
    decoder, encoder = get_spec("adain-decoder"), get_spec("adain-vgg")
    assert decoder.arch == "adain" and decoder.options == {"encoder": "adain-vgg"}
    assert encoder.arch == "normalised_vgg19" and encoder.options["part_of"] == "adain-decoder"
    release = "https://github.com/naoto0804/pytorch-AdaIN/releases/download/v0.0.0/"
    assert decoder.url == release + "decoder.pth" and encoder.url == release + "vgg_normalised.pth"
    assert decoder.licence == encoder.licence == "MIT"


def test_vgg16_is_torchvisions_file_for_training_with_its_hash_prefix():
    spec = get_spec("vgg16")
    assert spec.task == "training" and spec.family == "vgg"
    assert spec.url == "https://download.pytorch.org/models/vgg16-397923af.pth" and spec.sha256_prefix == "397923af"
    assert spec not in specs_for_task("stylize")


def test_listing_the_stylize_models_does_not_import_torch():
    code = ("import sys; from inference.registry import specs_for_task; "
            "names = [s.name for s in specs_for_task('stylize')]; "
            "assert 'candy' in names and 'adain-decoder' in names, names; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
