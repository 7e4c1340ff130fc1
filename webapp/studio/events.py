"""Job events pushed to the owner's WebSocket group."""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .models import Job

log = logging.getLogger(__name__)


def publish(job: Job) -> None:
    """Tell the owner's open pages about this job; never fails the job itself."""
    try:
        async_to_sync(get_channel_layer().group_send)(job.group_name, {"type": "job.update", "job": job.as_event()})
    except Exception:  # the page rebuilds from the database on reload
        log.warning("could not publish event for job %s", job.id, exc_info=True)
