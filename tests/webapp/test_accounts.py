"""Sign up, log in, log out; a visitor who signs up keeps what they made."""
import pytest
from django.contrib.auth import get_user_model
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
