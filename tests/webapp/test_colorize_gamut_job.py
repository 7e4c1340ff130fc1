"""The Colorize job records its gamut mapping and renders exactly what the pipeline gives with it."""
import io

import numpy as np
import pytest
from PIL import Image

from inference.engine import load_net
from inference.pipelines.colorize import colorize
from inference.registry import get_spec
from tests.waiting import wait_for
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def _post(client, **extra):
    return client.post("/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo(80, 56))], "model": "eccv16", **extra})


def _done(response) -> Job:
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])

    def finished():
        job.refresh_from_db()
        return not job.is_active

    wait_for(finished)
    assert job.status == Job.Status.DONE, job.message
    return job


def _open(field) -> Image.Image:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


@pytest.mark.parametrize("gamut", ["clip", "preserve-luminance"])
def test_a_job_with_a_gamut_mapping_records_it_and_equals_the_pipeline(owner_client, gamut):
    job = _done(_post(owner_client, gamut=gamut))
    assert job.params["gamut"] == gamut
    spec = get_spec("eccv16")
    expected = colorize(_open(job.original), load_net(spec), input_size=spec.input_size, gamut=gamut)
    assert np.array_equal(np.asarray(_open(job.result)), np.asarray(expected))


def test_without_a_choice_the_job_records_the_default(owner_client):
    job = _done(_post(owner_client))
    assert job.params["gamut"] == "preserve-luminance"


def test_an_unknown_gamut_is_refused_with_the_choices(owner_client):
    response = _post(owner_client, gamut="vivid")
    assert response.status_code == 400, response.content
    assert "'preserve-luminance' or 'clip'" in " ".join(e["message"] for e in response.json()["errors"])
    assert not Job.objects.exists()
