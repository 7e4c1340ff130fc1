"""Files stored by a process killed before its row was committed are swept; files rows refer to never are."""
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from webapp.studio.sweeper import remove_orphan_files

from .conftest import make_item

pytestmark = pytest.mark.django_db


def age(name: str, seconds: float) -> None:
    path = default_storage.path(name)
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_old_unreferenced_files_go_and_referenced_or_recent_ones_stay(owner):
    job = make_item(owner).job
    kept = [job.original.name, job.result.name, job.thumbnail.name]
    orphan = default_storage.save("originals/ab/orphan-from-a-killed-request.png", ContentFile(b"x"))
    recent = default_storage.save("results/cd/being-stored-right-now.png", ContentFile(b"y"))
    for name in [*kept, orphan]:
        age(name, 7200)

    assert remove_orphan_files(max_age_s=3600) == 1

    assert not default_storage.exists(orphan)
    assert default_storage.exists(recent)
    assert all(default_storage.exists(name) for name in kept)
