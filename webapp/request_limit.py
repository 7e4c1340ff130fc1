"""ASGI middleware: a cap on the bytes of one HTTP request, refused with 413 before Django parses it.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out, and its upload handlers
only run once ASGIHandler has spooled the whole body; this stops at the
Content-Length header, or for a chunked body at the first chunk past the cap,
so Django never spools or parses more than the cap. (Daphne itself receives a
whole body before calling the application, into a temporary file from 100 kB
on, then puts all of it on the application's in-memory queue as 8 KiB
messages at once: a body is in Daphne's memory until Django has copied it to
its spooled file, and Daphne has no option to cap it. The proxy in front of it,
e.g. nginx's client_max_body_size, is what keeps an oversized body out.)
No library offers this for plain ASGI apps in the form Channels routes them.
"""
import json

from inference.images import limit_in_mb


class RequestBodyLimit:
    """Wrap an ASGI HTTP app so request bodies over ``max_bytes`` get a 413 JSON answer.

    ``other_limits`` gives paths a cap of their own instead, as ``{path: (max_bytes, what)}``,
    ``what`` naming the upload in the refusal ("weights file"); a callable returning that mapping
    is called on the first request (the URLconf may not be importable when the app is built).
    """

    def __init__(self, app, max_bytes: int, other_limits=None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._other_limits = other_limits or {}

    def _limit(self, path: str) -> tuple[int, str | None]:
        if callable(self._other_limits):
            self._other_limits = self._other_limits()
        return self._other_limits.get(path, (self.max_bytes, None))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, what = self._limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await self._refuse(send, max_bytes, what)
            return
        received = 0
        over = False
        started = False

        async def capped_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    over = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, capped_receive, tracked_send)
        if over and not started:
            await self._refuse(send, max_bytes, what)

    async def _refuse(self, send, max_bytes: int, what: str | None) -> None:
        if what:
            message = f"This {what} is larger than the {limit_in_mb(max_bytes)} allowed."
        else:
            message = (f"This upload is larger than the {limit_in_mb(max_bytes)} one request may carry; "
                       "send fewer or smaller images at a time.")
        # The shape of the upload views' answers, so the page shows the sentence.
        body = json.dumps({"jobs": [], "errors": [{"file": "", "message": message}]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
