"""Login throttling, sign-up and upload rates, security headers, the visitor hand-over and cleanup."""
import io
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from webapp.studio.models import Job

from .conftest import grey_photo, make_item, upload


def fresh_address() -> str:
    # Rate-limit counters live in Redis across tests: each test counts from an address of its own.
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_many_wrong_passwords_lock_the_login_even_for_the_right_one(client_factory, db, url_name, settings):
    get_user_model().objects.create_superuser("victim", password="the-right-one-77")
    client = client_factory(REMOTE_ADDR=fresh_address())
    url = reverse(url_name)
    statuses = [client.post(url, {"username": "victim", "password": f"wrong-{n}"}).status_code for n in range(40)]
    assert 429 in statuses[:settings.AXES_FAILURE_LIMIT + 1]
    response = client.post(url, {"username": "victim", "password": "the-right-one-77"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_ups_from_one_address_are_limited(client_factory, db, settings):
    settings.SIGNUP_RATE = "3/h"
    client = client_factory(REMOTE_ADDR=fresh_address())
    statuses = []
    for n in range(8):
        statuses.append(client.post(reverse("signup"), {"username": f"bot{n}", "password1": "an-engine-1843",
                                                        "password2": "an-engine-1843"}).status_code)
        client.logout()
    assert statuses[:3] == [302] * 3
    assert set(statuses[3:]) == {429}
    assert get_user_model().objects.filter(username__startswith="bot").count() == 3


def test_uploads_per_visitor_are_limited(client_factory, db, settings, installed_models):
    settings.UPLOAD_RATE = "2/h"
    client = client_factory(REMOTE_ADDR=fresh_address())
    client.get(reverse("tool", args=["colorize"]))
    url = reverse("submit_jobs", args=["colorize"])
    statuses = [client.post(url, {"images": [upload("p.png", grey_photo())], "model": "eccv16"}).status_code
                for _ in range(4)]
    assert statuses[2:] == [429, 429] and all(s < 400 for s in statuses[:2])
    assert Job.objects.count() == 2


def test_pages_carry_a_content_security_policy_and_a_permissions_policy(client, db):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_templates_have_no_inline_scripts_or_styles():
    for path in Path("templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=|<style", text), path
        assert not re.search(r"\son[a-z]+=", text), path  # inline event handlers


def test_shared_files_are_not_cacheable(owner, client_factory):
    from webapp.gallery.models import ShareLink

    item = make_item(owner)
    link = ShareLink.objects.create(item=item, owner=owner)
    client = client_factory()
    for url in [reverse("shared", args=[link.token]),
                reverse("shared_file", args=[link.token, item.pk, "result"])]:
        cache = client.get(url)["Cache-Control"]
        assert "no-store" in cache and "max-age=3600" not in cache, (url, cache)


@pytest.mark.usefixtures("installed_models")
def test_a_planted_session_hands_nothing_over_at_login(client_factory, owner):
    attacker = client_factory()
    attacker.get(reverse("tool", args=["colorize"]))
    attacker.post(reverse("submit_jobs", args=["colorize"]), {"images": [upload("p.png", grey_photo())],
                                                               "model": "eccv16"})
    planted = attacker.cookies["sessionid"].value
    victim = client_factory()
    victim.cookies["sessionid"] = planted  # the attacker's session id, without the attacker's visitor cookie
    victim.post(reverse("login"), {"username": "owner", "password": "pw-owner-123"})
    assert "_auth_user_id" in victim.session
    job = Job.objects.get()
    assert job.owner is None  # still the attacker's, never in the victim's gallery
    assert not Job.objects.filter(owner=owner).exists()


@pytest.mark.usefixtures("installed_models")
def test_the_visitors_own_browser_keeps_its_work_at_login(client, owner):
    client.get(reverse("tool", args=["colorize"]))
    client.post(reverse("submit_jobs", args=["colorize"]), {"images": [upload("p.png", grey_photo())],
                                                             "model": "eccv16"})
    old_session = client.cookies["sessionid"].value
    client.post(reverse("login"), {"username": "owner", "password": "pw-owner-123"})
    assert client.cookies["sessionid"].value != old_session
    assert Job.objects.get().owner == owner


@pytest.mark.django_db(transaction=True)
def test_idle_visitors_work_and_files_are_cleaned_up():
    image = Image.open(io.BytesIO(grey_photo()))
    old = Job.submit(owner=None, visitor="gone", tool="colorize", model_name="eccv16", params={}, image=image)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30), status="done")
    kept = Job.submit(owner=None, visitor="here", tool="colorize", model_name="eccv16", params={}, image=image)
    Job.objects.filter(pk=kept.pk).update(status="done")
    gone, here = Path(old.original.path), Path(kept.original.path)
    call_command("cleanup_visitors", "--max-age-days", "7")
    assert list(Job.objects.values_list("visitor", flat=True)) == ["here"]
    assert not gone.exists() and here.exists()
