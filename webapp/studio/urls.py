from django.conf import settings
from django.urls import path
from django_ratelimit.decorators import ratelimit

from webapp.accounts.views import upload_key

from . import views


def _per_person(view):
    """Upload requests counted per person, all upload views together (UPLOAD_RATE)."""
    return ratelimit(group="uploads", key=upload_key, rate=lambda group, request: settings.UPLOAD_RATE,
                     method="POST", block=True)(view)


urlpatterns = [
    path("", views.home, name="home"),
    path("models/", views.models_page, name="models"),
    path("models/upload/", views.model_upload, name="model_upload"),
    path("models/<str:name>/examples/<int:index>/", views.model_example, name="model_example"),
    path("models/<str:name>/previews/<str:style>/", views.model_style_preview, name="model_style_preview"),
    path("models/<str:name>/styles/<int:index>/", views.model_style_thumbnail, name="model_style_thumbnail"),
    path("tools/stylize/styles/", _per_person(views.style_upload), name="style_upload"),
    path("tools/stylize/styles/<uuid:style_id>/delete/", views.style_delete, name="style_delete"),
    path("tools/stylize/styles/<uuid:style_id>/<str:kind>/", views.style_file, name="style_file"),
    path("tools/<slug:tool_name>/", views.tool_page, name="tool"),
    path("tools/<slug:tool_name>/jobs/", _per_person(views.submit_jobs), name="submit_jobs"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/chain/<slug:tool_name>/", views.chain_job, name="chain_job"),
    path("jobs/<uuid:job_id>/samples/<int:index>/", views.job_sample, name="job_sample"),
    path("jobs/<uuid:job_id>/<str:kind>/", views.job_file, name="job_file"),
]
