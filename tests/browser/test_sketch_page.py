"""The Sketch page as a person uses it: settings and model changes keep the drawing, label maps
stay pure palette colours, an example or a picture file starts a drawing, the page fits a laptop
screen and a phone, the brush cursor shows the size."""
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference import registry

from .test_keyboard_upload import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TWIN = "landscape-sketch-twin"

# A newer picture is on screen, and nothing is in flight or waiting: it shows the newest drawing.
SETTLED = """(after) => {
  const img = document.getElementById('sketch-output');
  return Number(img.dataset.seq || -1) > after && img.dataset.stream === 'idle' && img.complete && img.naturalWidth > 0;
}"""
DRAWING = "() => document.getElementById('sketch-canvas').toDataURL()"
# Every pixel of the drawing, counted by colour ("#rrggbb", alpha 255 only; others are named with it).
COLOURS = """() => {
  const c = document.getElementById('sketch-canvas');
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const counts = {};
  for (let i = 0; i < data.length; i += 4) {
    const hex = '#' + [data[i], data[i + 1], data[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
    const key = data[i + 3] === 255 ? hex : hex + '/' + data[i + 3];
    counts[key] = (counts[key] || 0) + 1;
  }
  return counts;
}"""
# Edges (viewport pixels) of what must fit one screen, at the top of the page or where it is scrolled to.
EDGES = """(atTop) => {
  if (atTop) window.scrollTo(0, 0);
  const bottom = (id) => document.getElementById(id).getBoundingClientRect().bottom;
  const controls = document.querySelector('.sketch-controls').getBoundingClientRect();
  return { innerHeight, innerWidth, scrollWidth: document.documentElement.scrollWidth,
           canvas: bottom('sketch-canvas'), output: bottom('sketch-output'), readout: bottom('readout'),
           controls: controls.bottom, controlsTop: controls.top,
           outputWidth: document.getElementById('sketch-output').getBoundingClientRect().width,
           naturalWidth: document.getElementById('sketch-output').naturalWidth };
}"""


@pytest.fixture(scope="module")
def twin_model():
    """A second line-drawing model (the bundled demo's weights under another name), installed as
    trained models are, so that switching between two models of the same kind can be tried."""
    from inference.catalog.local import _catalog_path, install_trained

    spec = registry.get_spec("landscape-sketch")
    facts = {"family": spec.family, "task": spec.task, "arch": spec.arch, "title": "Landscape sketch twin",
             "input_size": spec.input_size, "paper": spec.paper, "options": dict(spec.options)}
    twin = install_trained(TWIN, spec.path.read_bytes(), facts)
    yield TWIN
    records = [r for r in json.loads(_catalog_path().read_text()) if r["name"] != TWIN]
    _catalog_path().write_text(json.dumps(records, indent=2))
    twin.path.unlink(missing_ok=True)


# A browser that has been here before: a first visit starts from an example drawing.
VISITED = "localStorage.setItem('atelier.sketch.started', '1')"


def open_sketch(chromium, server, width=1366, height=768, model=None):
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.add_init_script(VISITED)
    page.goto(f"{server}/tools/sketch/")
    if model:
        page.select_option("#model-select", model)
    wait_for_new_output(page, -1)
    return page


def wait_for_new_output(page, after_seq: int) -> int:
    page.wait_for_function(SETTLED, arg=after_seq, timeout=120_000)
    return int(page.get_attribute("#sketch-output", "data-seq"))


def seq_of(page) -> int:
    return int(page.get_attribute("#sketch-output", "data-seq"))


def stroke(page, points):
    """A mouse stroke through `points`, given as fractions of the canvas."""
    box = page.locator("#sketch-canvas").bounding_box()
    at = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def click_canvas(page, x, y):
    box = page.locator("#sketch-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)


def test_settings_and_a_model_of_the_same_kind_keep_the_drawing_and_its_history(chromium, daphne_server, twin_model):
    page = open_sketch(chromium, daphne_server)  # the label-map model first
    page.select_option("#model-select", "landscape-sketch")  # nothing drawn yet: nothing to ask
    assert not page.evaluate("() => document.getElementById('model-change').open")
    wait_for_new_output(page, seq_of(page))
    assert page.evaluate(COLOURS) == {"#ffffff": 256 * 256}  # white paper for line drawings
    stroke(page, [(0.05, 0.45), (0.5, 0.4), (0.95, 0.45)])
    one_stroke = page.evaluate(DRAWING)
    stroke(page, [(0.2, 0.7), (0.4, 0.8), (0.6, 0.7)])
    drawing = page.evaluate(DRAWING)
    assert drawing != one_stroke
    seq = wait_for_new_output(page, -1)

    for change in (lambda: page.check("#dropout"), lambda: page.click("#variation"),
                   lambda: page.select_option("#norm", "eval"), lambda: page.select_option("#model-select", TWIN)):
        change()
        seq = wait_for_new_output(page, seq)  # the server answered the new config with a picture
        assert page.evaluate(DRAWING) == drawing  # …of the same drawing, which is still on the canvas
    assert page.input_value("#model-select") == TWIN

    page.click("#undo")  # the history survived too
    assert page.evaluate(DRAWING) == one_stroke
    page.click("#redo")
    assert page.evaluate(DRAWING) == drawing
    seq = wait_for_new_output(page, seq)

    # A label-map model cannot read a line drawing: the page asks first, and keeping the drawing
    # keeps the model that goes with it.
    page.select_option("#model-select", "landscape-paint")
    page.wait_for_selector("#model-change[open]")
    assert "line drawings" in page.inner_text("#model-change-text")
    page.click("#model-change-keep")
    # The dialog's "close" event, which puts the old model back, comes a task after its [open] goes.
    page.wait_for_function("model => document.getElementById('model-select').value === model", arg=TWIN)
    assert not page.evaluate("() => document.getElementById('model-change').open")
    assert page.evaluate(DRAWING) == drawing

    page.select_option("#model-select", "landscape-paint")
    page.click("#model-change-switch")
    wait_for_new_output(page, seq)
    sky = registry.get_spec("landscape-paint").options["palette"][0]["color"]
    assert page.evaluate(COLOURS) == {sky: 256 * 256}  # a fresh label map, all background label
    page.close()


def test_label_maps_are_painted_in_palette_colours_only(chromium, daphne_server):
    page = open_sketch(chromium, daphne_server, model="landscape-paint")
    palette = {entry["name"]: entry["color"] for entry in registry.get_spec("landscape-paint").options["palette"]}

    def swatch(name):
        page.click(f"#palette .swatch[title='{name}']")

    page.click(".size[data-size='12']")
    swatch("water")  # a closed ring of brush strokes, with a slanted, pressure-free edge everywhere
    ring = [(0.5 + 0.3 * x, 0.5 + 0.3 * y) for x, y in
            [(1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1), (0.7, -0.7), (1, 0)]]
    stroke(page, ring)
    page.click(".size[data-size='2']")
    swatch("rock")
    stroke(page, [(0.1, 0.9), (0.33, 0.97), (0.47, 0.88)])  # the thinnest brush, too
    page.click(".tool[data-tool='rect']")
    swatch("tree")
    stroke(page, [(0.013, 0.017), (0.187, 0.141)])  # a rectangle between pixel positions
    page.click(".tool[data-tool='fill']")
    swatch("sand")
    click_canvas(page, 0.5, 0.5)  # inside the ring
    swatch("grass")
    click_canvas(page, 0.8, 0.5)  # the ring itself: its whole stroke, no rim of the old colour
    swatch("mountain")
    click_canvas(page, 0.95, 0.05)  # the sky around it

    counts = page.evaluate(COLOURS)
    assert set(counts) <= set(palette.values()), counts
    for name in ("sand", "grass", "mountain", "rock", "tree"):
        assert counts.get(palette[name], 0) > 10, (name, counts)
    assert palette["water"] not in counts and palette["sky"] not in counts  # both filled away entirely
    page.close()


def test_an_example_or_a_picture_file_starts_the_drawing_and_undo_takes_it_away(chromium, daphne_server, tmp_path):
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    page.on("filechooser", lambda chooser: None)  # pickers caught from the start (test_keyboard_upload.py)
    page.add_init_script(VISITED)
    page.goto(f"{daphne_server}/tools/sketch/")
    page.select_option("#model-select", "landscape-paint")
    seq = wait_for_new_output(page, -1)
    palette = {entry["name"]: entry["color"] for entry in registry.get_spec("landscape-paint").options["palette"]}
    blank = page.evaluate(DRAWING)
    changed = "(before) => document.getElementById('sketch-canvas').toDataURL() !== before"

    page.click("#example")
    page.wait_for_function(changed, arg=blank)
    counts = page.evaluate(COLOURS)
    assert set(counts) <= set(palette.values()) and len(counts) > 2, counts  # a label map, crisp
    seq = wait_for_new_output(page, seq)  # …and its picture
    first_example = page.evaluate(DRAWING)
    if os.environ.get("ATELIER_SCREENSHOT_DIR"):  # the README's (example 0 of the label-map model)
        Path(os.environ["ATELIER_SCREENSHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(os.environ["ATELIER_SCREENSHOT_DIR"]) / "sketch.png"), full_page=True)
    page.click("#example")  # the next press, the next drawing
    page.wait_for_function(changed, arg=first_example)
    seq = wait_for_new_output(page, seq)
    page.click("#undo")
    page.click("#undo")
    assert page.evaluate(DRAWING) == blank

    # A label map from a file, larger than the canvas, in colours a little off the palette (as a
    # JPEG leaves them), opened with the keyboard: every pixel takes the nearest label.
    def off(colour):
        return tuple(min(255, int(colour[i:i + 2], 16) + 9) for i in (1, 3, 5))

    labels = Image.new("RGB", (600, 600), off(palette["sky"]))
    ImageDraw.Draw(labels).rectangle([0, 300, 599, 599], fill=off(palette["grass"]))
    labels.save(tmp_path / "labels.png")
    tab_to(page, "open-drawing")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(tmp_path / "labels.png"))
    page.wait_for_function(changed, arg=blank)
    counts = page.evaluate(COLOURS)
    assert set(counts) == {palette["sky"], palette["grass"]}, counts
    assert abs(counts[palette["grass"]] - 128 * 256) <= 256  # the bottom half, to a row
    seq = wait_for_new_output(page, seq)

    # A file that is not a picture: said so, in the live region, and the drawing stays.
    drawing = page.evaluate(DRAWING)
    (tmp_path / "notes.png").write_text("not a picture")
    page.set_input_files("#open-drawing", str(tmp_path / "notes.png"))
    page.wait_for_selector("#sketch-errors li")
    assert "could not be opened" in page.inner_text("#sketch-errors")
    assert page.get_attribute("#sketch-errors", "aria-live") == "assertive"
    assert page.evaluate(DRAWING) == drawing

    # A small file of 48 megapixels (a decompression bomb, as far as a tab is concerned): refused
    # from its header, before its pixels are decoded.
    Image.new("L", (8000, 6000), 255).save(tmp_path / "huge.png")
    assert (tmp_path / "huge.png").stat().st_size < 1_000_000
    page.set_input_files("#open-drawing", str(tmp_path / "huge.png"))
    page.wait_for_function("() => document.getElementById('sketch-errors').textContent.includes('too large')")
    assert page.evaluate(DRAWING) == drawing
    page.close()


# The canvas module on its own: a picture opened on a label map and on a line drawing, then a model
# of another input size.
PICTURE_THEN_RESIZE = """async (crisp) => {
  const { SketchCanvas } = await import('/static/js/sketch/canvas.js');
  const element = document.createElement('canvas');
  const canvas = new SketchCanvas(element, { onChange: () => {} });
  const paper = crisp ? '#64b4f0' : '#ffffff';
  canvas.configure({ size: 256, paper, ink: '#000000', crisp, palette: crisp ? [paper, '#000000'] : [] });
  const picture = Object.assign(document.createElement('canvas'), { width: 64, height: 64 });
  const context = picture.getContext('2d');
  context.fillStyle = crisp ? '#0a0a0a' : '#000000';  // on a label map, near black is the label black
  context.fillRect(0, 32, 64, 32);  // the transparent top half shows the paper
  await canvas.open(picture);
  canvas.resize(128);
  const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data;
  const counts = {};
  for (let i = 0; i < data.length; i += 4) {
    const key = [data[i], data[i + 1], data[i + 2], data[i + 3]].join(',');
    counts[key] = (counts[key] || 0) + 1;
  }
  return { width: element.width, counts };
}"""


@pytest.mark.parametrize("crisp, paper", [(True, "100,180,240,255"), (False, "255,255,255,255")])
def test_an_opened_picture_follows_the_canvas_to_another_input_size(chromium, daphne_server, crisp, paper):
    page = chromium.new_page()
    page.goto(f"{daphne_server}/tools/sketch/")
    result = page.evaluate(PICTURE_THEN_RESIZE, crisp)
    assert result["width"] == 128
    counts = result["counts"]
    if crisp:  # every pixel a label: the paper above, black below, to the row
        assert counts == {paper: 128 * 64, "0,0,0,255": 128 * 64}
    else:  # a line drawing is scaled smoothly: a soft row where the two meet
        assert counts[paper] >= 128 * 63 and counts["0,0,0,255"] >= 128 * 63, counts
    page.close()


def test_a_first_visit_starts_from_the_first_example_and_later_ones_do_not(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{daphne_server}/tools/sketch/")  # a browser that has never been here
    assert page.input_value("#model-select") == "landscape-paint"
    example = Image.open(io.BytesIO(page.request.get(f"{daphne_server}/models/landscape-paint/examples/0/").body()))
    colours, counts = np.unique(np.asarray(example.convert("RGB")).reshape(-1, 3), axis=0, return_counts=True)
    expected = {"#%02x%02x%02x" % tuple(colour): int(n) for colour, n in zip(colours, counts)}
    page.wait_for_function("(n) => Object.keys((" + COLOURS + ")()).length === n", arg=len(expected))
    assert page.evaluate(COLOURS) == expected  # the example, pixel for pixel
    wait_for_new_output(page, -1)  # …and its picture

    page.click("#undo")  # one step, as any drawing
    sky = registry.get_spec("landscape-paint").options["palette"][0]["color"]
    assert page.evaluate(COLOURS) == {sky: 256 * 256}
    page.wait_for_function("() => localStorage.getItem('atelier.sketch.drawing') === null")
    page.reload()  # been here before, nothing kept: a blank canvas
    wait_for_new_output(page, -1)
    assert page.evaluate(COLOURS) == {sky: 256 * 256}
    page.close()


def test_an_untouched_example_gives_way_to_the_next_models_own_without_asking(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{daphne_server}/tools/sketch/")  # a first visit: the label-map model's first example
    page.wait_for_function("() => Object.keys((" + COLOURS + ")()).length > 2")
    seq = wait_for_new_output(page, -1)

    page.select_option("#model-select", "landscape-sketch")  # another kind of input, nothing of mine drawn
    line_drawing = "(c) => { const white = c['#ffffff'] || 0; return white > 0.5 * 256 * 256 && white < 256 * 256; }"
    page.wait_for_function("() => (" + line_drawing + ")((" + COLOURS + ")())")  # its own example instead
    assert not page.evaluate("() => document.getElementById('model-change').open")
    seq = wait_for_new_output(page, seq)

    stroke(page, [(0.1, 0.9), (0.5, 0.85), (0.9, 0.9)])  # now the drawing is mine too: a change asks first
    page.select_option("#model-select", "landscape-paint")
    page.wait_for_selector("#model-change[open]")
    page.click("#model-change-keep")
    page.wait_for_function("() => document.getElementById('model-select').value === 'landscape-sketch'")
    page.close()


def test_the_drawing_and_its_model_come_back_after_a_reload(chromium, daphne_server):
    page = open_sketch(chromium, daphne_server, model="landscape-sketch")
    stroke(page, [(0.05, 0.45), (0.5, 0.4), (0.95, 0.45)])
    drawing = page.evaluate(DRAWING)
    wait_for_new_output(page, seq_of(page))
    # Kept a moment after the last change (and not before it is kept whole), then the page is gone.
    page.wait_for_function("(d) => JSON.parse(localStorage.getItem('atelier.sketch.drawing'))?.png === d", arg=drawing)
    page.reload()
    page.wait_for_function("(d) => document.getElementById('sketch-canvas').toDataURL() === d", arg=drawing)
    assert page.input_value("#model-select") == "landscape-sketch"  # not the page's default model
    wait_for_new_output(page, -1)
    page.click("#undo")  # it came back as one step
    assert page.evaluate(COLOURS) == {"#ffffff": 256 * 256}
    page.wait_for_function("() => localStorage.getItem('atelier.sketch.drawing') === null")
    page.reload()  # nothing kept: the page's default model on a fresh canvas
    wait_for_new_output(page, -1)
    assert page.input_value("#model-select") == "landscape-paint"
    sky = registry.get_spec("landscape-paint").options["palette"][0]["color"]
    assert page.evaluate(COLOURS) == {sky: 256 * 256}
    page.close()


# The right edge of the page's content (the site's top bar is the shared layout's, tested for all pages).
CONTENT_RIGHT = """() => Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right))"""


def test_the_page_fits_a_laptop_screen_and_a_phone(chromium, daphne_server):
    page = open_sketch(chromium, daphne_server)
    fit = page.evaluate(EDGES, True)
    assert fit["scrollWidth"] <= fit["innerWidth"], fit
    for part in ("canvas", "output", "readout", "controls"):
        assert fit[part] <= fit["innerHeight"], (part, fit)

    # The picture shown at 512 px, enlarged by the browser: the model still renders its own size.
    # A 512 px square below the controls is taller than this window: the page scrolls to show the
    # squares and the readout, and the controls stay in view above them.
    page.check("#large-output")
    fit = page.evaluate(EDGES, False)
    assert abs(fit["outputWidth"] - 512) < 1, fit
    assert fit["naturalWidth"] == 256
    for part in ("canvas", "output", "readout", "controls"):
        assert fit[part] <= fit["innerHeight"], (part, fit)
    assert fit["controlsTop"] >= 0, fit
    assert fit["scrollWidth"] <= fit["innerWidth"], fit
    page.close()

    page = open_sketch(chromium, daphne_server, width=375, height=740)
    assert page.evaluate(CONTENT_RIGHT) <= 375
    canvas = page.locator("#sketch-canvas").bounding_box()
    output = page.locator("#sketch-output").bounding_box()
    assert canvas["y"] + canvas["height"] <= output["y"]  # the drawing above the picture
    assert canvas["width"] <= 375 and output["width"] <= 375
    assert "left" not in page.inner_text(".sketch-heading").lower()
    page.close()


def test_the_brush_cursor_shows_the_brush_size_as_displayed(chromium, daphne_server):
    page = open_sketch(chromium, daphne_server)
    box = page.locator("#sketch-canvas").bounding_box()
    scale = box["width"] / 256  # the canvas holds the model's 256 px; CSS shows it larger
    assert page.is_hidden("#brush-cursor")
    for size in (6, 24):
        page.click(f".size[data-size='{size}']")
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
        cursor = page.locator("#brush-cursor").bounding_box()
        assert cursor is not None
        assert abs(cursor["width"] - size * scale) < 1, (cursor, size * scale)
        centre = (cursor["x"] + cursor["width"] / 2, cursor["y"] + cursor["height"] / 2)
        assert abs(centre[0] - (box["x"] + box["width"] * 0.3)) < 1.5
        assert abs(centre[1] - (box["y"] + box["height"] * 0.6)) < 1.5
    page.mouse.move(box["x"] + box["width"] + 40, box["y"] - 20)  # off the canvas
    assert page.is_hidden("#brush-cursor")
    page.close()


# The Colours row as the page shows it: {material: "#rrggbb" when ticked, null when the model's choice}.
STYLE = """() => Object.fromEntries([...document.querySelectorAll('#style-materials input[type=checkbox]')].map(
  (box) => [box.dataset.material, box.checked
    ? document.querySelector(`#style-materials input[type=color][data-material="${box.dataset.material}"]`).value
    : null]))"""
# The mean colour of the picture's top fifth (the sky of a drawing that leaves it blank).
SKY_OF_OUTPUT = """() => {
  const img = document.getElementById('sketch-output');
  const c = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, Math.floor(c.height / 5)).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += data[i + k];
  return sum.map((v) => v / (data.length / 4));
}"""


def pick_colour(page, material, colour):
    """What choosing a colour in the colour well does: its value changes and it fires "input"."""
    page.eval_on_selector(f'#style-materials input[type=color][data-material="{material}"]',
                          "(well, colour) => { well.value = colour; well.dispatchEvent(new Event('input')); }", colour)


def test_colours_follow_the_example_steer_the_picture_and_stay_with_the_drawing(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{daphne_server}/tools/sketch/")  # a first visit: example 0, with its scene's colours
    response = page.request.get(f"{daphne_server}/models/landscape-paint/examples/0/")
    scene_colours = json.loads(response.headers["x-example-style"])
    materials = registry.get_spec("landscape-paint").options["style"]
    page.wait_for_function("(n) => document.querySelectorAll('#style-materials input[type=color]').length === n",
                           arg=len(materials))
    page.wait_for_function("(expected) => JSON.stringify((" + STYLE + ")()) === JSON.stringify(expected)",
                           arg={m: scene_colours.get(m) for m in materials})
    seq = wait_for_new_output(page, -1)
    drawing = page.evaluate(DRAWING)

    # An orange sky, then a blue one: the picture's sky follows, the drawing and its history stay.
    pick_colour(page, "sky", "#e08040")
    seq = wait_for_new_output(page, seq)
    orange = page.evaluate(SKY_OF_OUTPUT)
    pick_colour(page, "sky", "#4080e0")
    seq = wait_for_new_output(page, seq)
    blue = page.evaluate(SKY_OF_OUTPUT)
    assert blue[2] - blue[0] > orange[2] - orange[0] + 30, (orange, blue)
    assert page.evaluate(DRAWING) == drawing

    # Kept with the drawing: a reload comes back to the same colours.
    page.wait_for_function("() => JSON.parse(localStorage.getItem('atelier.sketch.drawing'))?.style?.sky === '#4080e0'")
    page.reload()
    page.wait_for_function("() => (" + STYLE + ")().sky === '#4080e0'")
    seq = wait_for_new_output(page, -1)

    page.click("#style-auto")  # every colour back to the model's choice
    assert page.evaluate(STYLE) == {m: None for m in materials}
    wait_for_new_output(page, seq)
    assert page.evaluate(DRAWING) == drawing
    page.close()
