"""Anonymous visitors: a random token in the session stands in for an owner.

The token is session data, not the session key, so it survives the key change
that logging in causes, and the visitor's jobs can move to the new account.

The browser that made the token also gets it in a signed cookie (VISITOR_COOKIE).
A session id planted in someone else's browser brings the planter's token but
not that cookie, so logging in hands over a visitor's work only when both agree
(`claimable_visitor`): the victim's account never receives the planter's jobs.
"""
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "atelier_visitor"
VISITOR_COOKIE = "atelier_visitor"
_SALT = "atelier.visitor"


def visitor_token(request: HttpRequest, *, create: bool = False) -> str | None:
    token = request.session.get(SESSION_KEY)
    if token is None and create:
        token = secrets.token_hex(16)
        request.session[SESSION_KEY] = token
        request.new_visitor_token = token  # VisitorCookieMiddleware writes the cookie
    return token


def claimable_visitor(request: HttpRequest) -> str | None:
    """This session's visitor token, taken out of it, if this browser is the one that made it."""
    token = request.session.pop(SESSION_KEY, None)
    cookie = request.get_signed_cookie(VISITOR_COOKIE, default=None, salt=_SALT)
    if token and cookie and secrets.compare_digest(token, cookie):
        return token
    return None


class VisitorCookieMiddleware:
    """Sets the signed visitor cookie when a token is made, and drops it once signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "new_visitor_token", None)
        if token:
            response.set_signed_cookie(VISITOR_COOKIE, token, salt=_SALT, max_age=settings.VISITOR_MAX_AGE_S,
                                       httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        elif VISITOR_COOKIE in request.COOKIES and getattr(request, "user", None) and request.user.is_authenticated:
            response.delete_cookie(VISITOR_COOKIE, samesite="Lax")
        return response
