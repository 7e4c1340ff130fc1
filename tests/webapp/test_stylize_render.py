"""A full-resolution Stylize render runs as a batch job, lands in the gallery and re-runs with its blend."""
import io

import numpy as np
import pytest
from PIL import Image

from tests.waiting import wait_for
from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "style_models")]


def photo(size=(333, 250)) -> bytes:
    y, x = np.mgrid[0:size[1], 0:size[0]]
    rgb = np.stack([x % 255, y % 255, (x + y) % 255], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def finished(job):
    job.refresh_from_db()
    return not job.is_active


def test_render_is_full_resolution_kept_and_re_runnable(owner_client, owner, style_models):
    import json

    blend = {"model": style_models["multi"], "weights": {"0": 0.5, "1": 0.5}, "strength": 0.8,
             "preserve_colour": "none"}
    response = owner_client.post("/tools/stylize/jobs/", {"images": [upload("city.png", photo())],
                                                          "model": blend["model"], "blend": json.dumps(blend)})
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    wait_for(lambda: finished(job), timeout=120)
    assert job.status == Job.Status.DONE, job.message
    with job.result.open("rb") as f:
        assert Image.open(io.BytesIO(f.read())).size == (333, 250)
    item = Item.objects.get(job=job)
    assert "Strength: 80 %" in owner_client.get(f"/gallery/items/{item.pk}/").content.decode()  # settings in words

    owner_client.post(f"/gallery/items/{item.pk}/rerun/")
    again = Job.objects.exclude(pk=job.pk).get()
    wait_for(lambda: finished(again), timeout=120)
    assert again.status == Job.Status.DONE and again.params == job.params
    with job.result.open("rb") as a, again.result.open("rb") as b:
        assert a.read() == b.read()  # the same blend paints the same picture
