"""Every link the site hands out comes from the URLconf: moving the site moves every link."""
import ast
import json
import re
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver

import webapp
from webapp.studio.models import StyleImage

from .conftest import grey_photo, make_item, upload

ROOT = Path(webapp.__file__).parent.parent
pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(settings):
    settings.ROOT_URLCONF = "tests.webapp.moved_urls"
    return "/atelier/"


def test_job_events_follow_where_the_site_is_mounted(owner_client, owner, moved):
    event = make_item(owner).job.as_event()
    for key in ("url", "original_url", "result_url", "thumbnail_url", "cancel_url", "item_url"):
        assert event[key].startswith(moved), key
    for key in ("url", "result_url", "item_url"):
        assert owner_client.get(event[key]).status_code == 200, key
    assert owner_client.post(event["cancel_url"]).status_code == 409  # reached: a done job cannot be cancelled


def test_share_links_and_gallery_pages_follow_where_the_site_is_mounted(owner_client, owner, client_factory, moved):
    item = make_item(owner)
    link = item.share()
    assert link.path == f"{moved}s/{link.token}/"
    page = client_factory().get(link.path).content.decode()
    assert f"{moved}s/{link.token}/items/{item.pk}/result/" in page
    page = owner_client.get(item.get_absolute_url()).content.decode()
    assert f"{moved}gallery/items/{item.pk}/original/" in page and link.path in page
    assert 'href="/gallery' not in page and 'action="/gallery' not in page


@pytest.mark.usefixtures("style_models")
def test_the_style_bank_and_its_page_follow_where_the_site_is_mounted(owner_client, owner, moved):
    response = owner_client.post(f"{moved}tools/stylize/styles/", {"image": upload("monet.png", grey_photo(seed=4))})
    assert response.json()["style"]["thumbnail"].startswith(moved)
    page = owner_client.get(f"{moved}tools/stylize/").content.decode()
    bank = json.loads(page.split('<script id="style-bank-data" type="application/json">')[1].split("</script>")[0])
    thumbnails = [style["thumbnail"] for group in bank for style in group["styles"] if style["thumbnail"]]
    assert len(thumbnails) >= 3  # two of the multi-style network, one of the person's own
    for url in thumbnails:
        assert url.startswith(moved) and owner_client.get(url).status_code == 200, url
    assert f'data-jobs-url="{moved}tools/stylize/jobs/"' in page
    assert f'data-styles-url="{moved}tools/stylize/styles/"' in page
    assert StyleImage.objects.owned_by(owner).count() == 1


def site_prefixes() -> set[str]:
    """The first path segment of every route of the site, as "/segment/"."""
    prefixes, pending = set(), list(get_resolver("webapp.urls").url_patterns)
    while pending:
        pattern = pending.pop()
        route = str(pattern.pattern)
        if route == "" and isinstance(pattern, URLResolver):
            pending += pattern.url_patterns  # mounted at the root: its routes are top level
        elif (segment := route.split("/")[0]) and "<" not in segment:
            prefixes.add(f"/{segment}/")
    return prefixes


def hard_coded_paths(text: str, prefixes: set[str]) -> list[str]:
    return [prefix for prefix in prefixes if re.search(rf"""["'`]{re.escape(prefix)}""", text)]


def test_the_site_prefixes_are_read_from_the_urlconf():
    assert {"/jobs/", "/tools/", "/models/", "/gallery/", "/s/", "/accounts/"} <= site_prefixes()
    assert hard_coded_paths('base = f"/jobs/{job.id}"', site_prefixes()) == ["/jobs/"]


def test_no_python_module_template_or_script_hard_codes_a_path_of_the_site():
    prefixes = site_prefixes()
    offenders = {}
    for path in (ROOT / "webapp").rglob("*.py"):
        strings = [node.value for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        if found := [s for s in strings if any(s.startswith(prefix) for prefix in prefixes)]:
            offenders[str(path)] = found
    for folder, pattern in (("templates", "*.html"), ("static", "*.js")):
        for path in (ROOT / folder).rglob(pattern):
            if found := hard_coded_paths(path.read_text(), prefixes):
                offenders[str(path)] = found
    for path in (ROOT / "templates").rglob("*.html"):
        if found := re.findall(r"""(?:href|src|action)="/[^/]""", path.read_text()):
            offenders[str(path)] = found
    assert offenders == {}
