"""fetch takes one member out of a downloaded zip, as pytorch/examples ships fast_neural_style's models."""

import dataclasses
import hashlib
import io
import zipfile

import pytest
import torch

from inference.errors import FetchError
from inference.nets.transformer_net import TransformerNet
from inference.registry import fetch, get_spec, net_from_state_dict, verify
from official_stylize_keys import fast_neural_style_state_dict


def _pth(seed: int, running_stats: bool = False) -> bytes:
    buffer = io.BytesIO()
    torch.save(fast_neural_style_state_dict(seed=seed, running_stats=running_stats), buffer)
    return buffer.getvalue()


@pytest.fixture
def archive(tmp_path):
    """saved_models.zip as the download script unpacks it: saved_models/<style>.pth."""
    members = {f"saved_models/{name}.pth": _pth(i, running_stats=name == "udnie")
               for i, name in enumerate(["candy", "mosaic", "rain_princess", "udnie"])}
    path = tmp_path / "saved_models.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path, members


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(folder))
    return folder


@pytest.mark.parametrize("name", ["mosaic", "udnie"])
def test_the_member_named_by_the_spec_is_installed_and_loads(archive, models_dir, name):
    path, members = archive
    spec = dataclasses.replace(get_spec(name), url=path.as_uri())
    installed = fetch(spec, progress=False)
    assert installed == models_dir / spec.filename
    assert installed.read_bytes() == members[f"saved_models/{name}.pth"]
    assert not list(models_dir.glob("*.part")) and not list(models_dir.glob(".*"))
    assert isinstance(net_from_state_dict(spec, torch.load(installed, weights_only=True)), TransformerNet)
    assert verify(spec)[0]


def test_a_published_hash_is_checked_against_the_member_not_the_archive(archive, models_dir):
    path, members = archive
    member_sha = hashlib.sha256(members["saved_models/candy.pth"]).hexdigest()
    good = dataclasses.replace(get_spec("candy"), url=path.as_uri(), sha256_prefix=member_sha[:8])
    assert fetch(good, progress=False).is_file()
    bad = dataclasses.replace(good, filename="other.pth", sha256_prefix="00000000")
    with pytest.raises(FetchError, match="not the published one"):
        fetch(bad, progress=False)
    assert not (models_dir / "other.pth").exists()


def test_a_missing_member_is_a_fetch_error_and_leaves_nothing_behind(archive, models_dir):
    path, _ = archive
    spec = dataclasses.replace(get_spec("candy"), url=path.as_uri(),
                               options={**get_spec("candy").options, "archive_member": "saved_models/starry.pth"})
    with pytest.raises(FetchError, match="has no saved_models/starry.pth"):
        fetch(spec, progress=False)
    assert not any(models_dir.iterdir())


def test_a_download_that_is_not_a_zip_is_a_fetch_error(tmp_path, models_dir):
    not_zip = tmp_path / "saved_models.zip"
    not_zip.write_bytes(b"<html>quota exceeded</html>")
    spec = dataclasses.replace(get_spec("rain_princess"), url=not_zip.as_uri())
    with pytest.raises(FetchError, match="not a readable zip"):
        fetch(spec, progress=False)
    assert not any(models_dir.iterdir())
