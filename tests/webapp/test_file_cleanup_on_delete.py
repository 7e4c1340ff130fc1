"""Stored files go with their rows, however the rows go: one by one or in a cascade from the owner."""
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from PIL import Image

from webapp.gallery.models import Album, Item
from webapp.studio.models import Job, StyleImage

from .conftest import grey_photo, make_item

pytestmark = pytest.mark.django_db


def media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def style_image(owner):
    return StyleImage.add(owner=owner, visitor="", name="brush", image=Image.open(io.BytesIO(grey_photo(seed=5))))


def queued_job(owner):
    return Job.submit(owner=owner, visitor="", tool="colorize", model_name="eccv16", params={},
                      image=Image.open(io.BytesIO(grey_photo(seed=6))))


def test_deleting_a_user_leaves_none_of_their_files_in_the_media_folder(owner, stranger,
                                                                       django_capture_on_commit_callbacks):
    make_item(stranger, seed=9)
    style_image(stranger)
    before = media_files()
    item = make_item(owner, seed=1)
    album = Album.objects.create(owner=owner, name="Holidays")
    album.items.add(item)
    item.share()
    queued_job(owner)
    style_image(owner)
    theirs = media_files() - before
    assert len(theirs) == 3 + 1 + 2  # original, result, thumbnail; an original; a style and its thumbnail

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert not Job.objects.filter(owner_id=owner.pk).exists() and not Item.objects.filter(owner_id=owner.pk).exists()
    assert media_files() == before  # the stranger's files are all still there


def test_deleting_a_style_image_removes_its_files(owner_client, owner, django_capture_on_commit_callbacks):
    style = style_image(owner)
    files = media_files()
    stored = {Path(style.image.path), Path(style.thumbnail.path)}
    assert stored <= files
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(f"/tools/stylize/styles/{style.pk}/delete/").status_code == 200
    assert media_files() == files - stored


def test_a_delete_that_is_rolled_back_keeps_the_files(owner, django_capture_on_commit_callbacks):
    item = make_item(owner)
    files = media_files()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            owner.delete()
            raise RuntimeError("the delete fails after the rows went")
    assert Item.objects.filter(pk=item.pk).exists() and media_files() == files
