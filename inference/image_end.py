"""Where an image file's own data ends, read from its structure without decoding pixels.

Bytes after that point are no part of the picture: they are how polyglots are
made (a JPEG followed by an HTML page or a ZIP archive is still a valid JPEG
to every viewer). :func:`image_end` finds the end for each format the studio
accepts, so :func:`inference.images.load_image` can refuse such files.

Every walk is bounded by the file's length and costs a few microseconds per
structure (chunk, marker, IFD), never per pixel.
"""

from __future__ import annotations

__all__ = ["image_end"]


def image_end(data: bytes, fmt: str) -> int | None:
    """The offset just past the image's last byte, or None when the structure cannot tell.

    Args:
        data: the whole file.
        fmt: Pillow's format name ("PNG", "JPEG", "WEBP", "TIFF", "BMP").

    Returns:
        PNG: past the IEND chunk; JPEG: past the EOI marker; WebP: the RIFF
        size; TIFF: past the last byte any IFD, tag value, strip or tile
        refers to; BMP: the larger of the header's file size and the end of
        the pixel array. None for a structure too damaged to walk (Pillow's
        own checks then decide) or another format.
    """
    finder = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end, "TIFF": _tiff_end, "BMP": _bmp_end}.get(fmt)
    if finder is None:
        return None
    try:
        return finder(data)
    except (IndexError, ValueError, KeyError):
        return None


def _png_end(data: bytes) -> int | None:
    pos, n = 8, len(data)
    while pos + 12 <= n:
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        pos += 12 + length  # length, type, payload, CRC
        if kind == b"IEND":
            return pos
    return None


# Markers without a length field: TEM and the restart markers RST0..RST7.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _jpeg_end(data: bytes) -> int | None:
    n = len(data)
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos < n:
        if data[pos] != 0xFF:
            return None
        while pos < n and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if marker in _STANDALONE:
            continue
        if pos + 2 > n:
            return None
        length = int.from_bytes(data[pos:pos + 2], "big")
        if length < 2:
            return None
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte or restart marker
                    pos += 2
                elif following == 0xFF:  # fill byte
                    pos += 1
                else:
                    break
    return None


def _webp_end(data: bytes) -> int | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    size = int.from_bytes(data[4:8], "little")
    return 8 + size + (size & 1)


def _bmp_end(data: bytes) -> int | None:
    if data[:2] != b"BM":
        return None
    file_size = int.from_bytes(data[2:6], "little")
    pixels_at = int.from_bytes(data[10:14], "little")
    header_size = int.from_bytes(data[14:18], "little")
    pixels_end = 0
    if header_size >= 40:
        width = abs(int.from_bytes(data[18:22], "little", signed=True))
        height = abs(int.from_bytes(data[22:26], "little", signed=True))
        bits = int.from_bytes(data[28:30], "little")
        compression = int.from_bytes(data[30:34], "little")
        stored = int.from_bytes(data[34:38], "little")
        # BI_RGB and BI_BITFIELDS rows are padded to 4 bytes; compressed data states its size.
        computed = ((bits * width + 31) // 32) * 4 * height if compression in (0, 3) else 0
        pixels_end = pixels_at + max(stored, computed)
    end = max(file_size, pixels_end)
    return end or None


# TIFF field types -> bytes per value (TIFF 6.0 and BigTIFF).
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
                    16: 8, 17: 8, 18: 8}
# Tags whose values are offsets of further IFDs: SubIFDs, Exif, GPS, Interoperability.
_SUB_IFD_TAGS = {330, 34665, 34853, 40965}
# (offsets tag, byte counts tag): strips, tiles, old-style JPEG stream.
_DATA_TAGS = ((273, 279), (324, 325), (513, 514))
_MAX_IFDS = 10_000


def _tiff_end(data: bytes) -> int | None:
    order = {b"II": "little", b"MM": "big"}.get(data[:2])
    if order is None:
        return None

    def uint(at: int, size: int) -> int:
        if at + size > len(data):
            raise ValueError("outside the file")
        return int.from_bytes(data[at:at + size], order)

    version = uint(2, 2)
    if version == 42:
        count_size, entry_size, word, first = 2, 12, 4, uint(4, 4)
        end = 8
    elif version == 43:  # BigTIFF
        count_size, entry_size, word, first = 8, 20, 8, uint(8, 8)
        end = 16
    else:
        return None

    pending, seen = [first], set()
    while pending:
        ifd = pending.pop()
        if ifd == 0 or ifd in seen:
            continue
        if len(seen) >= _MAX_IFDS:
            return None
        seen.add(ifd)
        entries = uint(ifd, count_size)
        table = ifd + count_size
        end = max(end, table + entries * entry_size + word)
        values: dict[int, list[int]] = {}
        for i in range(entries):
            at = table + i * entry_size
            tag, kind = uint(at, 2), uint(at + 2, 2)
            count = uint(at + 4, word)
            size = _TIFF_TYPE_SIZES.get(kind, 1)
            where = at + 4 + word
            if count * size > word:
                where = uint(where, word)
                end = max(end, where + count * size)
            if tag in _SUB_IFD_TAGS or any(tag in pair for pair in _DATA_TAGS):
                if count > len(data):
                    return None
                values[tag] = [uint(where + j * size, size) for j in range(count)]
        for tag in _SUB_IFD_TAGS & values.keys():
            pending.extend(values[tag])
        for offsets_tag, counts_tag in _DATA_TAGS:
            for offset, length in zip(values.get(offsets_tag, ()), values.get(counts_tag, ())):
                end = max(end, offset + length)
        pending.append(uint(table + entries * entry_size, word))  # the next IFD in the chain
    return end
