""""Continue editing": a saved edit opens the Edit page with its start, strokes and settings; strangers get 404."""
import html
import io
import json
import re

import pytest
from django.urls import reverse
from PIL import Image

from .conftest import grey_photo

PARAMS = {"seed": None, "mix_seed": 11, "mix": 0.25, "steps": 6, "step_size": 9.0, "mask_sigma": 2.0,
          "mask_gain": 6.0, "mask_floor": 0.03,
          "strokes": [{"points": [[0.3, 0.4]], "colour": [224, 192, 64], "radius": 0.1},
                      {"points": [[0.3, 0.4], [0.6, 0.4]], "colour": [224, 192, 64], "radius": 0.1}]}


@pytest.fixture
def saved_edit(owner):
    from webapp.gallery.models import Item
    from webapp.studio.models import Job

    image = Image.open(io.BytesIO(grey_photo(64, 64, seed=3))).convert("RGB")
    job = Job.submit(owner=owner, visitor="", tool="edit", model_name="npe-faces", params=PARAMS, image=image,
                     original_name="face.png")
    assert job.mark_running()
    job.store_result(image)
    assert job.mark_done({"run_s": 0.1, "queued_s": 0.0})
    return Item.keep(job)


def embedded(response) -> dict:
    match = re.search(r'id="edit-page"[^>]*\sdata-from="([^"]*)"', response.content.decode())
    assert match, "no data-from on the Edit page"
    return json.loads(html.unescape(match.group(1)))


@pytest.mark.django_db
def test_the_owner_continues_a_saved_edit(owner_client, saved_edit):
    job = saved_edit.job
    item_page = owner_client.get(reverse("gallery:item", args=[saved_edit.pk])).content.decode()
    assert f'href="{html.escape(job.edit_url())}"' in item_page and "Continue editing" in item_page
    assert job.as_event()["edit_url"] == job.edit_url()

    response = owner_client.get(job.edit_url())
    assert response.status_code == 200
    saved = embedded(response)
    assert {key: saved[key] for key in PARAMS} == PARAMS
    assert saved["model"] == "npe-faces"
    # A photo edit restarts from the stored original (the job's own file, ownership-checked there too).
    assert saved["photo_url"] == reverse("job_file", args=[job.pk, "original"])
    assert owner_client.get(saved["photo_url"]).status_code == 200
    assert 'data-from=' not in owner_client.get(reverse("tool", args=["edit"])).content.decode()


@pytest.mark.django_db
def test_strangers_and_other_tools_jobs_get_404(owner_client, stranger_client, saved_edit, owner):
    from .conftest import make_item

    url = saved_edit.job.edit_url()
    assert stranger_client.get(url).status_code == 404
    other = make_item(owner).job
    assert other.edit_url() == ""
    assert owner_client.get(f"{reverse('tool', args=['edit'])}?from={other.pk}").status_code == 404
    assert owner_client.get(f"{reverse('tool', args=['edit'])}?from=not-a-uuid").status_code == 404
