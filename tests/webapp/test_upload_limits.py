"""Upload limits: a file stopped at the cap while it is parsed, one MB figure everywhere, a cap on a
whole request, hostile files refused before anything is stored, and download names in any script."""
import io
import json
from types import SimpleNamespace
from urllib.parse import quote

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from webapp.request_limit import RequestBodyLimit
from webapp.studio.models import Job

from .conftest import grey_photo, make_item, upload

pytestmark = pytest.mark.usefixtures("installed_models")


def _noise_png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (side, side), dtype=np.uint8), "L").save(buf, "PNG")
    return buf.getvalue()


def _jobs_url(tool="colorize"):
    return reverse("submit_jobs", args=[tool])


def test_a_file_over_the_cap_is_dropped_while_it_is_parsed(settings):
    settings.MAX_UPLOAD_MB = 1
    big = _noise_png(1200)
    assert len(big) > 1_000_000
    request = RequestFactory().post(_jobs_url(), {"images": [upload("big.png", big), upload("small.png", grey_photo())]})
    assert [f.name for f in request.FILES.getlist("images")] == ["small.png"]
    assert request.oversized_uploads == ["big.png"]


def test_the_page_and_the_refusal_state_the_same_limit(client, db, settings):
    settings.MAX_UPLOAD_MB = 1
    page = client.get(reverse("tool", args=["colorize"])).content.decode()
    assert "up to 1 MB" in page
    response = client.post(_jobs_url(), {"images": [upload("big.png", _noise_png(1200))], "model": "eccv16"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"file": "big.png", "message": "The file is larger than the 1 MB limit."}]
    assert Job.objects.count() == 0


def _multipart(size: int) -> tuple[bytes, bytes]:
    boundary = b"limit-test"
    body = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + b"\0" * size + b"\r\n--" + boundary + b"--\r\n")
    return body, b"multipart/form-data; boundary=" + boundary


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_request_over_the_total_cap_is_refused_with_413_before_django_reads_it(declared):
    body, content_type = _multipart(5000)
    headers = [(b"content-type", content_type), (b"host", b"127.0.0.1")]
    if declared:
        headers.append((b"content-length", str(len(body)).encode()))
    app = RequestBodyLimit(get_asgi_application(), max_bytes=4000)
    response = async_to_sync(HttpCommunicator(app, "POST", _jobs_url(), body=body, headers=headers).get_response)()
    assert response["status"] == 413
    message = json.loads(response["body"])["errors"][0]["message"]
    assert message.startswith("This upload is larger than the 0.004 MB one request may carry")


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


HOSTILE = {
    "animation": (_encoded(Image.new("L", (16, 16)), "WEBP", save_all=True,
                           append_images=[Image.new("L", (16, 16), 255)]), "2 frames"),
    "strip": (_encoded(Image.new("L", (1, 20000)), "PNG"), "1 x 20000 pixels"),
    "polyglot": (_encoded(Image.new("L", (16, 16)), "JPEG") + b"<html><script>alert(1)</script></html>",
                 "after the end of the image"),
}


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("tool", ["colorize", "stylize"])
def test_hostile_files_are_refused_with_a_sentence_and_nothing_is_stored(client, db, kind, tool, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    data, phrase = HOSTILE[kind]
    if tool == "colorize":
        response = client.post(_jobs_url(), {"images": [upload("x.png", data)], "model": "eccv16"})
    else:
        response = client.post(reverse("style_upload"), {"image": upload("x.png", data)})
    assert response.status_code == 400
    assert phrase in response.json()["errors"][0]["message"]
    assert Job.objects.count() == 0 and not any(tmp_path.rglob("*.*"))


def test_a_download_name_in_any_script_uses_rfc_6266_filename_star(client, owner_client, owner):
    item = make_item(owner, name="été 日本.png")
    response = owner_client.get(reverse("job_file", args=[item.job.id, "result"]) + "?download=1")
    disposition = response["Content-Disposition"]
    assert disposition == "attachment; filename*=utf-8''" + quote("été-日本-colorize.png")
    ascii_name = owner_client.get(reverse("job_file", args=[make_item(owner, name="cat.png").job.id, "result"])
                                  + "?download=1&format=jpeg")
    assert ascii_name["Content-Disposition"] == 'attachment; filename="cat-colorize.jpg"'


def test_daphne_leaves_multipart_bodies_to_django():
    # Twisted would parse each multipart POST into request.args in memory (several copies of the
    # body, seconds on the reactor thread), though Daphne never reads them: Django parses uploads,
    # streaming files to disk (webapp/daphne_options.py; bench/upload_memory.py measures it).
    import webapp.asgi  # noqa: F401  (what Daphne loads before it serves)
    from daphne.http_protocol import WebRequest
    from twisted.web.test.requesthelper import DummyChannel

    channel = DummyChannel()
    channel.factory = SimpleNamespace(server=SimpleNamespace(protocol_connected=lambda request: None))
    assert WebRequest(channel)._parsePOSTFormSubmission is False
