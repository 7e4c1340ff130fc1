"""Uploaded images: the byte cap applied while a file arrives, then the checks that need no pixels.

One limit, in MB of 1,000,000 bytes (``settings.MAX_UPLOAD_MB``), is what the
page states, what :class:`CappedUploadHandler` stops at and what
:func:`inference.images.load_image` checks again.

The web process never decodes a job's upload: it runs :func:`check` (header,
size, frames, aspect ratio, data after the image's end), and the job stores
the checked file as it came; the batch worker decodes and prepares it when the
job runs (``tools.open_original``). Only a style image is decoded here
(:func:`decode`), for the reason given there.

Weights files uploaded on the Models page have their own cap instead
(``settings.MAX_MODEL_UPLOAD_MB``, :class:`WeightsUploadHandler`; the request
cap in ``webapp/request_limit.py`` gives that endpoint the same figure).
"""
import threading

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from inference.images import ImageHeader, LoadedImage, inspect_image, load_image, too_large_message

# One full decode at a time in this process: 20 style uploads at once hold one
# decoded picture, not twenty (bench/upload_memory.py --endpoint styles).
_DECODE_SLOT = threading.BoundedSemaphore(1)


# The longest side of a kept style image (models.StyleImage.add): the network looks at 512 px at most.
STYLE_SIDE = 1024


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1_000_000


def max_weights_bytes() -> int:
    return settings.MAX_MODEL_UPLOAD_MB * 1_000_000


def limits() -> dict:
    return {"max_bytes": max_upload_bytes(), "max_pixels": int(settings.MAX_UPLOAD_MEGAPIXELS * 1_000_000)}


class CappedUploadHandler(FileUploadHandler):
    """Stops receiving a file as soon as it passes the cap; the file is dropped, never stored whole.

    Listed first in FILE_UPLOAD_HANDLERS: it passes chunks on to Django's own
    handlers until the cap, then skips the rest of that file and notes its
    name in ``request.oversized_uploads`` for the view to report.
    """

    def cap(self) -> int:
        return max_upload_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.cap():
            oversized = getattr(self.request, "oversized_uploads", [])
            oversized.append(self.file_name)
            self.request.oversized_uploads = oversized
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


class WeightsUploadHandler(CappedUploadHandler):
    """The Models page's weights upload: capped at MAX_MODEL_UPLOAD_MB instead of the image cap
    (the view puts it in place of the image handlers, with Django's handler that spools to disk)."""

    def cap(self) -> int:
        return max_weights_bytes()


def oversized_errors(request) -> list[dict]:
    """The refusals of files the handler stopped, as the upload views report errors."""
    return [{"file": name, "message": too_large_message(max_upload_bytes())}
            for name in getattr(request, "oversized_uploads", [])]


def check(upload) -> ImageHeader:
    """Every check that needs no pixels (:func:`inference.images.inspect_image`); ImageRejected if refused."""
    upload.seek(0)
    return inspect_image(upload, **limits())


# The file name extension a checked upload is stored under, by Pillow's format name.
STORED_EXTENSIONS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "TIFF": "tiff", "BMP": "bmp"}


def stored_extension(header: ImageHeader) -> str:
    return STORED_EXTENSIONS[header.format]


def decode(upload) -> LoadedImage:
    """The full decode (:func:`inference.images.load_image`), one at a time in this process.

    Only the style-image upload uses it: the Stylize page shows the new style's
    thumbnail in its answer and the live preview may paint with it the next
    moment, so its pixels are needed synchronously. It is kept at STYLE_SIDE px at
    most, so a JPEG is decoded at a reduced scale (``max_side``) and its colour is not
    measured.
    """
    with _DECODE_SLOT:
        upload.seek(0)
        return load_image(upload, **limits(), max_side=STYLE_SIDE, detect_colour=False)
