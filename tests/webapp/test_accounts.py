"""Sign up, log in, log out; a visitor who signs up keeps what they made."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image

from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = pytest.mark.django_db


def test_sign_up_logs_the_new_user_in(client):
    response = client.post("/accounts/signup/", {"username": "ada", "password1": "an-engine-1843",
                                                 "password2": "an-engine-1843"})
    assert response.status_code == 302
    assert "ada" in client.get("/").content.decode()


def test_weak_password_is_refused_with_a_message(client):
    page = client.post("/accounts/signup/", {"username": "bob", "password1": "123", "password2": "123"}).content
    assert b"too short" in page and not get_user_model().objects.filter(username="bob").exists()


def test_log_in_and_log_out(client, owner):
    assert client.post("/accounts/login/", {"username": "owner", "password": "pw-owner-123"}).status_code == 302
    assert "Log out" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert "Log in" in client.get("/").content.decode()


@pytest.mark.usefixtures("installed_models")
def test_visitor_jobs_move_to_the_account_made_after_them(client):
    client.post("/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo())], "model": "eccv16"})
    job = Job.objects.get()
    assert job.owner is None and job.visitor
    job.mark_running()
    job.store_result(Image.new("RGB", (96, 64)))
    job.mark_done({"run_s": 0.1, "queued_s": 0})
    client.post("/accounts/signup/", {"username": "newbie", "password1": "an-engine-1843",
                                      "password2": "an-engine-1843"})
    job.refresh_from_db()
    assert job.owner.username == "newbie" and job.visitor == ""
    assert Item.objects.get(job=job).owner == job.owner


def test_anonymous_visitor_sees_the_tools_and_an_invitation_to_sign_up(client):
    page = client.get("/tools/colorize/").content.decode()
    assert "Sign up" in page and "keep them" in page


def _tag(page: str, element_id: str) -> str:
    """The opening tag of the element with `element_id`."""
    match = re.search(rf'<[a-z]+[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, element_id
    return match.group(0)


def test_sign_up_errors_stand_under_their_field_and_are_named_by_it(client):
    page = client.post(reverse("signup"), {"username": "cy", "password1": "a-long-pass-1234",
                                           "password2": "another-pass-5678"}).content.decode()
    field = _tag(page, "id_password2")
    assert 'aria-invalid="true"' in field and "id_password2_errors" in field
    errors = page[page.index('id="id_password2_errors"'):]
    assert "didn’t match" in errors[:300] or "didn't match" in errors[:300]
    # The error sits in the field's own group, before the next field's label.
    assert page.index('for="id_password2"') < page.index('id="id_password2_errors"')
    assert 'aria-invalid' not in _tag(page, "id_username")


def test_a_wrong_password_is_announced_above_the_fields(client, owner):
    page = client.post(reverse("login"), {"username": "owner", "password": "not-it"}).content.decode()
    alert = _tag(page, "form-errors")
    assert 'role="alert"' in alert and "correct username and password" in page
