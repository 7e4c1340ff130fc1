"""One ownership rule for every owned row: a user owns theirs, a visitor what their token made."""
import io
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from PIL import Image

from webapp.gallery.models import Album, Item, ShareLink
from webapp.studio.models import Job, StyleImage

from .conftest import grey_photo, make_item, upload

pytestmark = pytest.mark.django_db

VISITOR = "v" * 32


def style_image(owner=None, visitor=""):
    return StyleImage.add(owner=owner, visitor=visitor, name="brush", image=Image.open(io.BytesIO(grey_photo())))


def visitor_job(visitor=VISITOR):
    return Job.submit(owner=AnonymousUser(), visitor=visitor, tool="colorize", model_name="eccv16", params={},
                      image=Image.open(io.BytesIO(grey_photo())))


def everything_of(user):
    item = make_item(user)
    album = Album.objects.create(owner=user, name=f"{user.username}'s")
    return {Job: item.job, StyleImage: style_image(user), Item: item, Album: album, ShareLink: item.share()}


def test_a_user_owns_their_own_rows_of_every_kind_and_nothing_else(owner, stranger):
    mine, theirs = everything_of(owner), everything_of(stranger)
    for model in (Job, StyleImage, Item, Album, ShareLink):
        assert list(model.objects.owned_by(owner)) == [mine[model]], model
        assert list(model.objects.owned_by(stranger)) == [theirs[model]], model


def test_a_visitor_owns_what_their_token_made_and_nothing_of_members(owner):
    everything_of(owner)
    job, style = visitor_job(), style_image(visitor=VISITOR)
    other_job = visitor_job("w" * 32)
    assert list(Job.objects.owned_by(AnonymousUser(), VISITOR)) == [job]
    assert list(StyleImage.objects.owned_by(AnonymousUser(), VISITOR)) == [style]
    assert list(Job.objects.owned_by(None, "w" * 32)) == [other_job]
    for model in (Item, Album, ShareLink):  # the gallery is for members only
        assert not model.objects.owned_by(AnonymousUser(), VISITOR).exists(), model


def test_a_signed_in_user_does_not_see_rows_of_the_visitor_token_they_carry(owner):
    visitor_job()
    assert not Job.objects.owned_by(owner, VISITOR).exists()


def test_nobody_without_an_account_or_a_token_owns_anything(owner):
    everything_of(owner)
    visitor_job()
    for model in (Job, StyleImage, Item, Album, ShareLink):
        assert not model.objects.owned_by(AnonymousUser(), None).exists(), model
        assert not model.objects.owned_by(None, "").exists(), model


@pytest.mark.usefixtures("style_models")
def test_a_visitor_who_signs_up_keeps_their_style_images(client):
    assert client.post("/tools/stylize/styles/", {"image": upload("monet.png", grey_photo())}).status_code == 201
    key = StyleImage.objects.get().pk
    client.post("/accounts/signup/", {"username": "painter", "password1": "an-engine-1843",
                                      "password2": "an-engine-1843"})
    style = StyleImage.objects.get()
    assert style.owner.username == "painter" and style.visitor == ""
    assert client.get(f"/tools/stylize/styles/{key}/thumbnail/").status_code == 200
    page = client.get("/tools/stylize/").content.decode()
    bank = json.loads(page.split('<script id="style-bank-data" type="application/json">')[1].split("</script>")[0])
    assert str(key) in [style["key"] for group in bank for style in group["styles"]]
