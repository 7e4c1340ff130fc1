"""Saving a sketch renders it again as a batch job, kept in the gallery with its settings."""
import io

import pytest
from PIL import Image, ImageDraw

from tests.waiting import wait_for
from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def label_map(palette) -> bytes:
    image = Image.new("RGB", (256, 256), palette[0]["color"])
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 170, 255, 255], fill=palette[2]["color"])
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_saved_sketch_keeps_drawing_picture_model_and_settings(owner_client, owner):
    from inference.registry import get_spec

    palette = get_spec("landscape-paint").options["palette"]
    response = owner_client.post("/tools/sketch/jobs/", {
        "images": [upload("sketch.png", label_map(palette))], "model": "landscape-paint",
        "dropout": "true", "seed": "1234", "norm": "official"})
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    wait_for(lambda: (job.refresh_from_db() or not job.is_active), timeout=90)
    assert job.status == Job.Status.DONE, job.message
    assert job.params == {"norm": "official", "dropout": True, "direction": "AtoB", "seed": 1234}
    with job.result.open("rb") as f:
        result = Image.open(io.BytesIO(f.read()))
    assert result.mode == "RGB" and result.size[0] > 0
    assert Item.objects.get(job=job).owner == owner


def test_bad_sketch_settings_are_refused_with_a_message(owner_client):
    response = owner_client.post("/tools/sketch/jobs/", {
        "images": [upload("s.png", b"\x89PNG")], "model": "landscape-paint", "seed": "many"})
    assert response.status_code == 400 and "seed" in response.json()["errors"][0]["message"]


def test_saved_colours_are_kept_shown_and_drawn(owner_client):
    """A style model's colours travel with the saved job, read as a setting in the gallery, and change
    the picture; colours a model does not take are refused before anything is queued."""
    import json

    import numpy as np

    from inference.registry import get_spec
    from webapp.gallery.describe import settings_labels

    palette = get_spec("landscape-paint").options["palette"]
    pictures = []
    for style in ({"sky": "#d08050"}, {"sky": "#4080e0"}):
        response = owner_client.post("/tools/sketch/jobs/", {
            "images": [upload("sketch.png", label_map(palette))], "model": "landscape-paint",
            "norm": "official", "style": json.dumps(style)})
        assert response.status_code == 201, response.content
        job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
        wait_for(lambda: (job.refresh_from_db() or not job.is_active), timeout=90)
        assert job.status == Job.Status.DONE, job.message
        assert job.params["style"] == style
        assert f"Colours: sky {style['sky']}" in settings_labels(job)
        with job.result.open("rb") as f:
            pictures.append(np.asarray(Image.open(io.BytesIO(f.read())).convert("RGB")).astype(float))
    orange, blue = (p[:100] for p in pictures)  # the label map's sky
    assert blue[..., 2].mean() - blue[..., 0].mean() > orange[..., 2].mean() - orange[..., 0].mean() + 20

    for model, style, message in (("landscape-paint", {"sky": "orange"}, "#rrggbb"),
                                  ("landscape-paint", "{not json", "must map materials"),
                                  ("landscape-paint", {"lava": "#ff0000"}, "no colour for 'lava'")):
        response = owner_client.post("/tools/sketch/jobs/", {
            "images": [upload("s.png", label_map(palette))], "model": model,
            "style": style if isinstance(style, str) else json.dumps(style)})
        assert response.status_code == 400 and message in response.json()["errors"][0]["message"], response.content
