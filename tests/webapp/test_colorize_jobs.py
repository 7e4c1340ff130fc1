"""Uploads go through a real Celery worker and come back as full-resolution results."""
import io

import pytest
from PIL import Image

from tests.waiting import wait_for
from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def submit(client, data: bytes, name="photo.png", **extra):
    response = client.post("/tools/colorize/jobs/", {"images": [upload(name, data)], "model": "eccv16", **extra})
    assert response.status_code == 201, response.content
    return Job.objects.get(pk=response.json()["jobs"][0]["id"])


def finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return job if not job.is_active else None


def test_signed_in_upload_is_colorized_at_full_resolution_and_kept(owner_client, owner):
    job = submit(owner_client, grey_photo(301, 203))
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE, job.message
    with job.result.open("rb") as f:
        result = Image.open(io.BytesIO(f.read()))
    assert result.size == (301, 203) and result.mode == "RGB"
    assert Item.objects.get(job=job).owner == owner
    assert job.timings["run_s"] > 0 and job.attempts == 1


def test_an_upload_whose_pixels_cannot_be_decoded_fails_its_job_with_a_sentence(client):
    whole = grey_photo(96, 64, fmt="JPEG")
    # Header, size and structure pass the web process's checks; the pixels stop half way.
    job = submit(client, whole[:len(whole) // 2], name="cut.jpg")
    assert not job.original_prepared  # stored as it came: the web process decoded nothing
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.FAILED
    assert job.message == "This image file is damaged or incomplete, so it cannot be read. Try exporting it again."


def test_result_downloads_as_png_and_jpeg(owner_client):
    job = submit(owner_client, grey_photo())
    wait_for(lambda: finished(job))
    png = owner_client.get(f"/jobs/{job.id}/result/?download=1&format=png")
    jpeg = owner_client.get(f"/jobs/{job.id}/result/?download=1&format=jpeg")
    assert png["Content-Type"] == "image/png" and "attachment" in png["Content-Disposition"]
    assert jpeg["Content-Type"] == "image/jpeg" and jpeg["Content-Disposition"].endswith('.jpg"')
    assert Image.open(io.BytesIO(b"".join(jpeg.streaming_content if jpeg.streaming else [jpeg.content]))).format == "JPEG"


def test_anonymous_visitor_can_try_but_keeps_nothing(client):
    job = submit(client, grey_photo())
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE and job.owner is None
    assert client.get(f"/jobs/{job.id}/result/").status_code == 200
    assert not Item.objects.exists()


def test_siggraph17_job_records_its_hints(owner_client):
    hints = '[{"x": 0.5, "y": 0.5, "color": "#ff0000"}]'
    response = owner_client.post("/tools/colorize/jobs/", {
        "images": [upload("p.png", grey_photo())], "model": "siggraph17", "hints": hints})
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE, job.message
    assert job.params["hints"][0]["color"].lower() == "#ff0000"


def test_page_reload_rebuilds_job_state_from_the_database(owner_client):
    job = submit(owner_client, grey_photo())
    wait_for(lambda: finished(job))
    page = owner_client.get("/tools/colorize/").content.decode()
    assert str(job.id) in page and '"status": "done"' in page
