"""Stylize requests: blends are validated with clear messages; style images stay private."""
import io
import json

import numpy as np
import pytest
from PIL import Image

from webapp.studio.models import Job, StyleImage

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("style_models")]


def colour_photo(seed=0, size=(80, 64)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def render(client, blend: dict, data: bytes | None = None):
    return client.post("/tools/stylize/jobs/", {"images": [upload("photo.png", data or colour_photo())],
                                                "model": blend.get("model", ""), "blend": json.dumps(blend)})


def error_of(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["errors"][0]["message"]


def test_a_render_records_its_blend(owner_client, style_models):
    blend = {"model": style_models["multi"], "weights": {"0": 0.25, "1": 0.75}, "strength": 0.6,
             "preserve_colour": "luminance"}
    response = render(owner_client, blend)
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    assert job.tool == "stylize" and job.params == blend
    assert job.notice == ""  # a colour photo is what Stylize wants: no grey conversion here


@pytest.mark.parametrize("blend,expected", [
    ({"model": "no-such"}, "no-such"),
    ({"model": "MULTI", "weights": {"9": 1}}, "no style '9'"),
    ({"model": "MULTI", "weights": {"0": 0}}, "at least one style"),
    ({"model": "MULTI", "weights": {"0": 1}, "strength": 1.5}, "Strength"),
    ({"model": "MULTI", "weights": {"0": "lots"}}, "weight"),
    ({"model": "MULTI", "weights": {"0": 1}, "preserve_colour": "sepia"}, "Colour preservation"),
    ({"model": "ADAIN", "weights": {"00000000-0000-0000-0000-000000000000": 1}}, "not yours"),
])
def test_bad_blends_are_refused_with_a_message(owner_client, style_models, blend, expected):
    blend = {**blend, "model": {"MULTI": style_models["multi"], "ADAIN": style_models["adain"]}.get(blend["model"],
                                                                                                      blend["model"])}
    assert expected in error_of(render(owner_client, blend))


def test_malformed_blend_json_is_refused(owner_client):
    response = owner_client.post("/tools/stylize/jobs/", {"images": [upload("p.png", grey_photo())],
                                                          "model": "candy", "blend": "{nope"})
    assert "not valid JSON" in error_of(response)


def test_own_style_images_are_private(owner_client, stranger_client, style_models):
    response = owner_client.post("/tools/stylize/styles/", {"image": upload("monet.png", colour_photo(3))})
    assert response.status_code == 201
    key = response.json()["style"]["key"]
    assert owner_client.get(f"/tools/stylize/styles/{key}/thumbnail/").status_code == 200
    assert stranger_client.get(f"/tools/stylize/styles/{key}/thumbnail/").status_code == 404
    assert stranger_client.post(f"/tools/stylize/styles/{key}/delete/").status_code == 404
    blend = {"model": style_models["adain"], "weights": {key: 1}}
    assert "not yours" in error_of(render(stranger_client, blend))
    assert render(owner_client, blend).status_code == 201
    assert owner_client.post(f"/tools/stylize/styles/{key}/delete/").status_code == 200
    assert not StyleImage.objects.exists()


def test_a_fake_style_image_is_refused(owner_client):
    response = owner_client.post("/tools/stylize/styles/", {"image": upload("x.png", b"not a picture")})
    assert response.status_code == 400 and "image" in response.json()["errors"][0]["message"].lower()


def test_the_page_shows_the_style_bank_with_thumbnails(owner_client, style_models):
    page = owner_client.get("/tools/stylize/").content.decode()
    bank = json.loads(page.split('<script id="style-bank-data" type="application/json">')[1].split("</script>")[0])
    groups = {g["model"]: g for g in bank}
    multi = groups[style_models["multi"]]
    assert multi["arch"] == "multistyle" and len(multi["styles"]) == 2
    assert owner_client.get(multi["styles"][0]["thumbnail"])["Content-Type"].startswith("image/")
    assert groups["candy"]["arch"] == "single" and groups[style_models["adain"]]["arch"] == "adain"
    assert "adain-vgg" not in groups  # the encoder is part of AdaIN, not a style of its own
    assert groups["mosaic"]["installed"] is False and "models fetch mosaic" in groups["mosaic"]["install_command"]
