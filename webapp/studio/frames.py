"""The studio's WebSocket protocol, defined once (no Django here: the benchmarks use it too).

static/js/frames.js is its browser half and static/js/stream.js its client
behaviour; consumers, pages, benchmarks and the README point here.

Binary frame (both directions)
  4-byte big-endian header length, a UTF-8 JSON object header (at most 1 KiB),
  then the image bytes; the whole frame at most 900 KiB (Daphne refuses
  WebSocket messages over 1 MiB). Images: the browser sends PNG or WebP; the
  server answers Sketch frames in JPEG (a fifth of WebP's encoding time at this
  size, which matters at 15 frames/s) and Stylize and Colorize previews in WebP.

Every socket
  client -> server  text {"type": "ping"}
  server -> client  text {"type": "pong"}
                    text {"type": "error", "message": str, "seq"?: n, "retry"?: true}
  An error with a "seq" ends that request (the client may send its next one);
  "retry" says it was not rendered for want of a worker's answer in time, so
  the same request may succeed when sent again. The socket stays open after
  any error.

Every message (text, and a binary frame's header) is read by `read_json`: a
JSON object of at most MAX_TEXT_BYTES, nested at most MAX_DEPTH deep, whose
numbers are finite and whole numbers within ±MAX_SAFE_INT (what a browser's
Number holds exactly); "seq" is a whole number 0..MAX_SAFE_INT (`check_seq`).
Anything else is answered with an error.

/ws/sketch/ (SketchConsumer)
  client -> server  text {"type": "config", "model": name, "dropout": bool, "norm": "official"|"eval",
                          "seed": int|null, "style"?: {material: "#rrggbb"}}
                    ("style": a style-conditioned model's colours, for materials its spec's
                    options["style"] lists; a material left out is the model's choice)
                    binary {"seq": n} + PNG/WebP drawing at the model's input size
  server -> client  text {"type": "config", "model", "input_size", "kind", "palette", "options"}
                    binary {"seq", "server_ms", "forward_ms", "batch", "dropped", "model", "ms"} + JPEG
  Frames are refused until a config has been accepted. "server_ms": the live
  worker's time for the frame; "forward_ms": its batch's forward pass; "ms":
  where the frame's time went on the server, in ms: "queue" (the task waiting
  for a worker thread), "decode" (the drawing), "convert" (to and from tensors),
  "wait" (for its batch to start), "forward", "encode" (the JPEG), "reply" (the
  answer's way back to the consumer) and "server" (the consumer sending the
  task to the answer arriving: all the above and the task's way in). The
  rest of a round trip is the WebSocket both ways.

/ws/stylize/ (StylizeConsumer)
  client -> server  binary {"type": "photo"} + PNG/WebP photo at STYLE_PREVIEW_SIDE px
                    text {"type": "preview", "seq": n, "blend": {"model", "weights", "strength",
                                                                 "preserve_colour"}}
  server -> client  text {"type": "photo", "bytes": n}  (the photo is kept for this socket)
                    binary {"seq", "server_ms", "dropped"} + WebP preview
  Previews are refused until a photo has been received.

/ws/colorize/ (ColorizeConsumer: live colour hints)
  client -> server  binary {"type": "photo"} + PNG/WebP photo at COLORIZE_PREVIEW_SIDE px (a larger one is shrunk)
                    text {"type": "preview", "seq": n, "model": name, "gamut"?: mode,
                          "hints": [{"x": 0..1, "y": 0..1, "color": "#rrggbb"}, ...], "suggest"?: k}
                          (every hint each time, as a job takes them; "suggest": the index of the hint whose
                          point wants a colour palette, SIGGRAPH17 only)
  server -> client  text {"type": "photo", "bytes": n}  (the photo is kept for this socket)
                    binary {"seq", "server_ms", "dropped", "suggestions"?: [{"color": "#rrggbb",
                            "probability": p}, ...]} + WebP preview at the photo's size
                    ("suggestions": the most likely colours at hint k given the other hints, from the model's
                    predicted ab distribution, most likely first)
  Previews are refused until a photo has been received. The hints of one message fit in MAX_TEXT_BYTES
  (about 180 hints); a job takes up to MAX_HINTS.

/ws/edit/ (EditConsumer, webapp/studio/edit_consumer.py)
  client -> server  text {"type": "start", "model": name, "seed": int, "mix_seed"?: int, "mix"?: t, "steps"?: n,
                          "step_size"?: x}  (a random face)
                    binary {"type": "photo", "model": name, "mix_seed"?, "mix"?, "steps"?, "step_size"?} + PNG/WebP
                          photo  (its centre square is edited at 64 x 64)
                    (the interpolation slider: the start's latent moves towards the random face of "mix_seed" by
                    "mix", 0 to 1; moving the slider is a new start with the same seed, the strokes replayed on it)
                    text {"type": "stroke", "seq": n, "from": k, "strokes": [{"points": [[x, y], ...],
                          "colour": "#rrggbb" | [r, g, b], "radius": r}, ...]}  (x, y, radius as fractions of the
                          picture side; at most 64 strokes; [] just shows the picture)
  server -> client  text {"type": "start", "model", "seed", "mix_seed", "mix", "settings"}  (the start is kept for this socket)
                    binary {"seq", "server_ms", "dropped", "strokes", "model"} + PNG, 64 x 64
                    text {"type": "error", "seq", "strokes": k, ...}: "from" was not the number of strokes the
                          server has applied since the start (k); send them again from k
  The server keeps the edit's state (z_start, z, photo), so a stroke message carries only its strokes; "from"
  keeps both sides counting the same strokes, and "strokes" in an answer is how many are applied so far. A
  stroke request that arrives while another waits is merged into it (painting is cumulative), never dropped.
  Strokes are refused until a start has been accepted; a new start drops what waits. Undo and redo are the
  client's: it starts again and sends the strokes it keeps.

Newest wins (all live sockets): "seq" grows with every request of a
connection. At most one request per client is at the worker; a newer request
replaces the pending one, and a request not newer than one already received
is dropped, never queued ("dropped" counts both). More than LIVE_MAX_FPS
requests per second get an error; a request the worker does not answer within
LIVE_FRAME_TIMEOUT_S gets an error with "retry", and the pending one goes
out. The client keeps one request in flight, replaces its own pending one
(and sends a "retry" one again unless a newer one waits), never shows a reply
older than the one on screen, and reconnects with back-off.

/ws/studio/ (StudioConsumer: job events, JSON text only)
  server -> client  {"type": "job", "job": {...Job.as_event()...}} for the connected person's jobs only
  Events missed while offline are not replayed: after a reconnect the page asks for its jobs' state.

Between a consumer and the live worker (Celery task live.render_frame, msgpack,
so the drawing travels as bytes): model, options, drawing, reply channel, seq,
sent_at (time.time() when sent). Back (channel layer, never seen by a browser):
  {"type": "sketch.result", "seq", "image", "server_ms", "forward_ms", "batch", "ms", "done_at"},
  {"type": "style.result", "seq", "image", "server_ms"}, {"type": "live.error", "seq", "message"},
  {"type": "colorize.result", "seq", "image", "server_ms", "suggestions"?},
  {"type": "edit.result", "seq", "epoch", "image", "server_ms", "state": {"z_start", "z", "photo"}, "strokes"}.
"""
import json
import struct

MAX_FRAME_BYTES = 900 * 1024
MAX_HEADER_BYTES = 1024
MAX_TEXT_BYTES = 8192
MAX_DEPTH = 6
# JavaScript's Number.MAX_SAFE_INTEGER: a larger seq or seed would not survive the round trip.
MAX_SAFE_INT = 2**53 - 1

# Image kinds by direction (see the docstring); `image_kind` names them.
REQUEST_IMAGES = ("png", "webp")
_NAMES = {"png": "PNG", "webp": "WebP", "jpeg": "JPEG"}
SKETCH_REPLY_IMAGE = "jpeg"
PREVIEW_REPLY_IMAGE = "webp"


class FrameError(ValueError):
    """A malformed frame; the message says what is wrong."""


def pack(header: dict, payload: bytes) -> bytes:
    """One binary frame: header length, JSON header, image bytes."""
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">I", len(encoded)) + encoded + payload


def unpack(data: bytes, accept: tuple[str, ...] = REQUEST_IMAGES) -> tuple[dict, bytes]:
    """The header and image of a frame whose image is one of `accept`; FrameError otherwise."""
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"Frame of {len(data) // 1024} KiB is over the {MAX_FRAME_BYTES // 1024} KiB limit.")
    if len(data) < 4:
        raise FrameError("Frame too short: expected a 4-byte header length.")
    (length,) = struct.unpack(">I", data[:4])
    if length > MAX_HEADER_BYTES or 4 + length > len(data):
        raise FrameError("Frame header length is out of range.")
    header = read_json(data[4:4 + length], what="Frame header")
    payload = data[4 + length:]
    if image_kind(payload) not in accept:
        raise FrameError(f"Frame image must be {' or '.join(_NAMES[kind] for kind in accept)}.")
    return header, payload


def read_json(raw: str | bytes | None, what: str = "Message") -> dict:
    """A client's JSON object, checked for size, depth and number range; FrameError otherwise."""
    if raw is None or len(raw) > MAX_TEXT_BYTES:
        raise FrameError(f"{what} must be JSON text of at most {MAX_TEXT_BYTES} bytes.")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_safe_int)
    except _NumberError as exc:
        raise FrameError(f"{what}: {exc}") from None
    except (RecursionError, UnicodeDecodeError, ValueError):
        raise FrameError(f"{what} is not JSON.") from None
    if not isinstance(value, dict):
        raise FrameError(f"{what} must be a JSON object.")
    if _depth(value) > MAX_DEPTH:
        raise FrameError(f"{what} is nested more than {MAX_DEPTH} levels deep.")
    return value


def check_seq(value) -> int:
    """A request's "seq": a whole number 0..MAX_SAFE_INT; FrameError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAFE_INT:
        raise FrameError(f"A request needs a \"seq\": a whole number from 0 to {MAX_SAFE_INT}.")
    return value


class _NumberError(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NumberError(f"{name} is not a number this protocol accepts.")


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NumberError(f"{text[:20]} is out of range.")
    return value


def _safe_int(text: str) -> int:
    # Checked on the digits first: int() of thousands of digits is itself slow.
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_SAFE_INT:
        raise _NumberError(f"{text[:20]} is out of range (at most {MAX_SAFE_INT}).")
    return int(text)


def _depth(value) -> int:
    """How deeply containers nest in a parsed JSON value (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def image_kind(payload: bytes) -> str | None:
    """"png", "webp" or "jpeg" from the image's signature, else None."""
    if payload.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "webp"
    if payload.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None
