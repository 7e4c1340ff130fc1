from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.shared, name="shared"),
    path("<str:token>/items/<uuid:item_id>/samples/<int:index>/", views.shared_sample, name="shared_sample"),
    path("<str:token>/items/<uuid:item_id>/<str:kind>/", views.shared_file, name="shared_file"),
]
