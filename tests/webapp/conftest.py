"""Three people for every permission edge: the owner, another member, and a stranger."""
import io

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from PIL import Image


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("owner", password="pw-owner-123")


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("member", password="pw-member-123")


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("stranger", password="pw-stranger-123")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(client_factory, stranger):
    c = client_factory()
    c.force_login(stranger)
    return c


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets its own channel layer instance. In-process consumers run on the event loop
    of their test's async_to_sync call; a test that fails before its disconnect leaves the shared
    layer's receive lock held on a closed loop, and every later socket test would fail on it."""
    from channels.layers import channel_layers

    yield
    channel_layers.backends.clear()


def grey_photo(width: int = 96, height: int = 64, fmt: str = "PNG", seed: int = 0) -> bytes:
    """A procedural grey photo: soft gradients and blobs, encoded in `fmt`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    img = 120 + 60 * np.sin(x / 9.0) * np.cos(y / 7.0) + rng.normal(0, 8, (height, width))
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L").save(buf, fmt)
    return buf.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def make_item(owner, name: str = "photo.png", seed: int = 0, *, tool: str = "colorize", model_name: str = "eccv16",
              params: dict | None = None):
    """A finished, kept result made through the real domain methods (no worker: on_commit
    never fires inside the `db` fixture's transaction, so nothing is queued)."""
    from webapp.gallery.models import Item
    from webapp.studio.models import Job

    image = Image.open(io.BytesIO(grey_photo(seed=seed)))
    job = Job.submit(owner=owner, visitor="", tool=tool, model_name=model_name, params=params or {},
                     image=image, original_name=name)
    assert job.mark_running()
    job.store_result(image.convert("RGB"))
    assert job.mark_done({"run_s": 0.1, "queued_s": 0.0})
    return Item.keep(job)
