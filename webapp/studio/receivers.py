"""The studio's own reactions to the rest of the site: sign-ins and deleted rows."""
from django.contrib.auth.signals import user_logged_in
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Job, JobSample, StyleImage
from .visitors import claimable_visitor


@receiver(user_logged_in)
def hand_over_visitor_work(sender, request, user, **kwargs) -> None:
    """A visitor who signs up or logs in keeps the jobs and style images they made before in
    this browser (visitors.py: a planted session hands nothing over)."""
    visitor = claimable_visitor(request) if request is not None else None
    if not visitor:
        return
    Job.hand_over(visitor, user)
    StyleImage.objects.hand_over(visitor, user)


@receiver(post_delete, sender=Job)
@receiver(post_delete, sender=JobSample)
@receiver(post_delete, sender=StyleImage)
def delete_stored_files(sender, instance, using, **kwargs) -> None:
    """Remove a deleted row's stored files, however it was deleted (a cascade from its owner too)."""
    stored = [(file.storage, file.name) for file in _files_of(instance) if file.name]
    # Files go only once the delete is committed, so a rolled-back delete never loses them.
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored], using=using)


def _files_of(instance) -> list:
    return [getattr(instance, field.attname) for field in instance._meta.concrete_fields
            if isinstance(field, models.FileField)]
