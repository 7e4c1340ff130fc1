from django.urls import path

from webapp.studio.consumers import StudioConsumer
from webapp.studio.edit_consumer import EditConsumer
from webapp.studio.live_consumers import ColorizeConsumer, SketchConsumer, StylizeConsumer

websocket_urlpatterns = [
    path("ws/studio/", StudioConsumer.as_asgi()),
    path("ws/sketch/", SketchConsumer.as_asgi()),
    path("ws/stylize/", StylizeConsumer.as_asgi()),
    path("ws/colorize/", ColorizeConsumer.as_asgi()),
    path("ws/edit/", EditConsumer.as_asgi()),
]
