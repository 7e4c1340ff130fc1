"""The gallery keeps what the studio finishes; the studio never knows the gallery exists."""
from django.dispatch import receiver

from webapp.studio.signals import job_done

from .models import Item


@receiver(job_done)
def keep_finished_job(sender, job, **kwargs) -> None:
    """A signed-in person's finished result lands in their gallery; a visitor's is not kept."""
    if job.owner_id:
        Item.keep(job)
