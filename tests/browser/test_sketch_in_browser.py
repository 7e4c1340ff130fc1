"""Live Sketch in a real browser: strokes on the canvas turn into a picture that follows them."""
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("ATELIER_SCREENSHOT_DIR")

# Mean absolute difference per half between the output image now and a reference copy.
HALF_CHANGE = """(ref) => {
  const img = document.getElementById('sketch-output');
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const now = ctx.getImageData(0, 0, c.width, c.height).data;
  if (!ref) return Array.from(now);
  let left = 0, right = 0;
  for (let i = 0; i < now.length; i += 4) {
    const x = (i / 4) % c.width;
    const d = Math.abs(now[i] - ref[i]) + Math.abs(now[i+1] - ref[i+1]) + Math.abs(now[i+2] - ref[i+2]);
    if (x < c.width / 2) left += d; else right += d;
  }
  return [left / (now.length / 8), right / (now.length / 8)];
}"""


def wait_for_new_output(page, after_seq: int) -> int:
    page.wait_for_function(f"Number(document.getElementById('sketch-output').dataset.seq || -1) > {after_seq}",
                           timeout=60_000)
    page.wait_for_function("document.getElementById('sketch-output').complete")
    page.wait_for_timeout(400)  # let any frame still in flight land
    return int(page.get_attribute("#sketch-output", "data-seq"))


def test_strokes_turn_into_a_picture_that_follows_them(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{daphne_server}/tools/sketch/")
    page.select_option("#model-select", "landscape-sketch")
    seq = wait_for_new_output(page, -1)  # the blank canvas renders too
    blank = page.evaluate(HALF_CHANGE, None)

    box = page.locator("#sketch-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    for i in range(1, 20):  # a zig-zag on the left half only
        page.mouse.move(box["x"] + box["width"] * (0.1 + 0.3 * (i % 2)), box["y"] + box["height"] * (0.2 + 0.03 * i),
                        steps=3)
    page.mouse.up()
    seq = wait_for_new_output(page, seq)
    left, right = page.evaluate(HALF_CHANGE, blank)
    assert left > 2.0, (left, right)  # the picture changed where we drew…
    assert left > 2 * right, (left, right)  # …much more than where we did not
    assert "fps" in page.inner_text("#readout") and "round trip" in page.inner_text("#readout")

    page.click("#undo")
    wait_for_new_output(page, seq)
    left_after_undo, _ = page.evaluate(HALF_CHANGE, blank)
    assert left_after_undo < left / 2  # undo removes the whole stroke, and the output follows

    if SCREENSHOT_DIR:
        page.click("#redo")
        wait_for_new_output(page, seq + 1)
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "sketch.png"), full_page=True)
