"""Share links: unguessable, read-only without login, dead once revoked."""
import pytest

from webapp.gallery.models import Album, ShareLink

from .conftest import make_item

pytestmark = pytest.mark.django_db


def test_shared_item_opens_without_login_and_read_only(owner_client, owner, client_factory):
    item = make_item(owner)
    owner_client.post(f"/gallery/items/{item.pk}/share/")
    link = ShareLink.objects.get(item=item)
    visitor = client_factory()
    page = visitor.get(link.path).content.decode()
    assert f"/s/{link.token}/items/{item.pk}/result/" in page
    assert "delete" not in page.lower() and "revoke" not in page.lower()
    assert visitor.get(f"/s/{link.token}/items/{item.pk}/result/").status_code == 200
    assert visitor.get(f"/gallery/items/{item.pk}/").status_code == 302  # the owner's page still needs login


def test_tokens_carry_at_least_128_bits_and_differ(owner):
    item = make_item(owner)
    tokens = {item.share().token for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 22 for t in tokens)  # url-safe base64: 6 bits per character, 32 bytes → 43 chars


def test_revoked_link_answers_404_everywhere(owner_client, owner, client_factory):
    item = make_item(owner)
    link = item.share()
    visitor = client_factory()
    assert visitor.get(link.path).status_code == 200
    owner_client.post(f"/gallery/links/{link.pk}/revoke/")
    assert visitor.get(link.path).status_code == 404
    assert visitor.get(f"/s/{link.token}/items/{item.pk}/result/").status_code == 404


def test_revoking_one_link_leaves_the_others(owner):
    item = make_item(owner)
    a, b = item.share(), item.share()
    a.revoke()
    assert list(ShareLink.objects.active()) == [b]


def test_shared_album_shows_its_items_and_nothing_else(owner, client_factory):
    inside, outside = make_item(owner, seed=1), make_item(owner, seed=2)
    album = Album.objects.create(owner=owner, name="Wedding")
    album.items.add(inside)
    link = album.share()
    visitor = client_factory()
    page = visitor.get(link.path).content.decode()
    assert str(inside.pk) in page and str(outside.pk) not in page
    assert visitor.get(f"/s/{link.token}/items/{inside.pk}/thumbnail/").status_code == 200
    assert visitor.get(f"/s/{link.token}/items/{outside.pk}/result/").status_code == 404


def test_unknown_token_is_404(client, db):
    assert client.get("/s/" + "A" * 43 + "/").status_code == 404


def test_deleting_the_item_kills_its_links(owner, client_factory):
    item = make_item(owner)
    link = item.share()
    item.remove()
    assert client_factory().get(link.path).status_code == 404
