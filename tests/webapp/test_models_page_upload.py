"""The Models page: staff install a downloaded weights file (checked as `models import` checks it), a file
that is not the published one is labelled so on every page, and style cards show previews."""
import io
import json
import re

import pytest
import torch
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from safetensors.torch import save as safetensors_bytes

from inference import registry
from inference.catalog.local import install_trained
from webapp.request_limit import RequestBodyLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_dirs(tmp_path, monkeypatch):
    """Models and data of this test alone (the upload's child process inherits the environment; with the
    site's own settings, since tests.settings would point it at the suite's data directory)."""
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "webapp.settings")
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path


@pytest.fixture
def staff_client(client):
    client.force_login(get_user_model().objects.create_user("curator", password="pw-curator-123", is_staff=True))
    return client


def weights_of(spec, seed: int, fmt: str = "torch") -> bytes:
    torch.manual_seed(seed)
    state = registry.build_net(spec).state_dict()
    if fmt == "safetensors":
        return safetensors_bytes({k: v.contiguous() for k, v in state.items()})
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def upscaler_with_a_recorded_hash():
    """A small model trained here: the local catalog records its file's sha256, as a source publishes one."""
    base = registry.get_spec("prsr-faces")
    facts = {f: getattr(base, f) for f in ("family", "task", "arch", "input_size", "paper", "description", "options")}
    return install_trained("faces-here", weights_of(base, 1, "safetensors"), {**facts, "title": "Faces trained here"})


def post_weights(client, name: str, data: bytes, filename: str = "weights.pth"):
    return client.post(reverse("model_upload"), {"name": name, "weights": SimpleUploadedFile(filename, data)})


def test_people_who_are_not_staff_get_no_form_and_their_upload_is_refused(own_dirs, client, member):
    spec = registry.get_spec("candy")
    assert 'class="model-upload"' not in client.get(reverse("models")).content.decode()
    assert post_weights(client, "candy", weights_of(spec, 0)).status_code == 403
    client.force_login(member)
    assert 'class="model-upload"' not in client.get(reverse("models")).content.decode()
    response = post_weights(client, "candy", weights_of(spec, 0))
    assert response.status_code == 403 and "staff" in response.json()["errors"][0]["message"]
    assert not spec.installed


def test_a_file_that_is_not_the_recorded_one_is_kept_under_its_own_hash_and_labelled_everywhere(own_dirs, staff_client):
    spec = upscaler_with_a_recorded_hash()
    assert spec.state == "official"
    page = staff_client.get(reverse("models")).content.decode()
    assert 'class="model-upload"' in page and 'id="model-faces-here"' in page

    other = weights_of(registry.get_spec("prsr-faces"), 2)  # same layout, another file, torch format
    response = post_weights(staff_client, "faces-here", other)
    assert response.status_code == 201, response.content
    assert response.json()["state_label"] == "installed, not the official file"

    sha = __import__("hashlib").sha256(other).hexdigest()
    spec = registry.get_spec("faces-here")
    assert spec.path == own_dirs / "models" / f"faces-here.sha256-{sha[:8]}.pth" and spec.path.read_bytes() == other
    assert not spec.official_path.exists()  # one file per entry
    row = re.search(r'<tr id="model-faces-here".*?</tr>', staff_client.get(reverse("models")).content.decode(), re.S)
    assert "installed, not the official file" in row.group(0)
    upscale_page = staff_client.get(reverse("tool", args=["upscale"])).content.decode()
    assert re.search(r"Faces trained here\s*\(installed, not the official file\)", upscale_page)

    from inference.engine import load_net  # what the worker does with it: loads from the file's own name

    assert load_net(spec, device="cpu") is not None


def test_a_file_in_another_layout_gets_a_sentence_and_changes_nothing(own_dirs, staff_client):
    spec = upscaler_with_a_recorded_hash()
    response = post_weights(staff_client, "faces-here", weights_of(registry.get_spec("candy"), 0))
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert message.startswith("This file cannot be installed as Faces trained here (faces-here): These weights are not")
    assert registry.get_spec("faces-here").state == "official" and spec.path.exists()

    garbage = post_weights(staff_client, "faces-here", b"these are not weights at all", filename="faces.pth")
    assert garbage.status_code == 400
    assert garbage.json()["errors"][0]["message"] == ("This file cannot be installed as Faces trained here (faces-here): "
                                                      "the weights file is not a PyTorch or safetensors weights file "
                                                      "(it may be damaged or incomplete).")
    assert "upload-tmp" not in garbage.json()["errors"][0]["message"]  # no server paths
    assert post_weights(staff_client, "no-such-model", b"x").json()["errors"][0]["message"] == "There is no such model."


def test_weights_have_their_own_cap_not_the_image_cap(own_dirs, staff_client, settings):
    candy = weights_of(registry.get_spec("candy"), 0)
    assert len(candy) > 2_000_000
    settings.MAX_UPLOAD_MB = 1  # the image cap does not apply to weights
    settings.MAX_MODEL_UPLOAD_MB = 1
    refused = post_weights(staff_client, "candy", candy)
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["message"] == "This weights file is larger than the 1 MB allowed."
    settings.MAX_MODEL_UPLOAD_MB = 100
    assert post_weights(staff_client, "candy", candy).status_code == 201
    assert registry.get_spec("candy").state == "installed"  # pytorch/examples publishes no hash


def test_the_request_cap_gives_the_weights_endpoint_its_own_limit():
    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limited = RequestBodyLimit(app, 1000, other_limits=lambda: {"/weights/": (5000, "weights file")})

    def post(path, size):
        headers = [(b"content-length", str(size).encode())]
        return async_to_sync(HttpCommunicator(limited, "POST", path, body=b"x" * size, headers=headers).get_response)()

    assert post("/weights/", 3000)["status"] == 204 and post("/images/", 3000)["status"] == 413
    refused = post("/weights/", 6000)
    assert refused["status"] == 413
    assert json.loads(refused["body"])["errors"][0]["message"] == "This weights file is larger than the 0.005 MB allowed."


def style_bank_of(page: str) -> list[dict]:
    return json.loads(re.search(r'id="style-bank-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_an_installed_style_gets_a_preview_that_the_stylize_page_shows(own_dirs, staff_client):
    assert post_weights(staff_client, "candy", weights_of(registry.get_spec("candy"), 3)).status_code == 201
    from inference.style_previews import PREVIEW_SIDE, preview_path

    path = preview_path(registry.get_spec("candy"), "")
    assert path.is_file() and path.is_relative_to(own_dirs / "style-previews")  # rendered at install time

    page = staff_client.get(reverse("tool", args=["stylize"])).content.decode()
    candy = next(group for group in style_bank_of(page) if group["model"] == "candy")
    assert candy["styles"][0]["preview_ready"] is True
    url = candy["styles"][0]["preview"]
    assert url.startswith(reverse("model_style_preview", args=["candy", "style"]))
    response = staff_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    picture = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(picture.size) == PREVIEW_SIDE
    assert 'id="add-style"' in page and 'class="button secondary"' in page  # a button, not a link


@pytest.mark.usefixtures("celery_worker")
def test_a_style_installed_without_previews_gets_them_from_a_worker_on_the_first_page_view(client, style_models):
    """`train` and files copied by hand install no previews: the Stylize page asks a worker for them."""
    from inference.style_previews import preview_path

    from tests.waiting import wait_for

    spec = registry.get_spec(style_models["multi"])
    paths = [preview_path(spec, str(i)) for i in range(len(spec.options["styles"]))]
    client.get(reverse("tool", args=["stylize"]))
    wait_for(lambda: all(p.is_file() for p in paths), timeout=120)
    page = client.get(reverse("tool", args=["stylize"])).content.decode()
    group = next(group for group in style_bank_of(page) if group["model"] == spec.name)
    assert [style["preview_ready"] for style in group["styles"]] == [True] * len(paths)
    assert client.get(group["styles"][1]["preview"]).status_code == 200
