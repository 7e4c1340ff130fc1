"""Binary frames: what `pack` writes `unpack` reads back, and each direction accepts only its own images."""
import io
import struct

import pytest
from PIL import Image

from webapp.studio.frames import (MAX_FRAME_BYTES, PREVIEW_REPLY_IMAGE, REQUEST_IMAGES, SKETCH_REPLY_IMAGE,
                                  FrameError, image_kind, pack, unpack)


def encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt, kind", [("PNG", "png"), ("WEBP", "webp"), ("JPEG", "jpeg")])
def test_image_kind_reads_the_signature(fmt, kind):
    assert image_kind(encoded(fmt)) == kind
    assert image_kind(b"GIF89a" + encoded(fmt)) is None


def test_a_frame_round_trips_and_its_header_length_comes_first():
    header, payload = {"seq": 17, "server_ms": 21.4}, encoded("PNG")
    data = pack(header, payload)
    assert struct.unpack(">I", data[:4])[0] == len(data) - 4 - len(payload)
    assert unpack(data) == (header, payload)


def test_requests_carry_png_or_webp_and_replies_jpeg_or_webp():
    assert REQUEST_IMAGES == ("png", "webp") and (SKETCH_REPLY_IMAGE, PREVIEW_REPLY_IMAGE) == ("jpeg", "webp")
    with pytest.raises(FrameError, match="must be PNG or WebP"):
        unpack(pack({"seq": 1}, encoded("JPEG")))
    assert unpack(pack({"seq": 1}, encoded("JPEG")), accept=(SKETCH_REPLY_IMAGE,))[0] == {"seq": 1}


@pytest.mark.parametrize("data, message", [
    (b"\x00\x01", "too short"),
    (struct.pack(">I", 5000) + b"{}", "out of range"),
    (struct.pack(">I", 2) + b"{]" + encoded("PNG"), "not JSON"),
    (pack([1], encoded("PNG")), "JSON object"),
    (b"\x00" * (MAX_FRAME_BYTES + 1), "over the 900 KiB limit"),
])
def test_malformed_frames_say_what_is_wrong(data, message):
    with pytest.raises(FrameError, match=message):
        unpack(data)
