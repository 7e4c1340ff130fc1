"""Edit in a real browser: a random face, a painted stroke, a picture that changes where painted and not elsewhere."""
import pytest

from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The canvas's 64 x 64 pixels (RGB, row by row).
PIXELS = """() => {
  const ctx = document.getElementById('edit-canvas').getContext('2d');
  return Array.from(ctx.getImageData(0, 0, 64, 64).data).filter((_, i) => i % 4 !== 3);
}"""

# The picture on the canvas answers every stroke painted so far, and nothing is in flight or waiting.
SETTLED = """(strokes) => {
  const c = document.getElementById('edit-canvas');
  return Number(c.dataset.strokes) >= strokes && c.dataset.unsent === '0' && c.dataset.stream === 'idle';
}"""


# The random faces the page draws: seed 7 first (whose stroke response tests/webapp/test_edit_stream.py checks),
# then seed 11, so a run does not depend on which face chance picked.
FIXED_SEEDS = """(() => {
  const seeds = [7, 11];
  let drawn = 0;
  Math.random = () => (drawn < seeds.length ? seeds[drawn++] / 2 ** 31 : 0.5);
})();"""


def mean_change(before, after, region) -> float:
    total, count = 0.0, 0
    for y in range(64):
        for x in range(64):
            if region(x, y):
                i = (y * 64 + x) * 3
                total += sum(abs(after[i + k] - before[i + k]) for k in range(3)) / 3
                count += 1
    return total / count


def test_painting_a_random_face_changes_it_where_painted(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.add_init_script(FIXED_SEEDS)
    page.goto(f"{daphne_server}/tools/edit/")
    page.wait_for_function(SETTLED, arg=0, timeout=120_000)  # the random face is on the canvas
    before = page.evaluate(PIXELS)
    assert max(before) > 0

    # Each brush-size button shows a dot of its size (they were empty squares).
    dots = page.evaluate("() => [...document.querySelectorAll('[data-size]')].map((b) => "
                         "[Number(b.dataset.size), b.querySelector('span').getBoundingClientRect().width])")
    assert dots and all(abs(size - width) < 0.5 for size, width in dots), dots
    page.fill("#colour", "#ff2020")
    page.click("[data-size='12']")
    box = page.locator("#edit-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5, steps=6)
    page.mouse.up()
    page.wait_for_function(SETTLED, arg=1, timeout=120_000)
    after = page.evaluate(PIXELS)

    painted = mean_change(before, after, lambda x, y: 19 <= x <= 29 and 29 <= y <= 34)
    far = mean_change(before, after, lambda x, y: x >= 48)
    assert painted > 8, painted
    assert far < painted / 4, (far, painted)
    page.close()


def test_the_mix_slider_moves_between_two_faces_and_back(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.add_init_script(FIXED_SEEDS)
    page.goto(f"{daphne_server}/tools/edit/")
    page.wait_for_function(SETTLED, arg=0, timeout=120_000)
    first = page.evaluate(PIXELS)
    assert page.locator("#mix-field").is_hidden()

    page.click("#mix-face")  # a second random face, half way
    page.wait_for_function(f"(first) => ({PIXELS})().some((v, i) => Math.abs(v - first[i]) > 40)", arg=first,
                           timeout=120_000)
    page.wait_for_function(SETTLED, arg=0, timeout=120_000)
    assert page.locator("#mix-field").is_visible()
    assert mean_change(first, page.evaluate(PIXELS), lambda x, y: True) > 2

    page.evaluate("() => { const s = document.getElementById('mix'); s.value = '0';"
                  " s.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"(first) => ({PIXELS})().every((v, i) => v === first[i])", arg=first, timeout=120_000)
    page.close()


def test_continue_editing_replays_a_saved_edit(chromium, daphne_server):
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.test import Client
    from PIL import Image

    from inference.engine import load_nets
    from inference.pipelines.edit import EditOptions, render, strokes_from_json
    from inference.registry import get_spec
    from webapp.studio.models import Job

    strokes = [{"points": [[0.3, 0.5]], "colour": [255, 32, 32], "radius": 0.09},
               {"points": [[0.3, 0.5], [0.45, 0.5]], "colour": [255, 32, 32], "radius": 0.09}]
    person = get_user_model().objects.create_user("painter", password="a long enough secret 42")
    job = Job.submit(owner=person, visitor="", tool="edit", model_name="npe-faces",
                     params={"seed": 7, "mix_seed": 11, "mix": 0.3, "steps": 4, "step_size": 12.0,
                             "mask_sigma": 2.0, "mask_gain": 6.0, "mask_floor": 0.03, "strokes": strokes},
                     image=Image.new("RGB", (64, 64), (128, 128, 128)), original_name="face.png")
    client = Client()
    client.force_login(person)
    context = chromium.new_context(viewport={"width": 1200, "height": 1000})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": daphne_server}])
    page = context.new_page()
    page.goto(f"{daphne_server}{job.edit_url()}")
    page.wait_for_function(SETTLED, arg=len(strokes), timeout=120_000)
    shown = np.array(page.evaluate(PIXELS)).reshape(64, 64, 3)
    options = EditOptions(strokes_from_json(strokes), seed=7, mix_seed=11, mix=0.3)
    expected = np.asarray(render(None, load_nets(get_spec("npe-faces")), options)).astype(int)
    assert np.abs(shown - expected).max() <= 1
    assert page.locator("#mix-field").is_visible() and page.input_value("#mix") == "0.3"
    context.close()
    # The worker runs the submitted job meanwhile; let it end before the database is flushed,
    # or its transaction and the flush's TRUNCATE can deadlock (seen once in CI, PostgreSQL).
    wait_for(lambda: Job.objects.get(pk=job.pk).status not in Job.ACTIVE, timeout=120)
