"""Response headers for every page: a Content-Security-Policy and a Permissions-Policy.

Django 5.2 has no CSP of its own; one header string from settings does not need
a library. The pages load only /static/ scripts and styles (no inline ones), so
'self' is the whole policy; the live pages' sockets are same-origin too.
"""
from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
