"""The registry installs, verifies and fetches official-layout weights into ATELIER_MODELS_DIR."""

import dataclasses
import hashlib
import subprocess
import sys

import pytest

from inference.errors import CheckpointError, FetchError, InferenceError
from inference.registry import REGISTRY, fetch, get_spec, import_file, specs_for_task, verify
from official_colorization_keys import ECCV16_LAYERS, SIGGRAPH17_LAYERS, official_state_dict, write_checkpoint


@pytest.fixture(scope="module")
def eccv16_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("downloads") / "colorization_release_v2.pth"
    write_checkpoint(official_state_dict(ECCV16_LAYERS, seed=11), path, legacy=True)
    return path


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(folder))
    return folder


def test_both_colourisers_are_registered_for_the_colorize_tool():
    assert [s.name for s in specs_for_task("colorize")] == ["eccv16", "siggraph17"]
    eccv = get_spec("eccv16")
    assert eccv.url.endswith("colorization_release_v2-9b330a0b.pth") and eccv.sha256_prefix == "9b330a0b"
    assert get_spec("siggraph17").sha256_prefix == "df00044c"
    assert all(s.licence == "BSD-2-Clause" and s.input_size == 256 for s in specs_for_task("colorize"))


def test_an_unknown_model_name_lists_the_known_ones():
    with pytest.raises(InferenceError, match="known models: .*eccv16.*siggraph17") as info:
        get_spec("dalle")
    assert all(name in str(info.value) for name in REGISTRY)


def test_paths_follow_the_environment_at_call_time(tmp_path, monkeypatch):
    monkeypatch.delenv("ATELIER_MODELS_DIR", raising=False)
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path / "data"))
    assert get_spec("eccv16").path == tmp_path / "data" / "models" / "colorization_release_v2-9b330a0b.pth"
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert get_spec("eccv16").path.parent == tmp_path / "elsewhere"
    assert get_spec("eccv16").install_command == "python manage.py models fetch eccv16"


def test_a_missing_model_verifies_as_not_installed_with_both_ways_to_install_it(models_dir):
    spec = get_spec("siggraph17")
    ok, state, message = verify(spec)
    assert not ok and state == "missing"
    assert "python manage.py models fetch siggraph17" in message
    assert f"download {spec.url} and run: python manage.py models import siggraph17 FILE" in message


def test_a_file_that_is_not_the_published_one_is_kept_under_its_own_hash(models_dir, eccv16_file):
    spec = get_spec("eccv16")
    assert not spec.installed and spec.state == "missing" and spec.state_label == "not installed"
    path, official = import_file(spec, eccv16_file)
    sha = hashlib.sha256(eccv16_file.read_bytes()).hexdigest()
    assert official is False  # random weights cannot carry the published hash
    assert path == models_dir / f"eccv16.sha256-{sha[:8]}.pth" and path.read_bytes() == eccv16_file.read_bytes()
    assert [p.name for p in models_dir.iterdir()] == [path.name]  # no temp files, nothing under the official name
    assert spec.installed and spec.path == path  # what the engine loads
    assert spec.state == "not official" and spec.state_label == "installed, not the official file"

    ok, state, message = verify(spec)
    assert ok and state == "not official"
    assert "installed, not the official file" in message and "differs from the published file" in message


def test_the_published_file_replaces_one_kept_under_its_own_hash_and_the_engine_loads_it(models_dir, eccv16_file):
    from inference.engine import load_net

    own, _ = import_file(get_spec("eccv16"), eccv16_file)
    assert load_net(get_spec("eccv16"), device="cpu") is not None  # loads from the file under its own hash
    sha = hashlib.sha256(eccv16_file.read_bytes()).hexdigest()
    published = dataclasses.replace(get_spec("eccv16"), sha256_prefix=sha[:8])  # as if it were the release
    path, official = import_file(published, eccv16_file)
    assert official and path == models_dir / published.filename and not own.exists()
    assert published.state == "official" and published.path == path


def test_a_file_that_does_not_load_verifies_as_broken(models_dir, eccv16_file):
    spec = get_spec("eccv16")
    import_file(spec, eccv16_file)
    spec.path.write_bytes(b"not weights")
    ok, state, message = verify(spec)
    assert not ok and state == "broken" and "does not load" in message


def test_import_file_refuses_weights_of_another_architecture(models_dir, eccv16_file):
    with pytest.raises(CheckpointError, match="SIGGRAPH17Colorizer"):
        import_file(get_spec("siggraph17"), eccv16_file)
    assert not get_spec("siggraph17").installed


def test_verify_accepts_a_file_whose_hash_matches(models_dir, eccv16_file):
    sha = hashlib.sha256(eccv16_file.read_bytes()).hexdigest()
    spec = dataclasses.replace(get_spec("eccv16"), sha256_prefix=sha[:8])
    _, official = import_file(spec, eccv16_file)
    assert official is True
    assert verify(spec) == (True, "official", f"eccv16: OK, the official file, loads fine (sha256 {sha[:16]}...).")


def test_fetch_downloads_checks_and_installs(models_dir, eccv16_file):
    sha = hashlib.sha256(eccv16_file.read_bytes()).hexdigest()
    spec = dataclasses.replace(get_spec("eccv16"), url=eccv16_file.as_uri(), sha256_prefix=sha[:8])
    path = fetch(spec, progress=False)
    assert path == spec.path and path.read_bytes() == eccv16_file.read_bytes()
    assert not list(models_dir.glob("*.part"))


def test_fetch_refuses_a_file_with_the_wrong_hash_and_leaves_nothing_behind(models_dir, eccv16_file):
    spec = dataclasses.replace(get_spec("eccv16"), url=eccv16_file.as_uri())  # real prefix 9b330a0b
    with pytest.raises(FetchError, match="not the published one"):
        fetch(spec, progress=False)
    assert list(models_dir.iterdir()) == []


def test_fetch_refuses_a_file_that_does_not_load(models_dir, tmp_path):
    other = tmp_path / "siggraph.pth"
    write_checkpoint(official_state_dict(SIGGRAPH17_LAYERS, seed=2), other)
    spec = dataclasses.replace(get_spec("eccv16"), url=other.as_uri(), sha256_prefix=None)
    with pytest.raises(FetchError, match="cannot be used"):
        fetch(spec, progress=False)
    assert list(models_dir.iterdir()) == []


def test_fetch_turns_network_errors_into_a_human_message(models_dir):
    spec = dataclasses.replace(get_spec("eccv16"), url="http://127.0.0.1:9/colorization_release_v2-9b330a0b.pth")
    with pytest.raises(FetchError, match="Could not download .* Check the network connection"):
        fetch(spec, progress=False, timeout=5)
    assert list(models_dir.iterdir()) == []


def test_light_modules_do_not_import_torch():
    code = (
        "import sys\n"
        "import inference, inference.registry, inference.images, inference.pipelines.hints, inference.cli\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]  # Django: test_inference_never_imports_django.py
