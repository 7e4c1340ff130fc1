"""ASGI guards in front of every WebSocket: same-origin only, and a bounded send buffer.

SameOriginValidator: a browser page may open a socket only from the site's own
origin (scheme, host and port) or one listed in CSRF_TRUSTED_ORIGINS; the host
must also be one of ALLOWED_HOSTS. Channels' AllowedHostsOriginValidator
compares host names only, so a page on another port of the same host passed.

SendBuffer: ASGI has no flow control, and Daphne buffers whatever an
application sends to a client that does not read, without limit. Under Daphne
this registers a Twisted streaming producer (`Outbox`) on the connection; the
transport pauses it when its buffer is full and resumes it once drained.
The kernel's send buffer is pinned to SOCKET_KERNEL_BUFFER_KB (Linux doubles it).
Consumers read `scope["outbox"].writable` before starting more work, and a
socket that is sent more than SOCKET_SEND_BUFFER_KB while paused is dropped.
Under another server (or a test communicator) there is no transport to watch
and the scope has no outbox.
"""
import functools
import logging
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


class SameOriginValidator:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allowed(scope):
            # Refused before the handshake completes, as Channels' own validators do.
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.app(scope, receive, send)

    @staticmethod
    def allowed(scope) -> bool:
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin1")
        origin = _origin(headers.get(b"origin", b"").decode("latin1"))
        domain, _ = split_domain_port(host)
        if origin is None or not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        secure = scope.get("scheme") == "wss" or settings.HTTPS
        own = _origin(f"{'https' if secure else 'http'}://{host}")
        trusted = {_origin(url) for url in settings.CSRF_TRUSTED_ORIGINS}
        return origin == own or origin in trusted


class Outbox:
    """A Twisted push producer for one socket: `writable` is False while the transport's buffer is full."""

    def __init__(self, inner=None):
        self.inner = inner  # the producer the transport had (Twisted web's HTTPChannel): still told
        self.writable = True
        self.sent_while_full = 0
        self._listeners = []

    def when_writable(self, callback) -> None:
        """Call `callback()` each time the buffer has drained."""
        self._listeners.append(callback)

    def pauseProducing(self) -> None:  # noqa: N802 (Twisted's IPushProducer)
        self.writable = False
        if self.inner is not None:
            self.inner.pauseProducing()

    def resumeProducing(self) -> None:  # noqa: N802
        self.writable = True
        self.sent_while_full = 0
        if self.inner is not None:
            self.inner.resumeProducing()
        for callback in self._listeners:
            callback()

    def stopProducing(self) -> None:  # noqa: N802
        self.writable = False
        self._listeners.clear()
        if self.inner is not None:
            self.inner.stopProducing()


def _daphne_protocol(send):
    # Daphne hands each application `partial(server.handle_reply, protocol)`, and
    # the protocol (autobahn's) writes to a Twisted transport.
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    if hasattr(getattr(protocol, "transport", None), "registerProducer") and hasattr(protocol, "dropConnection"):
        return protocol
    return None


def _pin_kernel_buffer(transport) -> None:
    # Linux grows a socket's send buffer up to tcp_wmem's 4 MB even towards a client
    # that reads nothing; a fixed size bounds that too, and lets Twisted's buffer fill.
    handle = getattr(transport, "getHandle", lambda: None)()
    if isinstance(handle, socket.socket):
        handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.SOCKET_KERNEL_BUFFER_KB * 1024)


class SendBuffer:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        protocol = _daphne_protocol(send) if scope["type"] == "websocket" else None
        if protocol is None:
            return await self.app(scope, receive, send)
        transport = protocol.transport
        # The upgraded HTTP connection's channel is the transport's producer; the outbox takes
        # its place and passes every call on to it.
        inner = getattr(transport, "producer", None)
        if inner is not None:
            transport.unregisterProducer()
        outbox = Outbox(inner)
        transport.registerProducer(outbox, True)
        _pin_kernel_buffer(transport)
        limit = settings.SOCKET_SEND_BUFFER_KB * 1024

        async def bounded_send(message):
            if message["type"] == "websocket.send" and not outbox.writable:
                outbox.sent_while_full += len(message.get("bytes") or message.get("text") or "")
                if outbox.sent_while_full > limit:
                    log.warning("dropping a WebSocket client that does not read (%s)", scope.get("client"))
                    protocol.dropConnection(abort=True)
                    return
            await send(message)

        return await self.app({**scope, "outbox": outbox}, receive, bounded_send)
