from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_ratelimit.decorators import ratelimit

from .forms import SignupForm


def too_many_requests(request: HttpRequest, exception) -> HttpResponse:
    """What django-ratelimit answers (RATELIMIT_VIEW) once a limit is reached."""
    return HttpResponse("Too many requests from here; please wait a while and try again.", status=429,
                        content_type="text/plain; charset=utf-8")


def upload_key(group: str, request: HttpRequest) -> str:
    """Uploads are counted per account, or per visitor token (else per address)."""
    from webapp.studio.visitors import visitor_token

    if request.user.is_authenticated:
        return f"user:{request.user.pk}:{request.user.date_joined.timestamp()}"
    return f"visitor:{visitor_token(request)}" if visitor_token(request) else f"ip:{request.META.get('REMOTE_ADDR')}"


@ratelimit(key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST", block=True)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})
