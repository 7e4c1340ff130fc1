import json

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from inference.errors import ImageRejected, InferenceError
from inference.examples import EXAMPLES
from inference.images import MAX_ASPECT_RATIO, ImageHeader, limit_in_mb
from inference.registry import all_models, get_spec

from .access import mine, owned, valid_uuids
from .files import download_stem, example_png, image_response
from .models import Job, StyleImage
from .style_bank import style_bank
from .tools import TOOLS, chained_input
from .uploads import WeightsUploadHandler, check, decode, max_weights_bytes, oversized_errors, stored_extension
from .visitors import visitor_token


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/home.html", {"tools": TOOLS.values()})


@require_GET
def tool_page(request: HttpRequest, tool_name: str) -> HttpResponse:
    tool = TOOLS.get(tool_name) or _not_found()
    visitor_token(request, create=not request.user.is_authenticated)  # the socket needs it
    jobs = mine(request, Job).filter(tool=tool.name).select_related("gallery_item")[:30]
    default = tool.default_model()
    extra = {"stylize": lambda: {"style_bank": style_bank(request), "preview_side": settings.STYLE_PREVIEW_SIDE},
             "colorize": lambda: {"preview_side": settings.COLORIZE_PREVIEW_SIDE},
             "upscale": lambda: _upscale_extra(request),
             "edit": lambda: _edit_extra(request)}.get(tool.name, dict)()
    return render(request, f"studio/{tool.name}.html", {
        **extra,
        "tool": tool,
        "models": tool.models(),
        "default_model": default.name if default else "",
        # A reload rebuilds the page from the database, never from missed events.
        "jobs_json": [job.as_event() for job in jobs],
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "max_megapixels": settings.MAX_UPLOAD_MEGAPIXELS,
        "max_files": settings.MAX_UPLOAD_FILES,
        "max_aspect": MAX_ASPECT_RATIO,
        "sizes": [2, 6, 12, 24],
        "examples": EXAMPLES,
    })


def _edit_extra(request: HttpRequest) -> dict:
    """The saved edit the Edit page continues from ("Continue editing"): its start, strokes and settings."""
    if not request.GET.get("from"):
        return {"edit_from": ""}
    job = mine(request, Job).filter(pk__in=valid_uuids([request.GET["from"]]), tool="edit").first()
    if job is None:
        raise Http404("No such edit.")
    # A random face restarts from its seed; a photo from the stored original the job edited.
    photo_url = "" if job.params.get("seed") is not None else reverse("job_file", args=[job.pk, "original"])
    return {"edit_from": json.dumps({**job.params, "model": job.model_name, "photo_url": photo_url,
                                     "job": str(job.pk)})}


def _upscale_extra(request: HttpRequest) -> dict:
    """The Upscale page's limits, and the result it was asked to take as its input ("Upscale this")."""
    extra = {"max_output_megapixels": settings.UPSCALE_MAX_OUTPUT_MEGAPIXELS, "chain_from": None}
    if request.GET.get("from"):
        parent = mine(request, Job).filter(pk__in=valid_uuids([request.GET["from"]]), status=Job.Status.DONE).first()
        try:
            sample = int(request.GET.get("sample") or 0)
        except ValueError:
            sample = -1
        if parent is None or sample < 0 or parent.sample_file(sample) is None:
            raise Http404("No such result.")
        extra["chain_from"] = {"job": parent, "sample": sample,
                               "image_url": reverse("job_sample", args=[parent.pk, sample]),
                               "chain_url": reverse("chain_job", args=[parent.pk, "upscale"])}
    return extra


@require_POST
def submit_jobs(request: HttpRequest, tool_name: str) -> JsonResponse:
    tool = TOOLS.get(tool_name) or _not_found()
    files = request.FILES.getlist("images")
    refused = oversized_errors(request)  # stopped while arriving: never stored whole
    if not files:
        return JsonResponse({"jobs": [], "errors": refused}, status=400) if refused else \
            _errors("Choose at least one image.")
    if len(files) > settings.MAX_UPLOAD_FILES:
        return _errors(f"At most {settings.MAX_UPLOAD_FILES} images at a time.")
    try:
        spec, params = _settings(request, tool)
    except InferenceError as exc:
        return _errors(str(exc))

    jobs, errors = [], refused
    # Headers and structure of every file first: a refused file costs no pixels and stores nothing.
    # No pixels are decoded here at all: each job keeps its file as it came, and the worker decodes it.
    accepted = []
    for upload in files:
        try:
            accepted.append((upload, check(upload)))
        except ImageRejected as exc:
            errors.append({"file": upload.name, "message": str(exc)})
    for upload, header in accepted:
        try:
            jobs.append(_submit(request, tool, spec, params, upload, header, upload.name))
        except InferenceError as exc:
            errors.append({"file": upload.name, "message": str(exc)})
    return _submitted(jobs, errors)


@require_POST
@owned(Job, "job_id")
def chain_job(request: HttpRequest, job: Job, tool_name: str) -> JsonResponse:
    """A new job of `tool_name` whose input is picture `sample` of this person's finished `job`."""
    tool = TOOLS.get(tool_name) or _not_found()
    try:
        sample = int(request.POST.get("sample") or 0)
    except ValueError:
        return _errors("sample must be a whole number.")
    try:
        spec, params = _settings(request, tool)
        data, header = chained_input(job, sample)
        chained = _submit(request, tool, spec, params, ContentFile(data), header, job.original_name,
                          parent=job, parent_sample=sample)
    except InferenceError as exc:
        return _errors(str(exc))
    return _submitted([chained], [])


def _submitted(jobs: list[Job], errors: list[dict]) -> JsonResponse:
    response = {"jobs": [job.as_event() for job in jobs], "errors": errors}
    if any(job.queue_unreachable for job in jobs):
        # Every row is committed; the sweeper queues them when the broker is back.
        response["notice"] = ("Your images are saved. The job queue is not reachable right now; "
                              "they will start on their own when it is back.")
    return JsonResponse(response, status=201 if jobs else 400)


def _settings(request: HttpRequest, tool) -> tuple:
    """The installed model and validated settings a request asks of `tool`."""
    return tool.check_model(request.POST.get("model") or ""), tool.read_params(request.POST, request)


def _submit(request: HttpRequest, tool, spec, params: dict, upload, header: ImageHeader, name: str,
            **chain) -> Job:
    """A job on a checked file, kept as it came (its worker decodes and prepares it)."""
    size = (header.width, header.height)
    tool.check_input(size, spec)  # refused before anything is stored or queued
    visitor = visitor_token(request, create=not request.user.is_authenticated) or ""
    return Job.submit(owner=request.user, visitor=visitor, tool=tool.name, model_name=spec.name, params=params,
                      upload=upload, upload_ext=stored_extension(header), size=size, original_name=name, **chain)


@require_GET
@owned(Job, "job_id")
def job_sample(request: HttpRequest, job: Job, index: int) -> HttpResponse:
    """Picture `index` of a job that drew several (0 is its result)."""
    field = job.sample_file(index) if job.status == Job.Status.DONE else None
    if field is None:
        raise Http404("No such sample.")
    download = download_stem(job.original_name, f"{job.tool}-{index + 1}") if request.GET.get("download") else None
    return image_response(field, fmt=request.GET.get("format"), download_name=download)


@require_GET
@owned(Job, "job_id")
def job_detail(request: HttpRequest, job: Job) -> JsonResponse:
    return JsonResponse({"job": job.as_event()})


@require_POST
@owned(Job, "job_id")
def job_cancel(request: HttpRequest, job: Job) -> JsonResponse:
    from .events import publish

    if not job.cancel():
        return JsonResponse({"job": job.as_event(), "error": "Only a queued or running job can be cancelled."},
                            status=409)
    publish(job)
    return JsonResponse({"job": job.as_event()})


@require_GET
@owned(Job, "job_id")
def job_file(request: HttpRequest, job: Job, kind: str) -> HttpResponse:
    field = {"original": job.original, "result": job.result, "thumbnail": job.thumbnail}.get(kind)
    if field is None:
        raise Http404("No such file.")
    fmt = request.GET.get("format")
    download = download_stem(job.original_name, job.tool) if request.GET.get("download") else None
    response = image_response(field, fmt=fmt, download_name=download)
    if kind == "original" and not job.original_prepared:
        # The upload as it came: its worker soon puts the prepared picture at this same address.
        response["Cache-Control"] = "no-store"
    return response


@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/models.html", {"specs": all_models(),
                                                  "max_model_upload_mb": settings.MAX_MODEL_UPLOAD_MB})


@csrf_exempt  # checked in _model_upload: the upload handlers must be swapped before anything reads the body
@require_POST
def model_upload(request: HttpRequest) -> JsonResponse:
    """A staff member installs a weights file for one registry entry (the Models page's upload form)."""
    if not request.user.is_staff:
        return _model_error("Only staff members can install model weights.", status=403)
    # Weights have their own cap instead of the image cap, and always go to disk, never to memory.
    request.upload_handlers = [WeightsUploadHandler(request), TemporaryFileUploadHandler(request)]
    return _model_upload(request)


@csrf_protect
def _model_upload(request: HttpRequest) -> JsonResponse:
    from .model_install import import_upload

    try:
        spec = get_spec(request.POST.get("name") or "")
    except InferenceError:
        return _model_error("There is no such model.")
    upload = request.FILES.get("weights")
    if getattr(request, "oversized_uploads", None):
        return _model_error(f"This weights file is larger than the {limit_in_mb(max_weights_bytes())} allowed.",
                            status=413)
    if upload is None:
        return _model_error("Choose the weights file to upload.")
    if spec.bundled:
        return _model_error(f"{spec.title} ships with Atelier; it cannot be replaced from here.")
    outcome = import_upload(spec.name, upload.temporary_file_path(), shown_as=upload.name)
    if not outcome["ok"]:
        return _model_error(outcome["message"])
    return JsonResponse({"model": spec.name, "message": outcome["message"], "state": outcome["state"],
                         "state_label": outcome["state_label"]}, status=201)


def _model_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": [{"file": "", "message": message}]}, status=status)


def _errors(message: str) -> JsonResponse:
    return JsonResponse({"jobs": [], "errors": [{"file": "", "message": message}]}, status=400)


def _not_found():
    raise Http404("No such tool.")


@require_POST
def style_upload(request: HttpRequest) -> JsonResponse:
    """Add one of the person's own style images (AdaIN styles); JSON for the page."""
    upload = request.FILES.get("image")
    refused = oversized_errors(request)
    if upload is None:
        return JsonResponse({"jobs": [], "errors": refused}, status=400) if refused else \
            _errors("Choose a picture to use as a style.")
    try:
        check(upload)
        loaded = decode(upload)  # the one synchronous decode left in the web process (see uploads.decode)
    except ImageRejected as exc:
        return _errors(str(exc))
    visitor = visitor_token(request, create=not request.user.is_authenticated) or ""
    name = (request.POST.get("name") or upload.name.rsplit(".", 1)[0] or "my style").strip()
    style = StyleImage.add(owner=request.user, visitor=visitor, name=name, image=loaded.image)
    return JsonResponse({"style": style.as_choice()}, status=201)


@require_POST
@owned(StyleImage, "style_id")
def style_delete(request: HttpRequest, style: StyleImage) -> JsonResponse:
    style.delete()
    return JsonResponse({"deleted": str(style.pk)})


@require_GET
@owned(StyleImage, "style_id")
def style_file(request: HttpRequest, style: StyleImage, kind: str) -> HttpResponse:
    field = {"image": style.image, "thumbnail": style.thumbnail}.get(kind)
    if field is None:
        raise Http404("No such file.")
    return image_response(field)


def _spec_or_404(name: str):
    try:
        return get_spec(name)
    except InferenceError:
        raise Http404("No such model.") from None


@require_GET
def model_style_thumbnail(request: HttpRequest, name: str, index: int) -> HttpResponse:
    """The thumbnail of one style of an installed multi-style network (written beside its weights)."""
    from django.http import FileResponse

    spec = _spec_or_404(name)
    styles = spec.options.get("styles", ())
    if not 0 <= index < len(styles) or not styles[index].get("thumbnail"):
        raise Http404("No such style.")
    path = (spec.path.parent / styles[index]["thumbnail"]).resolve()
    if spec.path.parent.resolve() not in path.parents or not path.is_file():
        raise Http404("No such style.")
    return FileResponse(path.open("rb"))  # content type from the file name


@require_GET
def model_example(request: HttpRequest, name: str, index: int) -> HttpResponse:
    """One of a model's example inputs (inference/examples.py), as PNG: the pages' "Example" buttons.
    A style-conditioned model's example says its scene's colours in X-Example-Style (JSON)."""
    try:  # an unknown model, one without examples, a number out of range
        png, style = example_png(name, index)
    except InferenceError as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(png, content_type="image/png")
    if style:
        response["X-Example-Style"] = json.dumps(style)
    response["Cache-Control"] = "public, max-age=86400"  # the same model and number, the same picture
    return response


@require_GET
def model_style_preview(request: HttpRequest, name: str, style: str) -> HttpResponse:
    """One style of an installed style model applied to the reference picture (inference/style_previews.py)."""
    from django.http import FileResponse

    from inference.style_previews import preview_path

    spec = _spec_or_404(name)
    path = preview_path(spec, "" if style == "style" else style)
    if path is None or not path.is_file():
        raise Http404("No such preview.")
    response = FileResponse(path.open("rb"), content_type="image/webp")
    # The address carries the weights' hash (style_bank), so a new file gets a new address.
    response["Cache-Control"] = "private, max-age=86400"
    return response
