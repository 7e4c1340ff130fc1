"""The gallery: a grid of kept results, item pages, deletion, re-runs and albums."""
import pytest

from webapp.gallery.models import Album, Item
from webapp.studio.models import Job

from .conftest import make_item

pytestmark = pytest.mark.django_db


def test_gallery_needs_login(client):
    response = client.get("/gallery/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_gallery_lists_newest_first_and_paginates(owner_client, owner):
    items = [make_item(owner, name=f"p{i}.png", seed=i) for i in range(26)]
    first = owner_client.get("/gallery/").content.decode()
    assert first.index(str(items[-1].pk)) < first.index(str(items[-2].pk))
    assert str(items[0].pk) not in first and "Page 1 of 2" in first
    second = owner_client.get("/gallery/?page=2").content.decode()
    assert str(items[0].pk) in second and str(items[1].pk) in second


def test_item_page_shows_original_result_tool_model_settings_timings_and_date(owner_client, owner):
    item = make_item(owner, name="grandma.png")
    page = owner_client.get(f"/gallery/items/{item.pk}/").content.decode()
    for text in ("grandma.png", "colorize", "eccv16", "0.1 s", f"/gallery/items/{item.pk}/original/",
                 f"/gallery/items/{item.pk}/result/", "defaults"):
        assert text in page
    assert owner_client.get(f"/gallery/items/{item.pk}/thumbnail/")["Content-Type"] == "image/webp"


def test_deleting_an_item_removes_the_job_and_its_files(owner_client, owner, django_capture_on_commit_callbacks):
    item = make_item(owner)
    job = item.job
    storage, names = job.original.storage, [job.original.name, job.result.name, job.thumbnail.name]
    assert all(storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/gallery/items/{item.pk}/delete/")
    assert response.status_code == 302
    assert not Item.objects.exists() and not Job.objects.exists()
    assert not any(storage.exists(n) for n in names)


def test_rerun_queues_a_new_job_with_the_same_settings(owner_client, owner, django_capture_on_commit_callbacks):
    item = make_item(owner)
    item.job.params = {"hints": [{"x": 0.5, "y": 0.5, "color": "#00ff00"}]}
    item.job.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(f"/gallery/items/{item.pk}/rerun/")
    assert response.status_code == 302 and len(callbacks) == 1  # one enqueue, after commit
    new = Job.objects.exclude(pk=item.job.pk).get()
    assert (new.tool, new.model_name, new.params, new.status) == ("colorize", "eccv16", item.job.params, "queued")
    with new.original.open("rb") as a, item.job.original.open("rb") as b:
        assert a.read() == b.read()


def test_albums_group_items_and_deleting_an_album_keeps_its_items(owner_client, owner):
    item = make_item(owner)
    response = owner_client.post("/gallery/albums/", {"name": "Family"})
    album = Album.objects.get(owner=owner, name="Family")
    assert response.status_code == 302
    owner_client.post(f"/gallery/items/{item.pk}/albums/", {"albums": [str(album.pk)]})
    assert list(album.items.all()) == [item]
    assert str(item.pk) in owner_client.get(f"/gallery/albums/{album.pk}/").content.decode()
    owner_client.post(f"/gallery/items/{item.pk}/albums/", {"albums": []})
    assert not album.items.exists()
    owner_client.post(f"/gallery/albums/{album.pk}/delete/")
    assert not Album.objects.exists() and Item.objects.filter(pk=item.pk).exists()


def test_album_names_are_unique_per_owner_with_a_clear_message(owner_client, owner):
    owner_client.post("/gallery/albums/", {"name": "Trips"})
    page = owner_client.post("/gallery/albums/", {"name": "Trips"}, follow=True).content.decode()
    assert "already have an album" in page and Album.objects.count() == 1


def test_only_own_albums_can_be_attached(owner_client, owner, stranger):
    item = make_item(owner)
    foreign = Album.objects.create(owner=stranger, name="Theirs")
    owner_client.post(f"/gallery/items/{item.pk}/albums/", {"albums": [str(foreign.pk), "not-a-uuid"]})
    assert not foreign.items.exists()
