"""Streaming stored images to the browser, optionally converted for download; models' example inputs."""
import functools
import io
from pathlib import PurePath

from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from PIL import Image

from inference.examples import example_input
from inference.images import encode_image
from inference.registry import get_spec

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def image_response(field, *, fmt: str | None = None, download_name: str | None = None) -> HttpResponse:
    """Serve a stored image as it is, or re-encoded as PNG/JPEG (no metadata either way)."""
    if not field or not field.name:
        raise Http404("Not available yet.")
    stored_ext = PurePath(field.name).suffix.lstrip(".").lower()
    target = fmt or stored_ext
    if target not in CONTENT_TYPES:
        raise Http404("Unknown format.")
    if target == stored_ext:
        response = FileResponse(field.open("rb"), content_type=CONTENT_TYPES[target])
    else:
        with field.open("rb") as f:
            image = Image.open(io.BytesIO(f.read()))
            image.load()
        response = HttpResponse(encode_image(image, target.upper(), quality=95), content_type=CONTENT_TYPES[target])
    if download_name:
        ext = "jpg" if target == "jpeg" else target
        # RFC 6266: a plain filename="..." for ASCII names, filename*=utf-8''... otherwise.
        response["Content-Disposition"] = content_disposition_header(True, f"{download_name}.{ext}")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def download_stem(original_name: str, tool: str) -> str:
    stem = PurePath(original_name or "image").stem
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)[:60] or "image"
    return f"{safe}-{tool}"


@functools.lru_cache(maxsize=128)
def example_png(name: str, index: int) -> tuple[bytes, dict[str, str]]:
    """Example input ``index`` of model ``name`` (inference/examples.py) as PNG, and the colours of its
    scene that the model takes ({} for a model without colours); InferenceError when it has none.

    Drawing one takes a good part of a second, so each is made once per process.
    """
    spec = get_spec(name)
    example = example_input(spec, index)
    encoded = io.BytesIO()
    example.image.save(encoded, format="PNG")
    materials = spec.options.get("style") or ()
    return encoded.getvalue(), {m: example.style[m] for m in materials if m in example.style}
