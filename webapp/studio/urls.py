from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("models/", views.models_page, name="models"),
    path("tools/<slug:tool_name>/", views.tool_page, name="tool"),
    path("tools/<slug:tool_name>/jobs/", views.submit_jobs, name="submit_jobs"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/<str:kind>/", views.job_file, name="job_file"),
]
