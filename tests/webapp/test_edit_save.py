"""Saving an edit is a batch job: the same picture as pipelines.edit.render for the same start and strokes; re-run."""
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.waiting import wait_for
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

STROKES = [{"points": [[0.3, 0.4], [0.6, 0.4]], "colour": "#e0c040", "radius": 0.1},
           {"points": [[0.5, 0.8]], "colour": [20, 20, 200], "radius": 0.06}]


def result_of(job: Job) -> np.ndarray:
    wait_for(lambda: (job.refresh_from_db() or not job.is_active), timeout=120)
    assert job.status == Job.Status.DONE, job.message
    with job.result.open("rb") as f:
        return np.asarray(Image.open(io.BytesIO(f.read())).convert("RGB"))


def expected(image_bytes: bytes | None, seed: int | None) -> np.ndarray:
    from inference.engine import load_nets
    from inference.pipelines.edit import EditOptions, render, strokes_from_json
    from inference.registry import get_spec

    image = Image.open(io.BytesIO(image_bytes)) if image_bytes else None
    options = EditOptions(strokes=strokes_from_json(STROKES), seed=seed)
    return np.asarray(render(image, load_nets(get_spec("npe-faces")), options))


@pytest.mark.parametrize("seed", [11, None])
def test_saved_edit_renders_what_the_pipeline_renders_and_reruns(owner_client, owner, seed):
    photo = grey_photo(96, 80, seed=4)
    response = owner_client.post("/tools/edit/jobs/", {
        "images": [upload("face.png", photo)], "model": "npe-faces", "seed": "" if seed is None else str(seed),
        "strokes": json.dumps(STROKES)})
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    result = result_of(job)
    assert job.params["seed"] == seed and len(job.params["strokes"]) == 2 and job.params["steps"] == 4
    # Rendered in another process: equal up to a rounding step of float arithmetic.
    assert np.abs(result.astype(int) - expected(photo, seed).astype(int)).max() <= 1
    again = job.rerun(owner=owner)
    assert np.array_equal(result_of(again), result)


def test_bad_strokes_are_refused_with_a_message(owner_client):
    response = owner_client.post("/tools/edit/jobs/", {
        "images": [upload("f.png", grey_photo())], "model": "npe-faces",
        "strokes": json.dumps([{"points": [[0.5]], "colour": "#ffffff"}])})
    assert response.status_code == 400 and "stroke 1" in response.json()["errors"][0]["message"]
