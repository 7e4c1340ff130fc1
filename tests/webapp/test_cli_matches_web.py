"""The command line and the web studio paint the same pixels for the same input, model and settings.

Each case renders one file through `python -m inference TOOL` (its `main`) and
through a real job on the real Celery worker, then compares the two results.
"""
import io
import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from inference.cli import main as inference_main
from inference.data.landscapes import render_scene
from inference.data.procedural import painting
from inference.data.procedural import photo as procedural_photo
from tests.waiting import wait_for
from webapp.studio.models import Job

from .conftest import upload

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("celery_worker", "installed_models", "style_models")]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def web_result(client, tool: str, source: bytes, model: str, **fields) -> np.ndarray:
    response = client.post(f"/tools/{tool}/jobs/", {"images": [upload("input.png", source)], "model": model, **fields})
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])

    def finished():
        job.refresh_from_db()
        return not job.is_active

    wait_for(finished, timeout=120)
    assert job.status == Job.Status.DONE, job.message
    with job.result.open("rb") as f:
        return np.asarray(Image.open(io.BytesIO(f.read())))


def cli_result(tmp_path, tool: str, source: bytes, model: str, *options: str) -> np.ndarray:
    (tmp_path / "input.png").write_bytes(source)
    out = tmp_path / "out"
    assert inference_main([tool, str(tmp_path / "input.png"), "--out", str(out), "--device", "cpu",
                           *options]) == 0
    return np.asarray(Image.open(out / f"input.{model}.png"))


def test_colorize_with_hints_gives_the_same_pixels_on_the_command_line_and_the_web(owner_client, tmp_path):
    source = png(Image.fromarray(data.camera()).resize((150, 110)))
    hints = [{"x": 0.3, "y": 0.4, "color": "#c0392b"}, {"x": 0.7, "y": 0.8, "color": "#2e7d32"}]
    (tmp_path / "hints.json").write_text(json.dumps(hints))
    on_web = web_result(owner_client, "colorize", source, "siggraph17", hints=json.dumps(hints))
    on_cli = cli_result(tmp_path, "colorize", source, "siggraph17", "--model", "siggraph17",
                        "--hints", str(tmp_path / "hints.json"))
    assert on_web.shape == (110, 150, 3) and np.array_equal(on_cli, on_web)


def test_sketch_with_a_seed_gives_the_same_pixels_on_the_command_line_and_the_web(owner_client, tmp_path):
    source = png(render_scene(5, 256).label_map.resize((200, 200), Image.Resampling.NEAREST))
    on_web = web_result(owner_client, "sketch", source, "landscape-paint", norm="official", direction="AtoB",
                        dropout="true", seed="11")
    on_cli = cli_result(tmp_path, "sketch", source, "landscape-paint", "--model", "landscape-paint",
                        "--norm", "official", "--direction", "AtoB", "--dropout", "--seed", "11")
    assert on_web.shape == (256, 256, 3) and np.array_equal(on_cli, on_web)


def test_a_multi_style_blend_gives_the_same_pixels_on_the_command_line_and_the_web(owner_client, tmp_path,
                                                                                  style_models):
    model = style_models["multi"]
    source = png(procedural_photo(6, (90, 70)))
    blend = {"model": model, "weights": {"0": 0.25, "1": 0.75}, "strength": 0.7, "preserve_colour": "luminance"}
    on_web = web_result(owner_client, "stylize", source, model, blend=json.dumps(blend))
    on_cli = cli_result(tmp_path, "stylize", source, model, "--model", model, "--style-weights", "0.25,0.75",
                        "--strength", "0.7", "--preserve-colour", "luminance")
    assert on_web.shape == (70, 90, 3) and np.array_equal(on_cli, on_web)


def test_an_adain_blend_of_uploaded_styles_gives_the_same_pixels_on_the_command_line_and_the_web(
        owner_client, tmp_path, style_models):
    model = style_models["adain"]
    styles = {"strokes": painting(3, (64, 64), "strokes"), "blobs": painting(4, (64, 64), "blobs")}
    keys = {}
    for name, picture in styles.items():
        response = owner_client.post("/tools/stylize/styles/", {"image": upload(f"{name}.png", png(picture))})
        assert response.status_code == 201, response.content
        keys[name] = response.json()["style"]["key"]
        picture.save(tmp_path / f"{name}.png")
    source = png(procedural_photo(7, (80, 64)))
    blend = {"model": model, "weights": {keys["strokes"]: 2, keys["blobs"]: 1}, "strength": 0.8,
             "preserve_colour": "none"}
    on_web = web_result(owner_client, "stylize", source, model, blend=json.dumps(blend))
    on_cli = cli_result(tmp_path, "stylize", source, model, "--model", model, "--style",
                        f"{tmp_path / 'strokes.png'}:2", "--style", f"{tmp_path / 'blobs.png'}:1", "--strength", "0.8")
    assert on_web.shape == (64, 80, 3) and np.array_equal(on_cli, on_web)
