"""Procedural photos and paintings are deterministic per seed and differ between seeds and kinds."""

import numpy as np
import pytest

from inference.data.procedural import PAINTING_KINDS, painting, photo, write_paintings


def test_the_same_seed_gives_the_same_picture_and_another_seed_another():
    assert np.array_equal(np.asarray(photo(3, (64, 48))), np.asarray(photo(3, (64, 48))))
    assert not np.array_equal(np.asarray(photo(3, (64, 48))), np.asarray(photo(4, (64, 48))))
    assert photo(3, (64, 48)).size == (64, 48) and photo(3).mode == "RGB"


@pytest.mark.parametrize("kind", PAINTING_KINDS)
def test_each_kind_of_painting_is_deterministic_and_textured(kind):
    a, b = np.asarray(painting(5, (64, 64), kind)), np.asarray(painting(5, (64, 64), kind))
    assert np.array_equal(a, b)
    assert a.astype(float).std() > 15  # a texture, not a flat colour


def test_painting_folders_cycle_through_the_kinds(tmp_path):
    paths = write_paintings(tmp_path, 4, size=(32, 32))
    assert [p.name for p in paths] == ["00-stripes.png", "01-blobs.png", "02-strokes.png", "03-stripes.png"]
