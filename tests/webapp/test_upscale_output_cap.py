"""A photo whose upscaled result would exceed the output cap is refused before anything is stored or queued."""
import pytest
from django.urls import reverse

from webapp.studio.models import Job

from .conftest import grey_photo, make_item, upload

pytestmark = pytest.mark.django_db


def stored_files(settings) -> set:
    return {p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()}


def test_an_upload_over_the_output_cap_is_refused_with_the_largest_size_that_fits(owner_client, settings,
                                                                                   upscale_models):
    settings.UPSCALE_MAX_OUTPUT_MEGAPIXELS = 0.5
    before = stored_files(settings)
    response = owner_client.post(reverse("submit_jobs", args=["upscale"]), {
        "images": [upload("big.png", grey_photo(300, 200))], "model": upscale_models["photo"]})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"file": "big.png", "message": (
        "Upscaled ×4, this 300 × 200 photo would be 1200 × 800 pixels (0.96 megapixels); the limit is "
        "0.5 megapixels, so the largest photo of this shape that fits is 216 × 144 pixels.")}]
    assert not Job.objects.exists() and stored_files(settings) == before


def test_the_cap_holds_for_chained_results_and_not_for_the_fixed_size_sampler(owner_client, owner, settings,
                                                                              upscale_models):
    parent = make_item(owner).job  # a 96 × 64 result
    settings.UPSCALE_MAX_OUTPUT_MEGAPIXELS = 0.05
    before = stored_files(settings)
    url = reverse("chain_job", args=[parent.pk, "upscale"])
    response = owner_client.post(url, {"model": upscale_models["photo"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("Upscaled ×4, this 96 × 64 photo would be 384 × 256")
    assert Job.objects.count() == 1 and stored_files(settings) == before
    # PRSR draws 32 × 32 whatever the input: nothing to refuse
    assert owner_client.post(url, {"model": upscale_models["sampler"]}).status_code == 201


def test_a_photo_within_the_cap_is_accepted(owner_client, settings, upscale_models):
    settings.UPSCALE_MAX_OUTPUT_MEGAPIXELS = 0.5
    response = owner_client.post(reverse("submit_jobs", args=["upscale"]), {
        "images": [upload("fits.png", grey_photo(150, 100))], "model": upscale_models["photo"]})
    assert response.status_code == 201, response.content
