"""The studio finishes jobs without knowing the gallery: a signal carries the result over."""
import ast
import io
from pathlib import Path

import pytest
from PIL import Image

import webapp
from webapp.gallery.models import Item
from webapp.studio.models import Job

from .conftest import grey_photo

STUDIO = Path(webapp.__file__).parent / "studio"


def gallery_imports(source: str, module: str) -> list[str]:
    """The imports of webapp.gallery in `source`, the text of the module named `module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the module's own package
                package = module.split(".")[:-node.level]
                base = ".".join(package + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in names if name == "webapp.gallery" or name.startswith("webapp.gallery.")]
    return found


def test_the_import_check_finds_every_way_of_importing_the_gallery():
    for source in ("import webapp.gallery.models", "from webapp.gallery.models import Item",
                   "from webapp import gallery", "from ..gallery import receivers",
                   "def f():\n    from webapp.gallery.models import Item\n"):
        assert gallery_imports(source, "webapp.studio.tasks"), source
    assert not gallery_imports("from webapp.studio import access\nfrom . import models", "webapp.studio.tasks")


def test_no_module_of_the_studio_imports_the_gallery():
    modules = sorted(STUDIO.rglob("*.py"))
    assert len(modules) > 10  # the whole app, migrations and commands included
    offenders = {}
    for path in modules:
        name = ".".join(("webapp", *path.relative_to(STUDIO.parent).with_suffix("").parts))
        if found := gallery_imports(path.read_text(), name):
            offenders[str(path)] = found
    assert offenders == {}


def finish(job: Job) -> Job:
    assert job.mark_running()
    with job.original.open("rb") as f:
        job.store_result(Image.open(io.BytesIO(f.read())).convert("RGB"))
    assert job.mark_done({"run_s": 0.1, "queued_s": 0.0})
    return job


def submit(owner=None, visitor="") -> Job:
    return Job.submit(owner=owner, visitor=visitor, tool="colorize", model_name="eccv16", params={},
                      image=Image.open(io.BytesIO(grey_photo())), original_name="photo.png")


@pytest.mark.django_db
def test_a_finished_job_lands_in_its_owners_gallery(owner_client, owner):
    job = finish(submit(owner))
    item = Item.objects.get(job=job)
    assert item.owner == owner
    assert str(item.pk) in owner_client.get("/gallery/").content.decode()
    assert Job.objects.get(pk=job.pk).as_event()["item_url"] == f"/gallery/items/{item.pk}/"


@pytest.mark.django_db
def test_a_job_that_is_not_done_is_not_kept(owner):
    job = submit(owner)
    assert job.mark_running()
    job.mark_failed("The model is missing.")
    cancelled = submit(owner)
    cancelled.cancel()
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_an_anonymous_visitors_finished_job_is_not_kept():
    job = finish(submit(visitor="a" * 32))
    assert job.status == Job.Status.DONE and not Item.objects.exists()
    assert job.as_event()["item_url"] is None
