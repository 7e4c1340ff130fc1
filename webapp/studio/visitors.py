"""Anonymous visitors: a random token in the session stands in for an owner.

The token is session data, not the session key, so it survives the key change
that logging in causes, and the visitor's jobs can move to the new account.
"""
import secrets

from django.http import HttpRequest

SESSION_KEY = "atelier_visitor"


def visitor_token(request: HttpRequest, *, create: bool = False) -> str | None:
    token = request.session.get(SESSION_KEY)
    if token is None and create:
        token = secrets.token_hex(16)
        request.session[SESSION_KEY] = token
    return token
