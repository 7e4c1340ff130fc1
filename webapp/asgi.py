"""ASGI entry point for Daphne: HTTP goes to Django, WebSockets to Channels consumers."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from webapp.daphne_options import leave_form_bodies_to_django  # noqa: E402
from webapp.request_limit import RequestBodyLimit  # noqa: E402
from webapp.routing import websocket_urlpatterns  # noqa: E402
from webapp.studio.uploads import max_weights_bytes  # noqa: E402
from webapp.socket_guards import SameOriginValidator, SendBuffer  # noqa: E402

leave_form_bodies_to_django()  # Django parses uploads, streaming files to disk (daphne_options.py)

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app, settings.MAX_REQUEST_MB * 1_000_000, other_limits=lambda: {
            reverse("model_upload"): (max_weights_bytes(), "weights file")}),
        # SendBuffer first: it needs the server's own `send` (socket_guards.py).
        "websocket": SendBuffer(SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
