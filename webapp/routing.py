from django.urls import path

from webapp.studio.consumers import SketchConsumer, StudioConsumer

websocket_urlpatterns = [
    path("ws/studio/", StudioConsumer.as_asgi()),
    path("ws/sketch/", SketchConsumer.as_asgi()),
]
