"""The whole site mounted under /atelier/, as a deployment beside other sites would mount it."""
from django.urls import include, path

urlpatterns = [path("atelier/", include("webapp.urls"))]
