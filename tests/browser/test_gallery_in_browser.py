"""The gallery in a real browser: Copy puts a share link on the clipboard and says so; several results
are selected at once, added to an album, then deleted."""
import io
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image

from tests.waiting import wait_for
from tests.webapp.conftest import grey_photo
from webapp.gallery.models import Album, Item
from webapp.studio.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")


def test_copy_a_share_link_then_select_results_to_file_and_delete(chromium, daphne_server):
    # A reader in Tokyo: titles are re-written in the browser's time zone.
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, timezone_id="Asia/Tokyo",
                                   permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(daphne_server + reverse("signup"))
    page.fill("#id_username", "curator")
    page.fill("#id_password1", "a-long-pass-1234")
    page.fill("#id_password2", "a-long-pass-1234")
    page.click("button[type=submit]")
    page.wait_for_url(daphne_server + reverse("home"))
    user = get_user_model().objects.get(username="curator")
    # Three real colorize jobs, run by the worker and kept by the gallery as the page would submit them.
    for seed in range(3):
        Job.submit(owner=user, visitor="", tool="colorize", model_name="eccv16", params={},
                   image=Image.open(io.BytesIO(grey_photo(seed=seed))), original_name=f"photo{seed}.png")
    items = wait_for(lambda: len(found := list(Item.objects.filter(owner=user))) == 3 and found, timeout=120)
    album = Album.objects.create(owner=user, name="Keepers")

    # Copy: the clipboard holds the link, and the page says "Copied".
    page.goto(daphne_server + items[0].get_absolute_url())
    tokyo = items[0].job.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    expected = f"{items[0].title_what} · {tokyo.day} {tokyo:%b %H:%M}"
    page.wait_for_function(f"() => document.querySelector('h1').textContent.trim() === {expected!r}")
    page.click("#share-button")
    page.wait_for_selector("button.copy-link")
    page.click("button.copy-link")
    # A function, not an expression: Playwright re-evaluates expressions with eval, which the CSP forbids.
    page.wait_for_function("() => document.getElementById('copy-status').textContent === 'Copied'")
    link = page.input_value(".share-url")
    assert link.endswith(items[0].share_links.get().path)
    assert page.evaluate("() => navigator.clipboard.readText()") == link

    # Select two, add them to the album.
    page.goto(daphne_server + reverse("gallery:index"))
    page.wait_for_selector("#select-all")
    assert page.is_disabled("button[value=delete]")
    page.check(f"input[name=items][value='{items[0].pk}']")
    page.check(f"input[name=items][value='{items[1].pk}']")
    assert page.text_content("#selected-count") == "2 selected"
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "gallery.png"), full_page=True)
    page.select_option("select[name=to_album]", str(album.pk))
    page.click("button[value=add_to_album]")
    page.wait_for_selector("text=Added 2 results to “Keepers”.")
    assert set(album.items.all()) == set(items[:2])

    # The album's filter, then everything selected at once and deleted (after the confirmation).
    page.select_option("#gallery-filters select[name=album]", str(album.pk))
    page.wait_for_function("() => document.querySelectorAll('input[name=items]').length === 2")
    page.goto(daphne_server + reverse("gallery:index"))
    page.check("#select-all")
    assert page.text_content("#selected-count") == "3 selected"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=delete]")
    page.wait_for_selector("text=Deleted 3 results.")
    wait_for(lambda: not Item.objects.filter(owner=user).exists(), timeout=10)
    context.close()
