"""A visitor who signs up or logs in keeps what they made before."""
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .models import Job
from .visitors import SESSION_KEY


@receiver(user_logged_in)
def claim_visitor_jobs(sender, request, user, **kwargs) -> None:
    visitor = request.session.pop(SESSION_KEY, None) if request is not None else None
    if not visitor:
        return
    from webapp.gallery.models import Item

    jobs = Job.objects.filter(owner=None, visitor=visitor)
    done = list(jobs.filter(status=Job.Status.DONE))
    jobs.update(owner=user, visitor="")
    for job in done:
        job.owner = user
        Item.keep(job)
