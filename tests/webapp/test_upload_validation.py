"""Every refused upload gets a clear message and a 400, never a 500, and nothing is stored."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from webapp.studio.models import Job
from webapp.studio.tools import open_original

from .conftest import grey_photo, upload

URL = "/tools/colorize/jobs/"
pytestmark = pytest.mark.usefixtures("installed_models")


def post(client, *files, **data):
    return client.post(URL, {"images": list(files), "model": "eccv16", **data})


def only_error(response) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["jobs"] == []
    return " ".join(e["message"] for e in body["errors"])


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_text_file_named_png_is_refused(client, db):
    message = only_error(post(client, upload("notes.png", b"this is not an image at all")))
    assert "not an image" in message.lower()


def test_truncated_png_is_refused(client, db):
    message = only_error(post(client, upload("cut.png", grey_photo()[:200])))
    assert message


def test_gif_is_refused_with_the_allowed_formats(client, db):
    buf = io.BytesIO()
    Image.new("L", (20, 20), 128).save(buf, "GIF")
    message = only_error(post(client, upload("anim.gif", buf.getvalue(), "image/gif")))
    assert "PNG" in message and "JPEG" in message


def test_file_over_the_byte_cap_is_refused(client, db, settings):
    settings.MAX_UPLOAD_MB = 1
    noise = np.random.default_rng(0).integers(0, 255, (1200, 1200), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise, "L").save(buf, "PNG")
    assert len(buf.getvalue()) > 1024 * 1024
    message = only_error(post(client, upload("big.png", buf.getvalue())))
    assert "MB" in message


def test_image_over_the_pixel_cap_is_refused(client, db, settings):
    settings.MAX_UPLOAD_MEGAPIXELS = 0.001
    message = only_error(post(client, upload("photo.png", grey_photo(96, 64))))
    assert "megapixel" in message.lower()


def test_decompression_bomb_is_refused_without_decoding(client, db):
    message = only_error(post(client, upload("bomb.png", png_claiming(60000, 60000))))
    assert "megapixel" in message.lower() or "too large" in message.lower()


def test_no_file_is_refused(client, db):
    assert "at least one image" in only_error(client.post(URL, {"model": "eccv16"}))


def test_too_many_files_are_refused(client, db, settings):
    settings.MAX_UPLOAD_FILES = 2
    files = [upload(f"p{i}.png", grey_photo(seed=i)) for i in range(3)]
    assert "At most 2" in only_error(post(client, *files))


def test_unknown_model_is_refused(client, db):
    message = only_error(client.post(URL, {"images": [upload("p.png", grey_photo())], "model": "nope"}))
    assert "nope" in message


def test_malformed_hints_are_refused(client, db):
    message = only_error(post(client, upload("p.png", grey_photo()), hints="{not json"))
    assert "hints" in message.lower()


def test_refusals_store_nothing(client, db):
    post(client, upload("notes.png", b"not an image"))
    assert Job.objects.count() == 0


def test_one_bad_file_does_not_stop_the_good_ones(client, db):
    response = post(client, upload("good.png", grey_photo()), upload("bad.png", b"nope"))
    assert response.status_code == 201
    body = response.json()
    assert len(body["jobs"]) == 1 and body["errors"][0]["file"] == "bad.png"


def prepared_by_its_worker(job_id) -> Job:
    """The job once its worker has decoded and prepared the upload, as it does first when the job runs
    (tools.open_original; the web process stores the checked file as it came and decodes nothing)."""
    job = Job.objects.get(pk=job_id)
    assert not job.original_prepared
    assert job.mark_running()
    open_original(job)
    job.refresh_from_db()
    assert job.original_prepared
    return job


def test_colour_photo_is_converted_to_grey_and_the_page_says_so(client, db):
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[..., 2] = np.linspace(0, 255, 60, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG")
    body = post(client, upload("colour.png", buf.getvalue())).json()
    job = prepared_by_its_worker(body["jobs"][0]["id"])
    assert "converted to grey" in job.as_event()["notice"]
    with job.original.open("rb") as f:
        stored = Image.open(f)
        stored.load()
    assert stored.mode == "L"


def test_exif_orientation_is_applied_and_metadata_is_stripped(client, db):
    image = Image.fromarray(np.tile(np.arange(80, dtype=np.uint8), (40, 1)), "L")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes())
    body = post(client, upload("phone.jpg", buf.getvalue(), "image/jpeg")).json()
    job = prepared_by_its_worker(body["jobs"][0]["id"])
    assert (job.width, job.height) == (40, 80)
    with job.original.open("rb") as f:
        data = f.read()
    stored = Image.open(io.BytesIO(data))
    assert not stored.getexif() and b"GPS" not in data and "exif" not in stored.info


def test_stored_names_are_random_not_the_upload_name(client, db):
    body = post(client, upload("my-private-name.png", grey_photo())).json()
    job = Job.objects.get(pk=body["jobs"][0]["id"])
    assert "my-private-name" not in job.original.name
