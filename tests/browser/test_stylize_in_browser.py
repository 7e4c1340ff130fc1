"""Stylize in a real browser: pick two styles, move a slider, watch the preview change, render into the gallery."""
import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")

PIXELS = """() => {
  const img = document.getElementById('style-preview');
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
}"""


# A newer preview is on screen, and nothing is in flight or waiting: it shows the newest settings.
SETTLED = """(after) => {
  const img = document.getElementById('style-preview');
  return Number(img.dataset.seq || -1) > after && img.dataset.stream === 'idle' && img.complete && img.naturalWidth > 0;
}"""


def newer_preview(page, after: int) -> int:
    page.wait_for_function(SETTLED, arg=after, timeout=90_000)
    return int(page.get_attribute("#style-preview", "data-seq"))


def test_blend_two_styles_move_a_slider_and_render(chromium, daphne_server, style_models, tmp_path):
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).resize((320, 320)).save(photo)

    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(f"{daphne_server}/accounts/signup/")
    page.fill("#id_username", "stylist")
    page.fill("#id_password1", "a-long-pass-1234")
    page.fill("#id_password2", "a-long-pass-1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{daphne_server}/")

    page.goto(f"{daphne_server}/tools/stylize/")
    # A model that is not installed says how, its download address a link (as on every page).
    from inference.registry import get_spec

    mosaic = get_spec("mosaic")
    if not mosaic.installed:
        link = page.locator('.style-group[data-model="mosaic"] .notice a')
        assert link.get_attribute("href") == mosaic.url and link.inner_text() == mosaic.url
    page.set_input_files("#photo-input", str(photo))
    group = f'.style-group[data-model="{style_models["multi"]}"]'
    page.check(f'{group} .style-card[data-key="0"] input[type=checkbox]')
    page.check(f'{group} .style-card[data-key="1"] input[type=checkbox]')
    seq = newer_preview(page, -1)
    before = page.evaluate(PIXELS)

    page.fill(f'{group} .style-card[data-key="0"] input[type=range]', "0.1")
    seq = newer_preview(page, seq)
    after = page.evaluate(PIXELS)
    assert len(before) == len(after)
    assert sum(abs(a - b) for a, b in zip(before, after)) / len(before) > 0.5  # the blend moved

    page.click("#render")
    page.wait_for_selector(".job[data-status=done] .compare-result", timeout=120_000)
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "stylize.png"), full_page=True)
    page.click(".job[data-status=done] >> text=Open in gallery")
    page.wait_for_selector(".compare-result")
    assert "Styles: " in page.inner_text(".details")  # the blend, in words
