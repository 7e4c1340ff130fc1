"""A person's path through Colorize in a real browser: sign up, upload, watch, share, revoke."""
import io
import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")


def old_photo(path: Path) -> Path:
    from skimage import data

    Image.fromarray(data.camera()).resize((384, 384)).save(path)
    return path


def test_sign_up_upload_see_result_share_and_revoke(chromium, daphne_server, tmp_path):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{daphne_server}/accounts/signup/")
    page.fill("#id_username", "painter")
    page.fill("#id_password1", "a-long-pass-1234")
    page.fill("#id_password2", "a-long-pass-1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{daphne_server}/")
    assert page.is_visible("text=painter")

    page.click("nav >> text=Colorize")
    page.wait_for_selector("#socket-state[data-state=live]")
    page.set_input_files("#file-input", str(old_photo(tmp_path / "camera.png")))
    page.click("#submit-button")
    # The card turns to done over the WebSocket, without a reload.
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.wait_for_selector(".job[data-status=done] .compare-result", timeout=90_000)
    assert navigations == []
    # A function, not an expression: Playwright re-evaluates expressions with eval, which the CSP forbids.
    page.wait_for_function("() => document.querySelector('.job[data-status=done] .compare-result').naturalWidth > 0")
    assert page.eval_on_selector(".job[data-status=done] .compare-result", "img => img.naturalWidth") == 384
    page.fill(".compare-range", "80")
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "colorize.png"), full_page=True)

    page.click("text=Open in gallery")
    page.wait_for_selector("#share-button")
    page.click("#share-button")
    share_url = page.input_value(".share-url")
    assert "/s/" in share_url

    stranger = chromium.new_context()  # logged out, fresh cookies
    shared = stranger.new_page()
    assert shared.goto(share_url).status == 200
    shared.wait_for_selector(".compare-result")
    result_src = shared.get_attribute(".compare-result", "src")
    shared_bytes = shared.request.get(f"{daphne_server}{result_src}").body()
    owners_bytes = page.request.get(daphne_server + page.get_attribute(".compare-result", "src")).body()
    assert shared_bytes == owners_bytes  # the link shows the owner's result, at full size
    assert Image.open(io.BytesIO(shared_bytes)).size == (384, 384)

    page.click("text=Revoke")
    page.wait_for_selector("text=The link was revoked")
    assert shared.goto(share_url).status == 404
    stranger.close()
