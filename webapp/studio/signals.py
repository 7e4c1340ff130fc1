"""What the studio tells the rest of the site. The studio never imports its listeners."""
from django.dispatch import Signal

# Sent with `job` (a done Job) when its result is ready for its owner: when the job finishes,
# and again when a visitor's finished job moves to the account they signed in to. The job may
# have no owner (an anonymous visitor's): listeners keep nothing for those.
job_done = Signal()
