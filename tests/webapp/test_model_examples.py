"""Example inputs: the bundled Sketch and Upscale models have a fixed set each (drawings, faces), other models none."""
import io
import re

import numpy as np
import pytest
from PIL import Image

from inference.data.landscapes import EXAMPLES
from inference.registry import get_spec

pytestmark = pytest.mark.django_db


def example(client, name: str, index: int):
    return client.get(f"/models/{name}/examples/{index}/")


def test_the_bundled_models_examples_are_drawings_of_their_kind(client):
    palette = {tuple(int(entry["color"][i:i + 2], 16) for i in (1, 3, 5))
               for entry in get_spec("landscape-paint").options["palette"]}
    response = example(client, "landscape-paint", 5)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    label_map = Image.open(io.BytesIO(response.content))
    assert label_map.size == (256, 256)
    colours = {tuple(c) for c in np.asarray(label_map.convert("RGB")).reshape(-1, 3)}
    assert len(colours) > 2 and colours <= palette  # a label map in the model's own colours

    drawing = Image.open(io.BytesIO(example(client, "landscape-sketch", 5).content)).convert("L")
    assert drawing.size == (256, 256) and np.asarray(drawing).mean() > 180 and np.asarray(drawing).min() < 80

    # The same number is the same drawing (the browser may keep it), another number another one.
    assert example(client, "landscape-paint", 5).content == response.content
    assert example(client, "landscape-paint", 6).content != response.content
    assert "max-age" in response["Cache-Control"]


def test_a_style_model_s_example_says_its_scene_s_colours(client):
    import json

    from inference.data.landscapes import example_scene
    from inference.data.palette import STYLE_MATERIALS

    for name, kind in (("landscape-paint", "paint"), ("landscape-sketch", "sketch")):
        style = json.loads(example(client, name, 4)["X-Example-Style"])
        scene = example_scene(kind, 4, 256).style
        materials = get_spec(name).options["style"]  # only the colours this model takes
        assert style == {m: scene[m] for m in materials if m in scene} and "sky" in style
        assert set(materials) <= set(STYLE_MATERIALS)
    assert "horizon" not in get_spec("landscape-paint").options["style"]
    assert "X-Example-Style" not in example(client, "prsr-faces", 4)


def test_the_bundled_face_model_has_example_faces(client):
    response = example(client, "prsr-faces", 0)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    face = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert face.shape == (64, 64, 3) and face.std() > 20  # a picture, not a flat square
    assert example(client, "prsr-faces", 1).content != response.content


@pytest.mark.parametrize("name, index", [("landscape-paint", EXAMPLES), ("prsr-faces", EXAMPLES), ("edges2shoes", 0),
                                         ("no-such-model", 0), ("candy", 0), ("realesrgan-x4plus", 0)])
def test_no_example_beyond_the_set_or_for_other_models(client, name, index):
    response = example(client, name, index)
    assert response.status_code == 404
    assert b"Traceback" not in response.content


def test_the_sketch_page_offers_examples_only_for_models_that_have_them(client):
    from webapp.studio.tools import TOOLS

    page = client.get("/tools/sketch/").content.decode()
    examples = re.findall(r'data-examples="([^"]*)"', page)  # one per model of the drop-down
    assert len(examples) == len(TOOLS["sketch"].models())
    assert sorted(filter(None, examples)) == ["/models/landscape-paint/examples/0/",
                                              "/models/landscape-sketch/examples/0/"]
    assert f'data-count="{EXAMPLES}"' in page


def test_the_upscale_page_offers_example_faces_for_the_face_model(client):
    page = client.get("/tools/upscale/").content.decode()
    assert 'data-examples="/models/prsr-faces/examples/0/"' in page
    assert f'data-count="{EXAMPLES}"' in page
