"""Upscale in a real browser: several different samples of a small face, then Colorize → Upscale and its chain."""
import io
import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")
DONE = ".job[data-status=done]"


def small_face(path: Path) -> Path:
    from inference.data.faces import face

    image, _ = face(seed=11, size=64)
    image.resize((16, 16), Image.Resampling.BOX).save(path)
    return path


def test_samples_appear_and_a_colorize_result_chains_into_upscale(chromium, daphne_server, upscale_models, tmp_path):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(f"{daphne_server}/accounts/signup/")
    page.fill("#id_username", "enlarger")
    page.fill("#id_password1", "a-long-pass-1234")
    page.fill("#id_password2", "a-long-pass-1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{daphne_server}/")

    # Several samples of one small face, side by side with the input at the same size.
    page.click("nav >> text=Upscale")
    page.wait_for_selector("#socket-state[data-state=live]")
    page.select_option("#model-select", upscale_models["sampler"])
    assert page.is_visible("#sampler-settings")
    page.fill("#temperature", "1")
    page.fill("#samples", "3")
    page.set_input_files("#file-input", str(small_face(tmp_path / "face.png")))
    page.click("#submit-button")
    page.wait_for_selector(f"{DONE} .samples figure[data-sample='2'] img", timeout=120_000)
    # A function, not an expression: Playwright re-evaluates expressions with eval, which the CSP forbids.
    page.wait_for_function(f"() => [...document.querySelectorAll('{DONE} .samples img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    sources = page.eval_on_selector_all(f"{DONE} .samples figure[data-sample] img", "imgs => imgs.map(i => i.getAttribute('src'))")
    pictures = [page.request.get(daphne_server + src).body() for src in sources]
    assert len(pictures) == 3 and len({Image.open(io.BytesIO(p)).tobytes() for p in pictures}) == 3
    sizes = page.eval_on_selector_all(f"{DONE} .samples img", "imgs => imgs.map(i => [i.clientWidth, i.clientHeight])")
    assert len(set(map(tuple, sizes))) == 1  # the input and every sample at one display size
    assert page.eval_on_selector(f"{DONE} .samples .input img", "i => getComputedStyle(i).imageRendering") == "pixelated"
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "upscale.png"), full_page=True)

    # Colorize → Upscale: the colorized result becomes the input without a new upload.
    page.click("nav >> text=Colorize")
    page.wait_for_selector("#socket-state[data-state=live]")
    page.set_input_files("#file-input", str(small_face(tmp_path / "grey.png")))
    page.click("#submit-button")
    page.click(f"{DONE} .upscale-this", timeout=120_000)
    page.wait_for_selector("#chain-input img")
    assert page.query_selector("#drop-zone") is None
    page.select_option("#model-select", upscale_models["sampler"])
    page.fill("#samples", "2")
    page.click("#submit-button")
    page.wait_for_function(
        "() => document.querySelectorAll('.job[data-status=done]').length === 2", timeout=120_000)
    assert page.eval_on_selector(".job:first-child", "card => card.querySelectorAll('.samples figure[data-sample]').length") == 2
    page.click(".job:first-child >> text=Open in gallery")

    # The chain on the item page: the grey input → the colorized picture → this upscale, with links.
    page.wait_for_selector("#chain")
    steps = page.eval_on_selector_all("#chain li", "items => items.map(li => li.textContent.trim())")
    assert steps == ["colorize input", "colorize", "upscale"]
    assert page.get_attribute("#chain li[aria-current=page] a", "href") == page.url.removeprefix(daphne_server)
    page.click("#chain li:nth-child(2) a")
    page.wait_for_selector("#chain li[aria-current=page]")
    assert page.eval_on_selector("#chain li[aria-current=page]", "li => li.textContent.trim()") == "colorize"
    assert page.query_selector("#chain li.made-from-this") is not None


def test_an_example_face_is_chosen_like_a_file_and_upscaled(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(f"{daphne_server}/tools/upscale/")
    page.wait_for_selector("#socket-state[data-state=live]")
    page.select_option("#model-select", "prsr-faces")  # the bundled model, which has example faces
    page.fill("#samples", "2")
    page.click("#example")
    page.wait_for_selector("#chosen-files li")
    assert "example-face-1.png" in page.inner_text("#chosen-files")
    page.click("#example")  # the next press, the next face, instead of the first
    page.wait_for_function("() => document.getElementById('chosen-files').textContent.includes('example-face-2.png')")
    assert page.locator("#chosen-files li").count() == 1
    page.click("#submit-button")
    page.wait_for_selector(f"{DONE} .samples figure[data-sample='1'] img", timeout=120_000)
    page.close()
