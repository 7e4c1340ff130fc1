"""Every tool's command line says a model is not installed, even when outputs named after it exist."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool, model", [("colorize", "siggraph17"), ("sketch", "edges2shoes"), ("stylize", "mosaic")])
def test_a_missing_model_is_reported_even_when_its_outputs_exist(tool, model, tmp_path):
    Image.new("RGB", (64, 48), "grey").save(tmp_path / "photo.png")
    (tmp_path / "out").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "out" / f"photo.{model}.png")
    env = dict(os.environ, ATELIER_MODELS_DIR=str(tmp_path / "models"), ATELIER_DEVICE="cpu")
    result = subprocess.run([sys.executable, "-m", "inference", tool, str(tmp_path / "photo.png"), "--out",
                             str(tmp_path / "out"), "--model", model], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert f"python manage.py models fetch {model}" in result.stderr and "skipped" not in result.stderr
