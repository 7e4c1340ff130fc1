"""`manage.py models` and how a tool behaves when its model is missing."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from inference import registry

from .conftest import grey_photo, upload

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, models_dir: Path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["ATELIER_MODELS_DIR"] = str(models_dir)
    env["ATELIER_DATA_DIR"] = str(models_dir.parent)
    return subprocess.run([sys.executable, "manage.py", "models", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "colorization_release_v2-9b330a0b.pth"
    torch.save(registry.build_net(registry.get_spec("eccv16")).state_dict(), path)
    return path


def test_list_shows_source_licence_hash_and_state(tmp_path):
    result = manage("list", models_dir=tmp_path / "models")
    assert result.returncode == 0, result.stderr
    for text in ("eccv16", "siggraph17", "BSD-2-Clause", "9b330a0b", "df00044c", "not installed",
                 "https://colorizers.s3.us-east-2.amazonaws.com/"):
        assert text in result.stdout


def test_import_keeps_a_file_that_is_not_the_official_one_under_its_own_hash_and_says_so(tmp_path, checkpoint):
    import hashlib

    models = tmp_path / "models"
    result = manage("import", "eccv16", str(checkpoint), models_dir=models)
    assert result.returncode == 0, result.stderr
    assert "installed, not the official file" in result.stdout and "differs from the published file" in result.stdout
    sha = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert [p.name for p in models.iterdir()] == [f"eccv16.sha256-{sha[:8]}.pth"]
    listed = manage("list", models_dir=models).stdout
    assert re.search(r"eccv16\s+installed, not the official file", listed)
    assert re.search(r"siggraph17\s+not installed", listed)


def test_verify_passes_a_file_that_is_not_the_official_one_and_fails_a_broken_or_missing_one(tmp_path, checkpoint):
    models = tmp_path / "models"
    manage("import", "eccv16", str(checkpoint), models_dir=models)
    result = manage("verify", "eccv16", models_dir=models)
    assert result.returncode == 0, result.stderr
    assert "installed, not the official file" in result.stdout
    assert manage("verify", models_dir=models).returncode == 0  # optional models missing: listed, not failed

    missing = manage("verify", "siggraph17", models_dir=models)
    assert missing.returncode != 0 and "python manage.py models import siggraph17 FILE" in missing.stdout
    next(models.iterdir()).write_bytes(b"broken")
    broken = manage("verify", models_dir=models)
    assert broken.returncode != 0 and "does not load" in broken.stdout


def test_import_refuses_a_file_in_the_wrong_layout(tmp_path):
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(3, 3)}, wrong)
    result = manage("import", "eccv16", str(wrong), models_dir=tmp_path / "models")
    assert result.returncode != 0 and "conv.weight" in result.stderr


def test_verify_reports_installed_and_missing(tmp_path, checkpoint):
    models = tmp_path / "models"
    manage("import", "eccv16", str(checkpoint), models_dir=models)
    result = manage("verify", models_dir=models)
    assert "eccv16" in result.stdout and "siggraph17" in result.stdout
    assert "missing" in result.stdout.lower() or "not installed" in result.stdout.lower()


def test_fetch_without_network_fails_with_a_clear_message(tmp_path):
    import dataclasses

    spec = dataclasses.replace(registry.get_spec("eccv16"), url="http://127.0.0.1:9/nowhere.pth")
    os.environ["ATELIER_MODELS_DIR"], old = str(tmp_path), os.environ.get("ATELIER_MODELS_DIR")
    try:
        with pytest.raises(registry.FetchError if hasattr(registry, "FetchError") else Exception) as info:
            registry.fetch(spec, progress=False, timeout=5)
    finally:
        os.environ["ATELIER_MODELS_DIR"] = old
    assert "127.0.0.1" in str(info.value) or "download" in str(info.value).lower()
    assert not list(tmp_path.iterdir())  # no half-written file left behind


@pytest.mark.django_db
def test_tool_page_names_the_install_command_and_refuses_jobs_for_a_missing_model(client, installed_models):
    spec = registry.get_spec("siggraph17")
    hidden = spec.path.with_suffix(".hidden")
    os.replace(spec.path, hidden)
    try:
        page = client.get("/tools/colorize/").content.decode()
        response = client.post("/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo())],
                                                         "model": "siggraph17"})
    finally:
        os.replace(hidden, spec.path)
    for text in (page, response.json()["errors"][0]["message"]):  # both ways in, everywhere
        assert "python manage.py models fetch siggraph17" in text
        assert "python manage.py models import siggraph17 FILE" in text and spec.url in text
    assert response.status_code == 400


@pytest.mark.django_db
def test_models_page_lists_every_entry(client):
    page = client.get("/models/").content.decode()
    assert "eccv16" in page and "siggraph17" in page and "BSD-2-Clause" in page
