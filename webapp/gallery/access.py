"""Ownership lookups for gallery views: anything not yours is a 404."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def owned(model, url_kwarg: str):
    """Login required, then pass the `model` row named by `url_kwarg` if the user owns it."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            obj = model.objects.filter(pk=kwargs.pop(url_kwarg), owner=request.user).first()
            if obj is None:
                raise Http404("Not found.")
            return view(request, obj, *args, **kwargs)

        return wrapper

    return decorator
