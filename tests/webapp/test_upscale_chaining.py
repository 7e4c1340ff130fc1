"""'Upscale this': a finished result becomes an Upscale job's input on the server, and the chain is kept."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import make_item

pytestmark = pytest.mark.django_db


def pixels(field) -> tuple:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        return image.size, image.convert("RGB").tobytes()


def chain(client, parent: Job, model: str, **extra):
    return client.post(reverse("chain_job", args=[parent.pk, "upscale"]), {"model": model, **extra})


def finish(job: Job, picture: Image.Image) -> Item:
    """Finish a queued job through the real domain methods, as the worker would (on_commit never
    fires inside the `db` fixture's transaction, so nothing is queued)."""
    assert job.mark_running()
    job.store_samples([picture])
    assert job.mark_done({"run_s": 0.1, "queued_s": 0.0})
    return Item.objects.get(job=job)


def test_chaining_from_a_colorize_result_takes_that_result_as_the_original(owner_client, owner, upscale_models):
    parent = make_item(owner, name="grandma.png").job
    response = chain(owner_client, parent, upscale_models["sampler"], samples="2", temperature="0.5")
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    assert job.tool == "upscale" and job.parent == parent and job.parent_sample == 0
    assert job.original.name != parent.result.name  # a copy: deleting the parent leaves it intact
    assert pixels(job.original) == pixels(parent.result)
    assert job.original_name == "grandma.png" and job.params["samples"] == 2
    assert response.json()["jobs"][0]["parent_id"] == str(parent.pk)


def test_the_upscale_page_offers_the_chosen_result_as_its_input(owner_client, owner):
    parent = make_item(owner).job
    page = owner_client.get(reverse("tool", args=["upscale"]), {"from": str(parent.pk), "sample": "0"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-chain-url="{reverse("chain_job", args=[parent.pk, "upscale"])}"' in html
    assert reverse("job_sample", args=[parent.pk, 0]) in html
    assert page.context["chain_from"]["job"] == parent


def test_strangers_get_404_for_chaining_someone_elses_result(stranger_client, owner, upscale_models):
    parent = make_item(owner).job
    assert chain(stranger_client, parent, upscale_models["sampler"]).status_code == 404
    page = stranger_client.get(reverse("tool", args=["upscale"]), {"from": str(parent.pk)})
    assert page.status_code == 404
    assert Job.objects.count() == 1


def test_a_picture_that_does_not_exist_cannot_be_chained(owner_client, owner, upscale_models):
    parent = make_item(owner).job
    response = chain(owner_client, parent, upscale_models["sampler"], sample="3")
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"][0]["message"]
    assert owner_client.get(reverse("tool", args=["upscale"]), {"from": str(parent.pk), "sample": "3"}).status_code == 404
    assert Job.objects.count() == 1


def test_the_item_page_shows_the_chain_with_links(owner_client, owner, upscale_models):
    first = make_item(owner, name="sketch.png")
    response = chain(owner_client, first.job, upscale_models["sampler"])
    upscaled = finish(Job.objects.get(pk=response.json()["jobs"][0]["id"]), Image.new("RGB", (32, 32), "red"))

    steps = upscaled.chain()
    assert [s.title for s in steps] == ["colorize input", "colorize", "upscale"]
    assert [s.url for s in steps] == [first.get_absolute_url(), first.get_absolute_url(), upscaled.get_absolute_url()]
    assert [s.current for s in steps] == [False, False, True]
    page = owner_client.get(upscaled.get_absolute_url()).content.decode()
    assert 'id="chain"' in page and f'href="{first.get_absolute_url()}"' in page
    assert reverse("gallery:item_sample", args=[first.pk, 0]) in page
    # ... and the picture it started from links forward to what was made of it
    page = owner_client.get(first.get_absolute_url()).content.decode()
    assert f'href="{upscaled.get_absolute_url()}"' in page


def test_rerunning_a_chained_item_reruns_that_step_with_its_own_input_and_settings(owner_client, owner, upscale_models):
    parent = make_item(owner).job
    response = chain(owner_client, parent, upscale_models["sampler"], samples="3", temperature="1.2", seed="11")
    chained = finish(Job.objects.get(pk=response.json()["jobs"][0]["id"]), Image.new("RGB", (32, 32), "blue"))

    response = owner_client.post(reverse("gallery:item_rerun", args=[chained.pk]))
    assert response.status_code == 302 and response.url == reverse("tool", args=["upscale"])
    rerun = Job.objects.exclude(pk__in=[parent.pk, chained.job_id]).get()
    assert rerun.tool == "upscale" and rerun.model_name == upscale_models["sampler"]
    assert rerun.params == {"temperature": 1.2, "samples": 3, "seed": 11}
    assert rerun.parent == parent  # the same step of the same chain
    assert pixels(rerun.original) == pixels(chained.job.original) == pixels(parent.result)


def test_a_deleted_parent_leaves_the_chained_result_whole(owner_client, owner, upscale_models):
    parent = make_item(owner)
    response = chain(owner_client, parent.job, upscale_models["sampler"])
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    parent.remove()
    job.refresh_from_db()
    assert job.parent is None and job.original.storage.exists(job.original.name)


def test_every_gallery_thumbnail_offers_upscale_this_for_its_own_result(owner_client, owner):
    items = [make_item(owner, name=f"p{i}.png", seed=i) for i in range(2)]
    page = owner_client.get(reverse("gallery:index")).content.decode()
    for item in items:
        link = f"{reverse('tool', args=['upscale'])}?from={item.job.pk}&amp;sample=0"
        assert link in page
    upscale_page = owner_client.get(items[0].job.upscale_url())
    assert upscale_page.status_code == 200 and reverse("chain_job", args=[items[0].job.pk, "upscale"]) in \
        upscale_page.content.decode()
