"""Live colour hints in a real browser: the preview follows a hint as it is added, dragged, recoloured from the
palette and deleted, a hint typed into the position form counts the same, and "Colorize" renders with it."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import start_daphne
from tests.waiting import wait_for
from webapp import processes
from webapp.studio.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")

# The preview's pixels in a small square around a point (fractions of the picture), as [r, g, b, r, g, b, ...].
REGION = """([x, y]) => {
  const img = document.getElementById('hint-preview');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const side = Math.max(4, Math.round(img.naturalWidth / 26));
  const left = Math.max(0, Math.round(x * img.naturalWidth - side / 2));
  const top = Math.max(0, Math.round(y * img.naturalHeight - side / 2));
  return Array.from(ctx.getImageData(left, top, side, side).data).filter((_, i) => i % 4 !== 3);
}"""

# A newer preview than `seq` is shown and nothing more is on its way.
NEWER_PREVIEW = """(seq) => {
  const img = document.getElementById('hint-preview');
  return Number(img.dataset.seq || 0) > seq && img.dataset.stream === 'idle' && img.complete && img.naturalWidth > 0;
}"""


@pytest.fixture(scope="module")
def patient_daphne(django_db_setup, celery_worker, live_worker, tmp_path_factory):
    """A Daphne of this module's own that waits as long as a preview takes: on a busy 2-core CPU one SIGGRAPH17
    forward alone can take longer than LIVE_FRAME_TIMEOUT_S's default, and the request would be sent again."""
    process, port = start_daphne(tmp_path_factory.mktemp("daphne-logs") / "daphne.log", {"LIVE_FRAME_TIMEOUT_S": "300"})
    url = f"http://127.0.0.1:{port}"
    yield url
    processes.stop(process)


def old_photo(path: Path) -> Path:
    from skimage import data

    Image.fromarray(data.camera()).resize((320, 240)).save(path)
    return path


def shown_seq(page) -> int:
    return int(page.get_attribute("#hint-preview", "data-seq") or 0)


def next_preview(page, after: int) -> int:
    page.wait_for_function(NEWER_PREVIEW, arg=after, timeout=120_000)
    return shown_seq(page)


def region(page, spot) -> np.ndarray:
    return np.array(page.evaluate(REGION, list(spot)), dtype=np.float32)


def change(page, spot, before: np.ndarray) -> float:
    """Mean difference per pixel and channel, 0-255, between the preview's region now and `before`."""
    return float(np.abs(region(page, spot) - before).mean())


def test_hints_follow_the_pointer_and_the_keyboard_and_the_preview_follows_them(chromium, patient_daphne, tmp_path):
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{patient_daphne}/tools/colorize/")
    page.wait_for_selector("#socket-state[data-state=live]")
    page.select_option("#model-select", "siggraph17")
    page.set_input_files("#file-input", str(old_photo(tmp_path / "camera.png")))
    page.wait_for_selector("#hint-panel:not([hidden])")
    seq = next_preview(page, 0)  # no hints yet: the model's own colours
    # Mid greys (the grass, the buildings), where a colour has room; far enough apart that one's hint
    # barely moves the other.
    first, second = (0.8, 0.85), (0.75, 0.5)
    plain = {spot: region(page, spot) for spot in (first, second)}

    # A click adds a hint there; the preview changes around it.
    box = page.locator("#hint-canvas").bounding_box()
    at = lambda spot: (box["x"] + spot[0] * box["width"], box["y"] + spot[1] * box["height"])  # noqa: E731
    page.fill("#hint-color", "#e01818")
    page.mouse.click(*at(first))
    assert page.inner_text("#hint-count") == "1 hint"
    seq = next_preview(page, seq)
    assert change(page, first, plain[first]) > 5

    # Dragged up: it is there now, and where it was looks as it did without it.
    page.mouse.move(*at(first))
    page.mouse.down()
    page.mouse.move(*at((0.78, 0.7)), steps=4)
    page.mouse.move(*at(second), steps=4)
    page.mouse.up()
    assert page.inner_text("#hint-count") == "1 hint"
    assert "75.0 % across, 50.0 % down" in page.inner_text("#hint-list")
    seq = next_preview(page, seq)
    moved_to, left_behind = change(page, second, plain[second]), change(page, first, plain[first])
    assert moved_to > 5 and left_behind < moved_to / 3, (moved_to, left_behind)

    # The selected hint brings the model's palette; a colour from it recolours the hint.
    page.wait_for_selector("#hint-suggestions:not([hidden]) .hint-suggestion")
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.locator("#hint-panel").screenshot(path=str(Path(SCREENSHOT_DIR) / "colorize-hints.png"))
    suggestion = page.locator(".hint-suggestion").first
    colour = suggestion.get_attribute("data-color")
    suggestion.click()
    assert colour in page.inner_text("#hint-list")
    seq = next_preview(page, seq)

    # Delete (the key, on the focused canvas): back to the picture without hints.
    page.focus("#hint-canvas")
    page.keyboard.press("Delete")
    assert page.inner_text("#hint-count") == "0 hints"
    seq = next_preview(page, seq)
    assert change(page, second, plain[second]) == 0  # the same request as the first: the same picture

    # The position form, keyboard only: Tab into it, type, Enter adds the hint (and submits nothing).
    page.focus("#hint-x")
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("85")
    page.focus("#hint-form-color")
    page.keyboard.press("Control+A")
    page.keyboard.type("#2060ff")
    page.keyboard.press("Enter")
    assert page.inner_text("#hint-count") == "1 hint"
    assert "80.0 % across, 85.0 % down, #2060ff" in page.inner_text("#hint-list")
    seq = next_preview(page, seq)
    assert change(page, first, plain[first]) > 5
    assert not Job.objects.exists()  # Enter in the form added a hint, it did not upload

    # At phone width the preview, the palette, the form and the list still fit the panel.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("() => { const p = document.getElementById('hint-panel'); return p.scrollWidth <= p.clientWidth; }")
    page.set_viewport_size({"width": 1366, "height": 900})

    # "Colorize" renders the full photo with that hint.
    page.click("#submit-button")
    page.wait_for_selector(".job[data-status=done]", timeout=120_000)
    job = wait_for(lambda: Job.objects.filter(tool="colorize").first())
    assert job.params["hints"] == [{"x": 0.8, "y": 0.85, "color": "#2060ff"}]
    page.close()
