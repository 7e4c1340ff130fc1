"""Ownership lookups for gallery views: members only, and anything not yours is a 404."""
from django.contrib.auth.decorators import login_required

from webapp.studio import access


def owned(model, url_kwarg: str):
    """Login required, then pass the `model` row named by `url_kwarg` if the user owns it."""

    def decorator(view):
        return login_required(access.owned(model, url_kwarg)(view))

    return decorator
