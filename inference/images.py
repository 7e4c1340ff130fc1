"""Image files in and out: upload validation and small Pillow helpers.

Used by web uploads and by the CLI alike, so both refuse the same files with
the same messages. Only Pillow and numpy: no torch here, so the web process
can validate uploads without loading torch.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageRejected
from .image_end import image_end

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "TIFF", "BMP"}
# Longer side / shorter side: a 1:50 strip is already a thin line; beyond it a
# file is a hostile or mistaken one (a 1x20000 strip), not a photo or panorama.
MAX_ASPECT_RATIO = 50

ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO]

_NOT_AN_IMAGE = "This file is not an image we can read (PNG, JPEG, WebP, TIFF or BMP)."
_DAMAGED = "This image file is damaged or incomplete, so it cannot be read. Try exporting it again."

# Errors Pillow's decoders raise on damaged data; all of them mean "damaged file".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@dataclass(frozen=True)
class LoadedImage:
    """A validated image, ready for a pipeline.

    Attributes:
        image: mode "RGB" or "L", EXIF orientation applied, no metadata attached
            (no EXIF, ICC profile, GPS or text chunks in ``image.info``).
        format: the file's format as Pillow names it ("PNG", "JPEG", ...).
        was_colour: True if the picture had real colour, False if it is grey
            (within a small tolerance, see :func:`is_greyscale`).
    """

    image: Image.Image
    format: str
    was_colour: bool

    @property
    def width(self) -> int:
        """Width in pixels (after EXIF orientation)."""
        return self.image.width

    @property
    def height(self) -> int:
        """Height in pixels (after EXIF orientation)."""
        return self.image.height


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}"


def _limit_megapixels(max_pixels: int) -> str:
    value = max_pixels / 1e6
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _size_in_mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def limit_in_mb(max_bytes: int) -> str:
    """A byte limit as people read it, in MB of 1,000,000 bytes: 25_000_000 -> "25 MB".

    The site's page, its refusals and the command line all say a limit this way.
    """
    return f"{max_bytes / 1e6:g} MB"


def too_large_message(max_bytes: int, size: int | None = None) -> str:
    """The refusal of a file over ``max_bytes``; ``size`` None when only "more than the limit" is known."""
    if size is None:
        return f"The file is larger than the {limit_in_mb(max_bytes)} limit."
    return f"The file is {_size_in_mb(size)}; the limit is {limit_in_mb(max_bytes)}."


def _read_source(source: ImageSource, max_bytes: int) -> bytes:
    """Return the file's bytes, refusing anything over ``max_bytes`` before reading it all."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise ImageRejected(too_large_message(max_bytes, len(data)))
        return data
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size  # 0 for pipes: the capped read below still applies
            if size > max_bytes:
                raise ImageRejected(too_large_message(max_bytes, size))
            with open(path, "rb") as fh:
                return _read_capped(fh, max_bytes)
        except FileNotFoundError:
            raise ImageRejected(f"The file {path.name} does not exist.") from None
        except IsADirectoryError:
            raise ImageRejected(f"{path.name} is a folder, not an image file.") from None
    if hasattr(source, "read"):
        return _read_capped(source, max_bytes)
    raise TypeError(f"load_image() needs a path, bytes or a binary file object, not {type(source).__name__}")


def _read_capped(fh: BinaryIO, max_bytes: int) -> bytes:
    # Read one byte past the cap: enough to know it is too big without
    # holding an unbounded upload in memory.
    data = fh.read(max_bytes + 1)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("load_image() needs a file object opened in binary mode")
    if len(data) > max_bytes:
        raise ImageRejected(too_large_message(max_bytes))
    return bytes(data)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) with Pillow's decompression-bomb signals turned into ImageRejected."""
    pillow_limit = Image.MAX_IMAGE_PIXELS or 0
    # catch_warnings() touches process-wide state; the window is one header
    # parse and the only effect of a race is a warning printed instead of
    # raised, because our own pixel check in load_image still refuses the image.
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS; that is a refusal only when
        # our own limit is lower, otherwise our pixel check decides.
        action = "error" if max_pixels <= pillow_limit else "ignore"
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow refuses outright above twice MAX_IMAGE_PIXELS.
            threshold = pillow_limit * (2 if isinstance(exc, Image.DecompressionBombError) else 1)
            raise ImageRejected(
                f"The image is larger than {threshold / 1e6:.0f} megapixels; "
                f"the limit is {_limit_megapixels(min(max_pixels, threshold))}."
            ) from None
        except UnidentifiedImageError:
            raise ImageRejected(_NOT_AN_IMAGE) from None
        except _DECODE_ERRORS:
            raise ImageRejected(_DAMAGED) from None


@dataclass(frozen=True)
class ImageHeader:
    """What :func:`inspect_image` learnt about a file without decoding its pixels.

    Attributes:
        format: Pillow's name of the file's format ("PNG", "JPEG", ...).
        width, height: as stored (before EXIF orientation).
        size_bytes: the file's length.
    """

    format: str
    width: int
    height: int
    size_bytes: int


def inspect_image(source: ImageSource, *, max_bytes: int, max_pixels: int,
                  max_aspect: float = MAX_ASPECT_RATIO) -> ImageHeader:
    """Every check of :func:`load_image` that needs no decoding, cheapest first.

    Costs a read of the file and a walk over its structure (chunks, markers,
    IFDs), never a pixel buffer: a web process can run it on every file of a
    request before decoding any. Refuses: files over ``max_bytes``, formats
    other than PNG, JPEG, WebP, TIFF and BMP, more than ``max_pixels``
    pixels, a longer side more than ``max_aspect`` times the shorter,
    animations and multi-page files (APNG, animated WebP, multi-page TIFF:
    the tools make one still picture, so one frame would silently lose the
    rest), data after the image's end (polyglots such as a JPEG followed by
    HTML or a ZIP archive), and damaged structure (``verify``).

    Args:
        source: a path, the file's bytes, or a binary file object (read
            from its current position).

    Raises:
        ImageRejected: with a message meant for the person who sent the file.
    """
    data = _read_source(source, max_bytes)
    _, header = _checked(data, max_pixels, max_aspect)
    return header


def _checked(data: bytes, max_pixels: int, max_aspect: float) -> tuple[bytes, ImageHeader]:
    if not data:
        raise ImageRejected("The file is empty.")

    probe = _open(data, max_pixels)
    fmt = (probe.format or "").upper()
    if fmt not in ALLOWED_FORMATS:
        shown = probe.format or "This"
        raise ImageRejected(
            f"{shown} files are not supported; please use PNG, JPEG, WebP, TIFF or BMP."
        )
    width, height = probe.size
    if width < 1 or height < 1:
        raise ImageRejected(_DAMAGED)
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is {_megapixels(width * height)} megapixels; "
            f"the limit is {_limit_megapixels(max_pixels)}."
        )
    if max(width, height) > max_aspect * min(width, height):
        raise ImageRejected(
            f"The image is {width} x {height} pixels; one side may be at most {max_aspect:g} times the other. "
            f"Crop it to a less extreme shape first."
        )
    try:
        frames = getattr(probe, "n_frames", 1)
    except _DECODE_ERRORS:
        raise ImageRejected(_DAMAGED) from None
    if frames > 1:
        kind = "pages" if fmt == "TIFF" else "frames"
        raise ImageRejected(
            f"This image has {frames} {kind}. The tools make one still picture, so please upload a single "
            f"{kind[:-1]} (export it as a still image first)."
        )
    end = image_end(data, fmt)
    if end is not None and len(data) > end and data[end:].strip(b"\0"):
        raise ImageRejected(
            f"This file has {len(data) - end} bytes of other data after the end of the image, so it is not a "
            f"plain image file. Open the picture and save or export it again."
        )

    # verify() catches fake and corrupt files (bad CRCs, missing chunks) but
    # leaves the image object unusable, hence a second open for decoding.
    try:
        probe.verify()
    except _DECODE_ERRORS:
        raise ImageRejected(_DAMAGED) from None
    return data, ImageHeader(format=fmt, width=width, height=height, size_bytes=len(data))


def load_image(source: ImageSource, *, max_bytes: int, max_pixels: int, max_aspect: float = MAX_ASPECT_RATIO,
               detect_colour: bool = True, max_side: int | None = None) -> LoadedImage:
    """Validate and decode an image file into an RGB or L picture without metadata.

    Checks happen cheapest first, so hostile files cost next to nothing: byte
    size before reading, then :func:`inspect_image`'s checks from the header
    and structure before decoding (a tiny PNG claiming 30000x30000 is refused
    without allocating), then the decode itself.

    Args:
        source: a path, the file's bytes, or a binary file object (read
            from its current position).
        max_bytes: largest accepted file size in bytes.
        max_pixels: largest accepted width * height.
        max_aspect: largest accepted longer side / shorter side.
        detect_colour: measure ``was_colour`` (False skips it and reports False).
        max_side: for a caller that keeps only a copy this long on its longer side:
            a JPEG is decoded at the smallest of its DCT scales (1/2, 1/4, 1/8) that
            still gives at least that, so a 12 MP photo never fills memory at full
            size; other formats decode at full size. Every byte is still decoded.

    Returns:
        LoadedImage with ``image`` of mode "RGB" or "L" (alpha composited on
        white, palette/CMYK/16-bit converted), EXIF orientation applied.

    Raises:
        ImageRejected: with a message meant for the person who sent the file
            (see :func:`inspect_image` for what is refused).
    """
    data, header = _checked(_read_source(source, max_bytes), max_pixels, max_aspect)
    fmt = header.format

    image = _open(data, max_pixels)
    if max_side is not None and max(header.width, header.height) > max_side:
        shrink = max_side / max(header.width, header.height)
        # Pillow picks the largest reduction whose size is still at least this on both sides.
        image.draft(image.mode, (max(1, round(header.width * shrink)), max(1, round(header.height * shrink))))
    try:
        image.load()
    except _DECODE_ERRORS:
        raise ImageRejected(_DAMAGED) from None
    try:
        image = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        pass  # a broken EXIF block is no reason to refuse good pixels
    try:
        image = to_rgb_or_l(_to_srgb(image))
    except ImageRejected:
        raise
    except _DECODE_ERRORS:
        raise ImageRejected(_DAMAGED) from None

    clean = _without_metadata(image)
    # Live frames skip the colour check: it costs more than their decoding.
    return LoadedImage(image=clean, format=fmt, was_colour=detect_colour and not is_greyscale(clean))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile, so pixels are sRGB before the profile is dropped.

    Phones write Display P3 and print workflows CMYK profiles; reading those
    pixels as sRGB would shift colours and lightness. Without a profile, or
    when littlecms cannot use it, the pixels are taken as sRGB already.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImportError, OSError, ValueError, TypeError):  # PyCMSError is an OSError
        return image
    return converted if converted is not None else image


_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


def to_rgb_or_l(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to "RGB" or "L" (returned as is when already one of them).

    Transparency is composited on white, palettes and CMYK become RGB,
    16-bit and float greys are scaled to 8 bits rather than clipped.
    """
    mode = image.mode
    if mode in ("RGB", "L", "P") and "transparency" in image.info:
        # A tRNS colour key: the "transparent" pixels must become white too.
        flat = _composite_on_white(image.convert("RGBA"))
        return flat.convert("L") if mode == "L" else flat
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        return _high_bit_depth_to_l(image)
    if mode in ("LA", "La"):
        return _composite_on_white(image.convert("LA"))
    if mode == "P":
        return image.convert("RGB")
    if mode in ("RGBA", "RGBa", "PA"):
        return _composite_on_white(image.convert("RGBA"))
    try:
        return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...
    except ValueError:
        raise ImageRejected(
            f"This image uses a colour mode ({mode}) we cannot convert; please save it as an RGB or greyscale image."
        ) from None


def _composite_on_white(image: Image.Image) -> Image.Image:
    """Flatten an "RGBA" image to "RGB", or an "LA" image to "L", over a white background."""
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    white = Image.new("L", image.size, 255)
    return Image.composite(image.getchannel("L"), white, image.getchannel("A"))


def _high_bit_depth_to_l(image: Image.Image) -> Image.Image:
    """Scale 16-bit / 32-bit integer or float greys to 8 bits (Pillow's convert would clip at 255)."""
    values = np.asarray(image).astype(np.float64)
    if image.mode.startswith("I;16"):
        scaled = values / 257.0
    elif image.mode == "F":
        # Float TIFFs are usually 0..1; fall back to 0..255 when values say so.
        scaled = values * 255.0 if values.size and np.nanmax(values) <= 1.0 else values
    else:  # "I": 16-bit PNGs open this way on some Pillow versions
        scaled = values / 257.0 if values.size and values.max() > 255 else values
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8))


def _without_metadata(image: Image.Image) -> Image.Image:
    """Return a copy carrying pixels only: no EXIF, ICC, GPS, XMP or text info."""
    # copy() makes a plain Image (no file-format reader and its chunks), and ``info`` is the only
    # place Pillow then keeps metadata for re-encoding. One C copy: a round trip through
    # tobytes() took 0.19 ms for a 256 x 256 live frame, under the GIL.
    clean = image.copy()
    clean.info = {}
    return clean


def is_greyscale(image: Image.Image, tolerance: float = 3.0) -> bool:
    """Tell whether a picture is grey, allowing for compression noise.

    A pixel counts as coloured when its channels differ by more than
    ``tolerance`` levels (0..255). The image is measured on a box-filtered
    copy at most 512 px wide, which averages away JPEG chroma noise, and is
    grey when fewer than 0.1 % of those pixels are coloured.

    Args:
        image: any mode; "L", "1", "LA", "I*" and "F" are grey by definition.
        tolerance: largest channel spread (max - min) still counted as grey.
    """
    if image.mode in _GREY_MODES:
        return True
    rgb = image if image.mode == "RGB" else to_rgb_or_l(image)
    if rgb.mode == "L":
        return True
    factor = max(1, -(-max(rgb.size) // 512))
    small = rgb.reduce(factor) if factor > 1 else rgb
    pixels = np.asarray(small, dtype=np.int16)
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return float(np.mean(spread > tolerance)) < 0.001


def to_grey(image: Image.Image) -> Image.Image:
    """Return the picture in mode "L" (ITU-R 601 luma for colour input, alpha on white)."""
    if image.mode == "L":
        return image.copy()
    converted = to_rgb_or_l(image)
    return converted if converted.mode == "L" else converted.convert("L")


def black_and_white(loaded: LoadedImage) -> Image.Image:
    """The photo as Colorize takes it: a colour photo given by mistake is turned grey first.

    The site and ``python -m inference colorize`` both call this, so they render
    the same pixels for the same file.
    """
    return to_grey(loaded.image) if loaded.was_colour else loaded.image


_ENCODERS = {"PNG", "JPEG", "WEBP"}


def encode_image(image: Image.Image, fmt: str, *, quality: int = 92, optimize_jpeg: bool = True) -> bytes:
    """Encode a picture as PNG, JPEG or WebP bytes, never writing any metadata.

    Args:
        image: any mode; converted to RGB or L as the format needs.
        fmt: "PNG", "JPEG" or "WEBP" (case-insensitive; "JPG" accepted).
        quality: 1..100, used by JPEG and WebP.
        optimize_jpeg: optimised Huffman tables: about 3 % smaller files for twice the
            encoding time (0.7 against 0.3 ms at 256 x 256), worth it for kept files,
            not for live frames that are shown once.
    """
    fmt = fmt.upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in _ENCODERS:
        raise ValueError(f"cannot encode {fmt!r}; choose PNG, JPEG or WEBP")
    if not 1 <= int(quality) <= 100:
        raise ValueError("quality must be between 1 and 100")
    picture = _without_metadata(to_rgb_or_l(image))
    buffer = io.BytesIO()
    options: dict = {}
    if fmt == "JPEG":
        # 4:4:4 keeps colour edges crisp: colourised output is all about chroma.
        options = {"quality": int(quality), "subsampling": 0, "optimize": optimize_jpeg}
    elif fmt == "WEBP":
        options = {"quality": int(quality), "method": 4}
    else:
        options = {"optimize": False, "compress_level": 6}
    try:
        picture.save(buffer, fmt, **options)
    except OSError:
        if not options.get("optimize") or fmt != "JPEG":
            raise
        # Pillow gives an optimised JPEG an output buffer of one byte per pixel (below quality 95) and
        # fails when the picture needs more (fine texture or noise at 4:4:4): encode it unoptimised.
        buffer = io.BytesIO()
        picture.save(buffer, fmt, **{**options, "optimize": False})
    return buffer.getvalue()


def thumbnail(image: Image.Image, size: int = 384) -> Image.Image:
    """Return a copy that fits in ``size`` x ``size`` pixels, aspect ratio kept (never enlarged)."""
    small = to_rgb_or_l(image).copy()
    small.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _without_metadata(small)
