"""Captions: the owner's words for a result, shown on its page and on share pages; links still die when revoked."""
import pytest
from django.urls import reverse

from webapp.gallery.models import Album

from .conftest import make_item
from .test_gallery_titles import shows_title

pytestmark = pytest.mark.django_db


def test_owner_sets_and_clears_a_caption(owner_client, owner):
    item = make_item(owner)
    url = reverse("gallery:item_caption", args=[item.pk])
    owner_client.post(url, {"caption": "  Grandma's   garden, 1962 "})
    item.refresh_from_db()
    assert item.caption == "Grandma's garden, 1962"
    assert "Grandma&#x27;s garden, 1962" in owner_client.get(item.get_absolute_url()).content.decode()
    owner_client.post(url, {"caption": "x" * 500})
    item.refresh_from_db()
    assert len(item.caption) == 200
    owner_client.post(url, {"caption": ""})
    item.refresh_from_db()
    assert item.caption == ""


def test_only_the_owner_can_caption(stranger_client, owner):
    item = make_item(owner)
    response = stranger_client.post(reverse("gallery:item_caption", args=[item.pk]), {"caption": "mine now"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.caption == ""


def test_album_share_page_shows_each_items_caption_or_title(owner, client_factory):
    captioned, plain = make_item(owner, seed=1), make_item(owner, seed=2)
    captioned.set_caption("The lake at dawn")
    album = Album.objects.create(owner=owner, name="Holidays")
    album.items.add(captioned, plain)
    link = album.share()
    text = client_factory().get(link.path).content.decode()
    assert "The lake at dawn" in text
    assert shows_title(text, captioned) and shows_title(text, plain)
    assert text.count("<figcaption>") == 2


def test_shared_item_page_shows_the_caption(owner, client_factory):
    item = make_item(owner)
    item.set_caption("First colour photo")
    assert "First colour photo" in client_factory().get(item.share().path).content.decode()


def test_revoked_album_link_is_404_with_its_captions(owner_client, owner, client_factory):
    item = make_item(owner)
    item.set_caption("Secret")
    album = Album.objects.create(owner=owner, name="Private")
    album.items.add(item)
    link = album.share()
    visitor = client_factory()
    assert visitor.get(link.path).status_code == 200
    owner_client.post(reverse("gallery:link_revoke", args=[link.pk]))
    response = visitor.get(link.path)
    assert response.status_code == 404 and "Secret" not in response.content.decode()
    assert visitor.get(reverse("shared_file", args=[link.token, item.pk, "thumbnail"])).status_code == 404


def test_share_links_have_a_copy_button(owner_client, owner):
    item = make_item(owner)
    link = item.share()
    text = owner_client.get(item.get_absolute_url()).content.decode()
    assert f'id="share-url-{link.pk}"' in text and f'data-copy="share-url-{link.pk}"' in text
    assert 'role="status"' in text
