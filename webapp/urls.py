from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("webapp.studio.urls")),
    path("gallery/", include("webapp.gallery.urls")),
    path("s/", include("webapp.gallery.share_urls")),
    path("accounts/", include("webapp.accounts.urls")),
    path("admin/", admin.site.urls),
]
