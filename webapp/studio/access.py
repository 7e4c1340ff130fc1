"""Looking up jobs for a request: strangers get 404, never 403, so ids leak nothing."""
import uuid
from functools import wraps

from django.http import Http404

from .models import Job
from .visitors import visitor_token


def visible_jobs(request):
    return Job.objects.for_visitor(request.user, visitor_token(request))


def job_view(view):
    """Pass the Job named by the URL's job_id if this request may see it, else 404."""

    @wraps(view)
    def wrapper(request, job_id, *args, **kwargs):
        job = visible_jobs(request).filter(pk=job_id).first()
        if job is None:
            raise Http404("No such job.")
        return view(request, job, *args, **kwargs)

    return wrapper


def valid_uuids(values) -> list[str]:
    """The values that are UUIDs, as text; the rest (typos, probes) are dropped, never an error."""
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return valid
