"""The Models page in a real browser: a staff member uploads a weights file and watches its progress;
the Stylize page's cards show their previews."""
import os
from pathlib import Path

import pytest
import torch
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from inference import registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")

DONE = "() => document.querySelector('#model-udnie form.model-upload')?.dataset.result !== undefined"


def test_staff_upload_a_weights_file_with_progress_and_the_row_says_what_it_is(chromium, daphne_server, tmp_path):
    spec = registry.get_spec("udnie")
    assert not spec.installed
    torch.manual_seed(5)
    weights = tmp_path / "udnie.pth"
    torch.save(registry.build_net(spec).state_dict(), weights)  # the fast_neural_style layout, ~7 MB
    client = Client()
    client.force_login(get_user_model().objects.create_user("curator", password="a-long-pass-1234", is_staff=True))
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": daphne_server}])
    page = context.new_page()
    try:
        page.goto(daphne_server + reverse("models"))
        row = "#model-udnie"
        assert page.inner_text(f"{row} .badge") == "not installed"
        page.set_input_files(f"{row} input[type=file]", str(weights))
        page.click(f"{row} button[type=submit]")
        page.wait_for_function(DONE, timeout=180_000)
        form = page.locator(f"{row} form.model-upload")
        assert form.get_attribute("data-result") == "installed", page.inner_text(f"{row} .model-upload-status")
        assert form.get_attribute("data-progress") == "100"  # XMLHttpRequest upload progress reached the end
        assert page.inner_text(f"{row} .badge") == "installed"  # pytorch/examples publishes no hash
        assert registry.get_spec("udnie").installed

        page.reload()
        assert page.inner_text(f"{row} .badge") == "installed"
    finally:
        context.close()
        registry.get_spec("udnie").path.unlink(missing_ok=True)  # the other tests expect only their own models


PREVIEWS_SHOWN = """(model) => {
  const cards = [...document.querySelectorAll(`.style-group[data-model="${model}"] .style-card`)];
  return cards.length > 0 && cards.every((card) => {
    const img = card.querySelector("img.style-preview");
    return img && img.complete && img.naturalWidth > 0;
  });
}"""


def test_style_cards_show_each_style_on_the_reference_picture(chromium, daphne_server, style_models):
    """The previews of a model trained here are rendered by a worker after the page asked; the cards
    pick them up without a reload. No letter placeholders; adding a style image is a button."""
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(daphne_server + reverse("tool", args=["stylize"]))
        page.wait_for_function(PREVIEWS_SHOWN, arg=style_models["multi"], timeout=180_000)
        page.wait_for_function(PREVIEWS_SHOWN, arg=style_models["single"], timeout=180_000)
        assert page.locator(".style-swatch").count() == 0
        assert page.evaluate("() => document.getElementById('add-style').tagName") == "BUTTON"
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOT_DIR) / "stylize-cards.png"), full_page=True)
    finally:
        page.close()
