"""Every page fits a phone, a laptop and a large screen: no sideways scroll at 320, 375, 1366 and 1920 px wide."""
import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-1234"
# A long name without spaces, as phones write them: it must wrap, not widen the page.
LONG_NAME = "PXL_20261130_140212345_a_rather_long_photo_name_from_a_phone.png"

# (function, source): the elements that reach past the window's right edge, for the failure message.
OVERFLOW = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && e.getClientRects().length)
    .slice(0, 6)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''} right=${Math.round(e.getBoundingClientRect().right)}`),
})"""


def make_site(user) -> dict:
    """A finished result of `user`'s, an album holding it, and a share link to each: the pages to visit."""
    from django.db import transaction

    from tests.webapp.conftest import make_item
    from webapp.gallery.models import Album

    # Finished before it commits: the worker that its on_commit wakes finds nothing left to do.
    with transaction.atomic():
        item = make_item(user, name=LONG_NAME)
    album = Album.objects.create(owner=user, name="Summer at the lake, scanned from my grandmother's prints")
    album.items.add(item)
    owner_pages = {
        "home": reverse("home"),
        **{tool: reverse("tool", args=[tool]) for tool in ["sketch", "colorize", "stylize", "upscale", "edit"]},
        "models": reverse("models"),
        "gallery": reverse("gallery:index"),
        "item": reverse("gallery:item", args=[item.pk]),
        "albums": reverse("gallery:albums"),
        "album": reverse("gallery:album", args=[album.pk]),
    }
    visitor_pages = {
        "shared item": item.share().path,
        "shared album": album.share().path,
        "login": reverse("login"),
        "signup": reverse("signup"),
        "visitor colorize": reverse("tool", args=["colorize"]),
    }
    return {"owner": owner_pages, "visitor": visitor_pages}


def overflowing(page, url: str) -> dict | None:
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")
    found = page.evaluate(OVERFLOW)
    return found if found["scrollWidth"] > found["innerWidth"] else None


@pytest.mark.parametrize("width,height", [(320, 640), (375, 800), (1366, 768), (1920, 1080)])
def test_no_page_scrolls_sideways(chromium, daphne_server, width, height):
    from django.contrib.auth import get_user_model

    owner = chromium.new_context(viewport={"width": width, "height": height})
    page = owner.new_page()
    page.goto(daphne_server + reverse("signup"))
    username = f"widths{width}"
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.press("#id_password2", "Enter")
    page.wait_for_selector(f".account >> text={username}")
    site = make_site(get_user_model().objects.get(username=username))

    wide = {}
    for name, path in site["owner"].items():
        if found := overflowing(page, daphne_server + path):
            wide[name] = found
    visitor = chromium.new_context(viewport={"width": width, "height": height})
    page = visitor.new_page()
    for name, path in site["visitor"].items():
        if found := overflowing(page, daphne_server + path):
            wide[name] = found
    owner.close()
    visitor.close()
    assert wide == {}
