"""Several results selected at once: deleted with their files, or added to (taken out of) an album.
Only the requester's own results are touched, whatever ids the form carries."""
import pytest
from django.test import Client
from django.urls import reverse

from webapp.gallery.models import Album, Item
from webapp.studio.models import Job

from .conftest import make_item

pytestmark = pytest.mark.django_db


def stored_names(item) -> list[str]:
    job = item.job
    return [job.original.name, job.result.name, job.thumbnail.name]


def bulk(client, action: str, items, follow: bool = False, **fields):
    return client.post(reverse("gallery:bulk"), {"action": action, "items": [str(i.pk) for i in items], **fields},
                       follow=follow)


def test_bulk_delete_removes_the_selected_items_jobs_and_files(owner_client, owner,
                                                               django_capture_on_commit_callbacks):
    a, b, kept = make_item(owner, seed=1), make_item(owner, seed=2), make_item(owner, seed=3)
    storage = a.job.original.storage
    names = stored_names(a) + stored_names(b)
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(owner_client, "delete", [a, b])
    assert response.status_code == 302
    assert list(Item.objects.all()) == [kept] and list(Job.objects.all()) == [kept.job]
    assert not any(storage.exists(name) for name in names)
    assert all(storage.exists(name) for name in stored_names(kept))
    assert "Deleted 2 results." in owner_client.get(response["Location"]).content.decode()


def test_someone_elses_ids_in_a_bulk_delete_are_ignored(stranger_client, owner, stranger,
                                                        django_capture_on_commit_callbacks):
    theirs, mine = make_item(owner, seed=1), make_item(stranger, seed=2)
    with django_capture_on_commit_callbacks(execute=True):
        bulk(stranger_client, "delete", [theirs, mine])
    assert list(Item.objects.all()) == [theirs]
    storage = theirs.job.original.storage
    assert all(storage.exists(name) for name in stored_names(theirs))
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(stranger_client, "delete", [theirs], follow=True)
    assert Item.objects.filter(pk=theirs.pk).exists()
    assert "Select at least one result first." in response.content.decode()


def test_bulk_add_to_an_existing_album_and_to_a_new_one(owner_client, owner):
    a, b, c = make_item(owner, seed=1), make_item(owner, seed=2), make_item(owner, seed=3)
    trips = Album.objects.create(owner=owner, name="Trips")
    bulk(owner_client, "add_to_album", [a, b], to_album=str(trips.pk))
    assert set(trips.items.all()) == {a, b}
    bulk(owner_client, "add_to_album", [b, c], new_album="  Best   of  ")
    best = Album.objects.get(owner=owner, name="Best of")
    assert set(best.items.all()) == {b, c} and set(trips.items.all()) == {a, b}
    bulk(owner_client, "add_to_album", [a], new_album="Best of")  # the same name: that album, not a second one
    assert Album.objects.filter(owner=owner).count() == 2 and set(best.items.all()) == {a, b, c}


def test_bulk_add_refuses_someone_elses_album_and_items(stranger_client, owner, stranger):
    theirs = make_item(owner, seed=1)
    mine = make_item(stranger, seed=2)
    their_album = Album.objects.create(owner=owner, name="Private")
    response = bulk(stranger_client, "add_to_album", [theirs, mine], to_album=str(their_album.pk), follow=True)
    assert not their_album.items.exists()
    assert "Choose one of your albums" in response.content.decode()
    own = Album.objects.create(owner=stranger, name="Mine")
    bulk(stranger_client, "add_to_album", [theirs, mine], to_album=str(own.pk))
    assert list(own.items.all()) == [mine]


def test_bulk_take_out_of_the_filtered_album(owner_client, owner):
    a, b = make_item(owner, seed=1), make_item(owner, seed=2)
    album = Album.objects.create(owner=owner, name="Shortlist")
    album.items.add(a, b)
    response = bulk(owner_client, "remove_from_album", [a], album=str(album.pk), tool="colorize", page="1")
    assert list(album.items.all()) == [b] and Item.objects.count() == 2
    # Back to the same filtered page.
    assert response["Location"] == f"{reverse('gallery:index')}?tool=colorize&album={album.pk}&page=1"


def test_bulk_actions_need_login_post_and_csrf(owner, client_factory):
    item = make_item(owner)
    anonymous = client_factory()
    response = bulk(anonymous, "delete", [item])
    assert response.status_code == 302 and reverse("login") in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert bulk(strict, "delete", [item]).status_code == 403
    assert strict.get(reverse("gallery:bulk")).status_code == 405
    assert Item.objects.filter(pk=item.pk).exists()


def test_the_grid_is_a_form_with_a_checkbox_per_item(owner_client, owner):
    item = make_item(owner)
    text = owner_client.get(reverse("gallery:index")).content.decode()
    assert f'action="{reverse("gallery:bulk")}"' in text and 'name="csrfmiddlewaretoken"' in text
    assert f'name="items" value="{item.pk}"' in text
