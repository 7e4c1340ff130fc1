"""Looking up a person's rows for a request: strangers get 404, never 403, so ids leak nothing."""
import uuid
from functools import wraps

from django.http import Http404

from .visitors import visitor_token


def mine(request, model):
    """The rows of `model` (an owned model) that the person behind this request owns."""
    return model.objects.owned_by(request.user, visitor_token(request))


def owned(model, url_kwarg: str):
    """Pass the `model` row named by the URL's `url_kwarg` if this request's person owns it, else 404."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            row = mine(request, model).filter(pk__in=valid_uuids([kwargs.pop(url_kwarg)])).first()
            if row is None:
                raise Http404("Not found.")
            return view(request, row, *args, **kwargs)

        return wrapper

    return decorator


def valid_uuids(values) -> list[str]:
    """The values that are UUIDs, as text; the rest (typos, probes) are dropped, never an error."""
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return valid
