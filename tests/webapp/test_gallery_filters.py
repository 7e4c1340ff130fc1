"""The gallery grid filtered by tool and album, newest or oldest first, with pages that keep the filters."""
from datetime import timedelta

import pytest
from django.urls import reverse

from webapp.gallery.models import Album

from .conftest import make_item

pytestmark = pytest.mark.django_db


def shown(client, **query) -> list[str]:
    """The item ids the gallery grid shows, in order."""
    page = client.get(reverse("gallery:index"), query)
    assert page.status_code == 200
    return [str(item.pk) for item in page.context["page"].object_list]


def aged(item, days: int):
    item.created_at -= timedelta(days=days)
    item.save(update_fields=["created_at"])
    return item


@pytest.fixture
def items(owner):
    old_colour = aged(make_item(owner, seed=1), 3)
    sketch = aged(make_item(owner, seed=2, tool="sketch", model_name="landscape-sketch"), 2)
    new_colour = aged(make_item(owner, seed=3), 1)
    return old_colour, sketch, new_colour


def test_filter_by_tool(owner_client, items):
    old_colour, sketch, new_colour = items
    assert shown(owner_client, tool="sketch") == [str(sketch.pk)]
    assert shown(owner_client, tool="colorize") == [str(new_colour.pk), str(old_colour.pk)]
    assert len(shown(owner_client, tool="no-such-tool")) == 3  # an unknown tool means all


def test_filter_by_album_and_tool_together(owner_client, owner, items):
    old_colour, sketch, new_colour = items
    album = Album.objects.create(owner=owner, name="Best")
    album.items.add(old_colour, sketch)
    assert shown(owner_client, album=str(album.pk)) == [str(sketch.pk), str(old_colour.pk)]
    assert shown(owner_client, album=str(album.pk), tool="colorize") == [str(old_colour.pk)]


def test_someone_elses_album_filters_nothing(owner_client, stranger, items):
    theirs = Album.objects.create(owner=stranger, name="Theirs")
    assert len(shown(owner_client, album=str(theirs.pk))) == 3
    assert len(shown(owner_client, album="not-a-uuid")) == 3


def test_sort_newest_or_oldest_first(owner_client, items):
    ids = [str(item.pk) for item in items]
    assert shown(owner_client) == ids[::-1]
    assert shown(owner_client, sort="newest") == ids[::-1]
    assert shown(owner_client, sort="oldest") == ids


def test_only_own_items_are_listed(owner_client, stranger, items):
    make_item(stranger, seed=9)
    assert len(shown(owner_client)) == 3


def test_pages_keep_the_filters(owner_client, owner):
    album = Album.objects.create(owner=owner, name="Many")
    sketches = [make_item(owner, seed=i, tool="sketch", model_name="landscape-sketch") for i in range(26)]
    album.items.add(*sketches)
    make_item(owner, seed=99)  # a colorize result: filtered out on every page
    first = owner_client.get(reverse("gallery:index"), {"tool": "sketch", "album": str(album.pk), "sort": "oldest"})
    text = first.content.decode()
    assert "Page 1 of 2" in text
    next_link = f'href="?tool=sketch&amp;album={album.pk}&amp;sort=oldest&amp;page=2"'
    assert next_link in text
    second = shown(owner_client, tool="sketch", album=str(album.pk), sort="oldest", page="2")
    assert second == [str(item.pk) for item in sketches[24:]]
    # The filter form shows what is chosen.
    assert '<option value="sketch" selected>' in text and "Oldest first" in text


def test_no_match_says_so(owner_client, items):
    text = owner_client.get(reverse("gallery:index"), {"tool": "edit"}).content.decode()
    assert "No results match these filters" in text
