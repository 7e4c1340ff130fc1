from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("", views.index, name="index"),
    path("selected/", views.bulk, name="bulk"),
    path("items/<uuid:item_id>/", views.item_detail, name="item"),
    path("items/<uuid:item_id>/delete/", views.item_delete, name="item_delete"),
    path("items/<uuid:item_id>/rerun/", views.item_rerun, name="item_rerun"),
    path("items/<uuid:item_id>/share/", views.item_share, name="item_share"),
    path("items/<uuid:item_id>/caption/", views.item_caption, name="item_caption"),
    path("items/<uuid:item_id>/albums/", views.item_albums, name="item_albums"),
    path("items/<uuid:item_id>/samples/<int:index>/", views.item_sample, name="item_sample"),
    path("items/<uuid:item_id>/<str:kind>/", views.item_file, name="item_file"),
    path("albums/", views.album_list, name="albums"),
    path("albums/<uuid:album_id>/", views.album_detail, name="album"),
    path("albums/<uuid:album_id>/delete/", views.album_delete, name="album_delete"),
    path("albums/<uuid:album_id>/share/", views.album_share, name="album_share"),
    path("links/<uuid:link_id>/revoke/", views.link_revoke, name="link_revoke"),
]
