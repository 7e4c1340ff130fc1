"""The interpolation slider: a start mixed towards a second random face, live and in a saved (re-runnable) job."""
import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync

from webapp.studio.models import Job

from .conftest import grey_photo, upload
from .test_edit_save import result_of
from .test_edit_stream import MODEL, next_message, picture, socket

pytestmark = [pytest.mark.django_db(transaction=True)]

STROKES = [{"points": [[0.3, 0.4], [0.6, 0.4]], "colour": "#e0c040", "radius": 0.1}]


async def start_picture(ws, seq: int, **start) -> np.ndarray:
    await ws.send_to(text_data=json.dumps({"type": "start", "model": MODEL, **start}))
    reply = await next_message(ws)
    assert reply["type"] == "start" and reply["mix"] == start.get("mix", 0.0), reply
    _, image = await picture(ws, seq, 0, [])
    return image


@pytest.mark.usefixtures("live_worker", "patient")
def test_the_slider_goes_from_the_first_face_to_the_second():
    @async_to_sync
    async def scenario():
        ws = socket()
        assert (await ws.connect())[0]
        first = await start_picture(ws, 1, seed=7)
        second = await start_picture(ws, 2, seed=11)
        at = {t: await start_picture(ws, 3 + i, seed=7, mix_seed=11, mix=t) for i, t in enumerate((0.0, 0.5, 1.0))}
        await ws.send_to(text_data=json.dumps({"type": "start", "model": MODEL, "seed": 7, "mix_seed": 11, "mix": 2}))
        assert (await next_message(ws))["type"] == "error"  # out of range; the socket stays open
        await ws.disconnect()
        return first, second, at

    first, second, at = scenario()
    assert np.abs(first - second).mean() > 5  # two different faces
    assert np.array_equal(at[0.0], first)
    assert np.abs(at[1.0] - second).max() <= 1
    assert np.abs(at[0.5] - first).mean() > 2 and np.abs(at[0.5] - second).mean() > 2


@pytest.fixture
def patient(settings):
    settings.LIVE_FRAME_TIMEOUT_S = 300


@pytest.mark.usefixtures("celery_worker")
def test_a_saved_mix_renders_what_the_pipeline_renders(owner_client, owner):
    from inference.engine import load_nets
    from inference.pipelines.edit import EditOptions, render, strokes_from_json
    from inference.registry import get_spec

    response = owner_client.post("/tools/edit/jobs/", {
        "images": [upload("face.png", grey_photo(64, 64, seed=2))], "model": MODEL, "seed": "7", "mix_seed": "11",
        "mix": "0.4", "strokes": json.dumps(STROKES)})
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    assert (job.params["mix_seed"], job.params["mix"]) == (11, 0.4)
    result = result_of(job)
    nets = load_nets(get_spec(MODEL))
    mixed = np.asarray(render(None, nets, EditOptions(strokes_from_json(STROKES), seed=7, mix_seed=11, mix=0.4)))
    unmixed = np.asarray(render(None, nets, EditOptions(strokes_from_json(STROKES), seed=7)))
    assert np.abs(result.astype(int) - mixed.astype(int)).max() <= 1
    assert np.abs(result.astype(int) - unmixed.astype(int)).mean() > 2
    assert np.array_equal(result_of(job.rerun(owner=owner)), result)
