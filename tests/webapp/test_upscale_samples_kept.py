"""A PRSR job draws several samples as one batch, and the gallery keeps every one of them."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from tests.waiting import wait_for
from webapp.gallery.models import Item
from webapp.studio.models import Job, JobSample

from .conftest import upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def small_face(size: int = 16) -> bytes:
    from inference.data.faces import face

    image, _ = face(seed=3, size=64)
    buf = io.BytesIO()
    image.resize((size, size), Image.Resampling.BOX).save(buf, "PNG")
    return buf.getvalue()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def upscale(client, model: str, **settings):
    response = client.post(reverse("submit_jobs", args=["upscale"]),
                           {"images": [upload("face.png", small_face())], "model": model, **settings})
    assert response.status_code == 201, response.content
    return Job.objects.get(pk=response.json()["jobs"][0]["id"])


def finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return job if not job.is_active else None


def test_three_samples_are_three_different_pictures_kept_in_the_gallery(owner_client, stranger_client, upscale_models):
    job = upscale(owner_client, upscale_models["sampler"], temperature="1", samples="3", seed="7")
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE, job.message
    assert job.params == {"temperature": 1.0, "samples": 3, "seed": 7}

    item = Item.objects.get(job=job)
    pictures = item.pictures()
    assert [p["index"] for p in pictures] == [0, 1, 2]
    files = [body(owner_client.get(p["url"])) for p in pictures]
    assert len(set(files)) == 3  # three stored files, and three different pictures
    images = [Image.open(io.BytesIO(data)) for data in files]
    assert {im.size for im in images} == {(32, 32)}
    assert len({im.tobytes() for im in images}) == 3
    assert files[0] == body(owner_client.get(reverse("gallery:item_file", args=[item.pk, "result"])))

    event = job.as_event()
    assert [s["url"] for s in event["samples"]] == [reverse("job_sample", args=[job.pk, i]) for i in range(3)]
    page = owner_client.get(item.get_absolute_url()).content.decode()
    assert all(p["url"] in page and p["upscale_url"].replace("&", "&amp;") in page for p in pictures)

    for url in [p["url"] for p in pictures] + [s["url"] for s in event["samples"]]:
        assert stranger_client.get(url).status_code == 404, url


def test_deleting_the_result_removes_every_sample_file(owner_client, upscale_models):
    job = upscale(owner_client, upscale_models["sampler"], samples="3")
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE, job.message
    stored = [job.result] + [sample.image for sample in JobSample.objects.filter(job=job)]
    assert len(stored) == 3 and all(f.storage.exists(f.name) for f in stored)
    owner_client.post(reverse("gallery:item_delete", args=[job.gallery_item.pk]))
    assert not JobSample.objects.filter(job_id=job.pk).exists()
    assert not any(f.storage.exists(f.name) for f in stored)


def test_temperature_zero_draws_the_most_likely_picture_for_every_seed(owner_client, upscale_models):
    job = upscale(owner_client, upscale_models["sampler"], temperature="0", samples="2", seed="5")
    wait_for(lambda: finished(job))
    assert job.status == Job.Status.DONE, job.message
    first, second = [body(owner_client.get(s["url"])) for s in job.as_event()["samples"]]
    assert first == second
