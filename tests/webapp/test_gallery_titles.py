"""Results say what they are: "Sketch · landscape-sketch · 30 Nov 14:02", and their settings in words."""
import io
import json
from datetime import datetime, timezone

import pytest
from django.urls import reverse
from PIL import Image

from inference.registry import get_spec
from webapp.gallery.describe import SETTINGS, job_title, settings_labels
from webapp.gallery.models import Album
from webapp.studio.models import StyleImage
from webapp.studio.tools import TOOLS, stylize_blend

from .conftest import grey_photo, make_item

pytestmark = pytest.mark.django_db

RAW = ("{", "}", "[", "]", "weights", "None")


def sketch_item(owner, **params):
    item = make_item(owner, name="sketch.png", tool="sketch", model_name="landscape-sketch",
                     params=TOOLS["sketch"].read_params(params, None))
    item.job.created_at = datetime(2026, 11, 30, 14, 2, tzinfo=timezone.utc)
    item.job.save(update_fields=["created_at"])
    return item


def shows_title(html: str, item) -> bool:
    return (f"{item.title_what} · <time datetime=\"{item.job.created_at.isoformat()}\" data-local-time>"
            f"{item.title_when}</time>") in html


def assert_readable(labels: list[str]):
    assert labels
    for line in labels:
        assert ": " in line and not any(raw in line for raw in RAW), line


def test_every_tool_has_a_label_table():
    assert set(SETTINGS) == set(TOOLS)


def test_title_is_tool_model_and_local_date(owner, settings):
    item = sketch_item(owner)
    assert item.title == "Sketch · landscape-sketch · 30 Nov 14:02"
    settings.TIME_ZONE = "Europe/Paris"
    assert job_title(item.job) == "Sketch · landscape-sketch · 30 Nov 15:02"


def test_colorize_settings_read_as_labels(owner):
    hints = [{"x": 0.2, "y": 0.3, "color": "#00ff00"}, {"x": 0.5, "y": 0.5, "color": "#0000ff"}]
    params = TOOLS["colorize"].read_params({"hints": json.dumps(hints), "gamut": "clip"}, None)
    job = make_item(owner, params=params).job
    assert set(params) <= set(SETTINGS["colorize"])
    labels = settings_labels(job)
    assert_readable(labels)
    assert labels == ["Colour hints: 2", "Out-of-gamut colours: clip each channel (official)"]


def test_sketch_settings_read_as_labels(owner):
    job = sketch_item(owner, norm="eval", dropout="on", direction="BtoA", seed="7").job
    assert set(job.params) <= set(SETTINGS["sketch"])
    labels = settings_labels(job)
    assert_readable(labels)
    assert labels == ["Normalisation: eval (running statistics)", "Dropout: on", "Direction: B → A", "Seed: 7"]
    assert settings_labels(sketch_item(owner).job) == ["Normalisation: official", "Dropout: off", "Direction: A → B"]


def test_edit_settings_read_as_labels(owner):
    strokes = [{"points": [[0.1, 0.1], [0.2, 0.2]], "colour": "#ff0000", "radius": 0.05}] * 3
    params = TOOLS["edit"].read_params({"seed": "3", "mix_seed": "9", "mix": "0.25", "strokes": json.dumps(strokes)},
                                       None)
    job = make_item(owner, tool="edit", model_name="ian-faces", params=params).job
    assert set(params) <= set(SETTINGS["edit"])
    labels = settings_labels(job)
    assert_readable(labels)
    for line in ("Start: random face (seed 3)", "Mix: 25 % towards random face (seed 9)", "Strokes: 3",
                 "Steps per stroke: 4", "Step size: 12", "Mask blur: 2 px"):
        assert line in labels


def test_upscale_settings_read_as_labels(owner, upscale_models):
    params = TOOLS["upscale"].read_params({"model": upscale_models["sampler"], "temperature": "0.8", "samples": "4",
                                           "seed": "5"}, None)
    job = make_item(owner, tool="upscale", model_name=upscale_models["sampler"], params=params).job
    assert set(params) <= set(SETTINGS["upscale"])
    assert settings_labels(job) == ["Temperature: 0.8", "Samples: 4", "Seed: 5"]
    assert TOOLS["upscale"].read_params({"model": upscale_models["photo"]}, None) == {}


def test_stylize_settings_read_as_labels(owner, style_models):
    multi = stylize_blend({"model": style_models["multi"], "weights": {"0": 0.6, "1": 0.4}, "strength": 0.8,
                           "preserve_colour": "luminance"}, user=owner, visitor=None).as_dict()
    names = [style["name"] for style in get_spec(style_models["multi"]).options["styles"]]
    job = make_item(owner, tool="stylize", model_name=style_models["multi"], params=multi).job
    assert set(multi) <= set(SETTINGS["stylize"])
    labels = settings_labels(job)
    assert_readable(labels)
    assert labels == [f"Styles: {names[0]} 60 %, {names[1]} 40 %", "Strength: 80 %",
                      "Colours: the photo's (luminance)"]

    monet = StyleImage.add(owner=owner, visitor="", name="Monet", image=Image.open(io.BytesIO(grey_photo())))
    adain = stylize_blend({"model": style_models["adain"], "weights": {str(monet.pk): 1}}, user=owner,
                          visitor=None).as_dict()
    job = make_item(owner, tool="stylize", model_name=style_models["adain"], params=adain).job
    assert settings_labels(job)[0] == "Styles: Monet 100 %"

    single = stylize_blend({"model": style_models["single"]}, user=owner, visitor=None).as_dict()
    job = make_item(owner, tool="stylize", model_name=style_models["single"], params=single).job
    assert settings_labels(job) == ["Styles: Candy", "Strength: 100 %", "Colours: the style's"]


def test_unknown_settings_still_read_as_words(owner):
    job = make_item(owner, params={"future_knob": {"a": 1}, "gamut": "clip"}).job
    labels = settings_labels(job)
    assert labels[-1] == "Future knob: a 1"
    assert_readable(labels)


def test_titles_on_the_gallery_item_album_and_shared_pages(owner_client, owner, client_factory):
    item = sketch_item(owner, norm="official")
    title = "Sketch · landscape-sketch · 30 Nov 14:02"
    album = Album.objects.create(owner=owner, name="Drawings")
    album.items.add(item)
    pages = [owner_client.get(reverse("gallery:index")), owner_client.get(item.get_absolute_url()),
             owner_client.get(reverse("gallery:album", args=[album.pk])),
             client_factory().get(item.share().path), client_factory().get(album.share().path)]
    for page in pages:
        text = page.content.decode()
        # The date in a <time> the page re-writes in the reader's time zone.
        assert page.status_code == 200 and shows_title(text, item)
        assert "weights: {}" not in text
    assert title in pages[0].content.decode()  # whole, for screen readers, beside each checkbox
    item_page = pages[1].content.decode()
    assert "Normalisation: official" in item_page and "sketch.png" in item_page  # the input's name, as a detail
    shared = pages[3].content.decode()
    assert "Normalisation: official" in shared and "sketch.png" not in shared  # the owner's file name stays private


def test_download_name_stays_the_input_name_and_tool(owner_client, owner):
    item = sketch_item(owner)
    response = owner_client.get(reverse("gallery:item_file", args=[item.pk, "result"]), {"download": 1, "format": "png"})
    assert response["Content-Disposition"] == 'attachment; filename="sketch-sketch.png"'
