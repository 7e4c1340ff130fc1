"""Every "not installed" message ends with one sentence that gives both ways in (inference.modelspec.install_help)."""
import dataclasses

from inference.errors import ModelNotInstalled
from inference.modelspec import install_help
from inference.registry import get_spec


def test_a_published_model_gets_the_fetch_command_and_offline_the_address_and_the_import_command():
    spec = get_spec("eccv16")
    assert spec.install_help == (
        "Install it with: python manage.py models fetch eccv16 — or, without network, download "
        f"{spec.url} and run: python manage.py models import eccv16 FILE.")
    assert str(ModelNotInstalled(spec)).endswith(spec.install_help)


def test_a_model_inside_an_archive_says_which_member_to_take_out():
    assert ", take saved_models/mosaic.pth out of that zip archive and run: python manage.py models import mosaic FILE" \
        in get_spec("mosaic").install_help


def test_a_model_with_no_address_gets_the_import_command_only():
    local = dataclasses.replace(get_spec("eccv16"), name="mine", url="")
    assert local.install_help == "Install a weights file in its layout with: python manage.py models import mine FILE."


def test_several_models_are_fetched_in_one_command():
    text = install_help([get_spec("adain-decoder"), get_spec("adain-vgg")])
    assert text.startswith("Install them with: python manage.py models fetch adain-decoder adain-vgg — or, without network")
    assert "models import adain-decoder FILE; download" in text and "models import adain-vgg FILE." in text
