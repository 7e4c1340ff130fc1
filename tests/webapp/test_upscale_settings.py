"""Upscale's settings are checked before anything is stored: temperature 0..2, 1..8 samples, a seed."""
import pytest
from django.urls import reverse

from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = pytest.mark.django_db


def post(client, model, **settings):
    return client.post(reverse("submit_jobs", args=["upscale"]),
                       {"images": [upload("p.png", grey_photo(16, 16))], "model": model, **settings})


@pytest.mark.parametrize("settings, message", [
    ({"temperature": "2.5"}, "The temperature must be between 0 and 2."),
    ({"temperature": "-0.1"}, "The temperature must be between 0 and 2."),
    ({"temperature": "nan"}, "The temperature must be a number."),
    ({"temperature": "warm"}, "The temperature must be a number."),
    ({"samples": "9"}, "The number of samples must be between 1 and 8."),
    ({"samples": "0"}, "The number of samples must be between 1 and 8."),
    ({"seed": "1.5"}, "The seed must be a whole number."),
])
def test_settings_out_of_range_are_refused_with_a_sentence(owner_client, upscale_models, settings, message):
    response = post(owner_client, upscale_models["sampler"], **settings)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == message
    assert not Job.objects.exists()


def test_edges_are_accepted_and_a_missing_seed_is_chosen_and_kept(owner_client, upscale_models):
    response = post(owner_client, upscale_models["sampler"], temperature="0", samples="8")
    assert response.status_code == 201, response.content
    params = Job.objects.get().params
    assert params["temperature"] == 0.0 and params["samples"] == 8 and isinstance(params["seed"], int)


def test_an_rrdbnet_job_keeps_no_sampler_settings(owner_client, upscale_models):
    response = post(owner_client, upscale_models["photo"], temperature="1.5", samples="4")
    assert response.status_code == 201, response.content
    assert Job.objects.get().params == {}
