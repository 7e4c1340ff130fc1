"""The local catalog is read again only when its file changes (the live worker looks a model up every frame)."""
import os

from inference.catalog.local import local_specs, register_local, trained_spec

FACTS = {"family": "pix2pix", "task": "sketch", "arch": "unet_small_resize", "input_size": 256, "paper": "",
         "options": {"kind": "sketch"}}


def test_a_model_recorded_or_the_catalog_removed_is_seen_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    assert local_specs() == []
    register_local(trained_spec("first", "a" * 64, FACTS))
    assert [s.name for s in local_specs()] == ["first"]
    register_local(trained_spec("second", "b" * 64, FACTS))
    assert sorted(s.name for s in local_specs()) == ["first", "second"]
    (tmp_path / "local-models.json").unlink()
    assert local_specs() == []


def test_an_unchanged_catalog_is_not_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    register_local(trained_spec("only", "c" * 64, FACTS))
    first = local_specs()
    # Spoil the bytes in place, keeping inode, size and modification time: a re-read would find no models.
    path = tmp_path / "local-models.json"
    stat = path.stat()
    with open(path, "r+b") as file:
        file.write(b"x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert local_specs() == first
    local_specs().clear()  # a caller's list is its own
    assert local_specs() == first
