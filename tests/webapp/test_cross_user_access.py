"""Another member or a stranger gets 404 for everything that is not theirs: no 403 that confirms an id."""
import pytest
from django.urls import reverse

from webapp.gallery.models import Album

from .conftest import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(owner):
    item = make_item(owner)
    album = Album.objects.create(owner=owner, name="Private")
    album.items.add(item)
    link = item.share()
    return item, album, link


def owners_urls(item, album, link):
    job = item.job
    gets = [f"/jobs/{job.id}/", f"/jobs/{job.id}/original/", f"/jobs/{job.id}/result/",
            f"/jobs/{job.id}/thumbnail/", f"/gallery/items/{item.pk}/", f"/gallery/items/{item.pk}/result/",
            f"/gallery/items/{item.pk}/original/", f"/gallery/albums/{album.pk}/"]
    posts = [f"/jobs/{job.id}/cancel/", f"/gallery/items/{item.pk}/delete/", f"/gallery/items/{item.pk}/rerun/",
             f"/gallery/items/{item.pk}/share/", f"/gallery/items/{item.pk}/albums/",
             f"/gallery/albums/{album.pk}/delete/", f"/gallery/albums/{album.pk}/share/",
             f"/gallery/links/{link.pk}/revoke/", reverse("gallery:item_caption", args=[item.pk])]
    return gets, posts


@pytest.mark.parametrize("who", ["member", "stranger"])
def test_other_users_get_404_everywhere(request, client_factory, owned, who):
    other = client_factory()
    other.force_login(request.getfixturevalue(who))
    gets, posts = owners_urls(*owned)
    for url in gets:
        assert other.get(url).status_code == 404, url
    for url in posts:
        assert other.post(url).status_code == 404, url


def test_nothing_changed_after_the_stranger_tried(client_factory, stranger, owned):
    item, album, link = owned
    other = client_factory()
    other.force_login(stranger)
    _, posts = owners_urls(*owned)
    for url in posts:
        other.post(url)
    link.refresh_from_db()
    assert link.revoked_at is None and album.items.filter(pk=item.pk).exists()
    assert item.share_links.count() == 1 and item.job.__class__.objects.count() == 1


def test_anonymous_visitors_see_no_one_elses_jobs(client, owned):
    gets, _ = owners_urls(*owned)
    for url in gets[:4]:
        assert client.get(url).status_code == 404, url


def test_owner_reaches_everything(owner_client, owned):
    gets, _ = owners_urls(*owned)
    for url in gets:
        assert owner_client.get(url).status_code == 200, url


def test_the_gallery_lists_only_the_users_own_items(client_factory, owner, stranger, owned):
    mine = make_item(stranger, seed=3)
    other = client_factory()
    other.force_login(stranger)
    page = other.get("/gallery/").content.decode()
    assert str(mine.pk) in page and str(owned[0].pk) not in page
