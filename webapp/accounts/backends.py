"""django-axes' lockout check for every web login (the site's and the admin's).

Logins made without a request (Django's test client, a shell) have no address
to count, and django-axes refuses them outright; those are let through to the
next backend. Every login through a page has a request.
"""
from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
