"""Anonymous visitors' unclaimed work is deleted once the visitor has been away VISITOR_MAX_AGE_S.

A visitor's rows go together, judged by their newest one, so someone still
working never loses their earlier pictures; queued or running jobs are left to
finish. Deleting a row removes its files (receivers.delete_stored_files).
Run by `manage.py cleanup_visitors`, and periodically by the studio's sweeper.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .models import Job, StyleImage


def cleanup_visitors(max_age_s: float | None = None, now=None) -> dict[str, int]:
    """Delete the jobs and style images of visitors idle longer than `max_age_s`; counts by kind."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.VISITOR_MAX_AGE_S if max_age_s is None
                                                 else max_age_s)
    recent = set()
    for model in (Job, StyleImage):
        newest = model.objects.filter(owner=None).exclude(visitor="").values("visitor").annotate(
            newest=Max("created_at"))
        recent |= {row["visitor"] for row in newest if row["newest"] >= cutoff}
    recent |= set(Job.objects.filter(owner=None, status__in=Job.ACTIVE).values_list("visitor", flat=True))
    deleted = {}
    for model in (Job, StyleImage):
        stale = model.objects.filter(owner=None).exclude(visitor="").exclude(visitor__in=recent)
        # One by one: each delete sends post_delete, which removes the row's files.
        count = 0
        for row in stale.iterator():
            row.delete()
            count += 1
        deleted[model._meta.verbose_name_plural] = count
    return deleted
