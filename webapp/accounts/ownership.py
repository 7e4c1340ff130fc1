"""Who owns a row: a signed-in user, or an anonymous visitor known by a session token.

Every model with an `owner` (and, where anonymous people may make it, a `visitor`
token) takes its manager from `OwnedQuerySet`, so "the things this person owns"
is one rule in one place.
"""
from django.core.exceptions import FieldDoesNotExist
from django.db import models


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user, visitor: str | None = None) -> "OwnedQuerySet":
        """The rows of this person: a user's own, or, for an anonymous visitor, the ones made
        under their token (only on models that let visitors own rows). Nobody's otherwise."""
        if user is not None and user.is_authenticated:
            return self.filter(owner=user)
        if visitor and _takes_visitors(self.model):
            return self.filter(owner=None, visitor=visitor)
        return self.none()

    def hand_over(self, visitor: str, user) -> int:
        """Give a visitor's rows to the account they signed in to; returns how many moved."""
        if not visitor or not _takes_visitors(self.model):
            return 0
        return self.filter(owner=None, visitor=visitor).update(owner=user, visitor="")


def owner_fields(user, visitor: str) -> dict:
    """The `owner`/`visitor` values of a new row made by this person."""
    if user is not None and user.is_authenticated:
        return {"owner": user, "visitor": ""}
    return {"owner": None, "visitor": visitor}


def _takes_visitors(model) -> bool:
    try:
        model._meta.get_field("visitor")
    except FieldDoesNotExist:
        return False
    return True
