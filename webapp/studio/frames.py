"""Binary WebSocket frames of the live tools (no Django here: the benchmarks use it too).

A frame, in both directions: a 4-byte big-endian header length, a UTF-8 JSON
header, then the image bytes (PNG or WebP from the browser, JPEG or WebP back).

client -> server header: {"seq": 17}
server -> client header: {"seq": 17, "server_ms": 21.4, "batch": 3, "dropped": 2, "model": "landscape-paint"}
"""
import json
import struct

# Daphne refuses WebSocket messages over 1 MiB: stay clear of it.
MAX_FRAME_BYTES = 900 * 1024
MAX_HEADER_BYTES = 1024


class FrameError(ValueError):
    """A malformed frame; the message says what is wrong."""


def pack(header: dict, payload: bytes) -> bytes:
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">I", len(encoded)) + encoded + payload


def unpack(data: bytes) -> tuple[dict, bytes]:
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"Frame of {len(data) // 1024} KiB is over the {MAX_FRAME_BYTES // 1024} KiB limit.")
    if len(data) < 4:
        raise FrameError("Frame too short: expected a 4-byte header length.")
    (length,) = struct.unpack(">I", data[:4])
    if length > MAX_HEADER_BYTES or 4 + length > len(data):
        raise FrameError("Frame header length is out of range.")
    try:
        header = json.loads(data[4:4 + length])
    except (UnicodeDecodeError, ValueError):
        raise FrameError("Frame header is not JSON.") from None
    if not isinstance(header, dict):
        raise FrameError("Frame header must be a JSON object.")
    payload = data[4 + length:]
    if image_kind(payload) is None:
        raise FrameError("Frame image must be PNG or WebP.")
    return header, payload


def image_kind(payload: bytes) -> str | None:
    if payload.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "webp"
    return None
