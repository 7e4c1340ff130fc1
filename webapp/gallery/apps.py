from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "webapp.gallery"
    label = "gallery"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
