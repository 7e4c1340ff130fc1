"""load_image refuses bad uploads with clear messages and cleans up good ones."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from skimage import data

from inference.errors import ImageRejected
from inference.images import (
    MAX_ASPECT_RATIO,
    encode_image,
    inspect_image,
    is_greyscale,
    limit_in_mb,
    load_image,
    thumbnail,
    to_grey,
)

MB = 1_000_000
LIMITS = {"max_bytes": 25 * MB, "max_pixels": 30 * MB}


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few dozen bytes whose header declares width x height."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _png_chunk(b"IEND", b"")
    )


def test_a_text_file_renamed_png_is_not_an_image(tmp_path):
    fake = tmp_path / "holiday.png"
    fake.write_text("Dear diary, today I uploaded a text file.")
    with pytest.raises(ImageRejected, match=r"This file is not an image we can read \(PNG, JPEG, WebP, TIFF or BMP\)\."):
        load_image(fake, **LIMITS)


def test_an_empty_file_is_refused():
    with pytest.raises(ImageRejected, match="empty"):
        load_image(b"", **LIMITS)


def test_a_truncated_png_is_refused_as_damaged():
    png = _encode(Image.fromarray(data.camera()), "PNG")
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        load_image(png[: len(png) // 2], **LIMITS)


def test_a_truncated_jpeg_is_refused_as_damaged():
    jpeg = _encode(Image.fromarray(data.astronaut()), "JPEG", quality=90)
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        load_image(jpeg[: len(jpeg) // 2], **LIMITS)


def test_a_jpeg_wanted_smaller_is_decoded_at_a_reduced_scale_yet_still_whole():
    jpeg = _encode(Image.fromarray(data.astronaut()), "JPEG", quality=90)  # 512 x 512
    smaller = load_image(jpeg, **LIMITS, max_side=200)
    assert 200 <= smaller.width < 512 and smaller.width == smaller.height
    assert load_image(jpeg, **LIMITS, max_side=1024).width == 512  # never enlarged
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        load_image(jpeg[: len(jpeg) // 2], **LIMITS, max_side=200)


def test_a_gif_is_refused_because_the_format_is_not_allowed():
    gif = _encode(Image.new("P", (8, 8)), "GIF")
    with pytest.raises(ImageRejected, match="GIF files are not supported; please use PNG, JPEG, WebP, TIFF or BMP"):
        load_image(gif, **LIMITS)


def test_a_file_over_the_byte_cap_is_refused_before_decoding(tmp_path):
    png = _encode(Image.fromarray(data.camera()), "PNG")
    path = tmp_path / "big.png"
    path.write_bytes(png)
    for source in (png, path, io.BytesIO(png)):
        with pytest.raises(ImageRejected, match=r"the limit is 0\.1 MB\.$|larger than the 0\.1 MB limit\.$"):
            load_image(source, max_bytes=100_000, max_pixels=30 * MB)


def test_a_byte_limit_reads_the_same_in_every_message():
    assert limit_in_mb(25_000_000) == "25 MB"
    with pytest.raises(ImageRejected, match=r"^The file is 25\.0 MB; the limit is 25 MB\.$"):
        load_image(b"\0" * 25_000_001, max_bytes=25_000_000, max_pixels=30 * MB)
    with pytest.raises(ImageRejected, match=r"^The file is larger than the 25 MB limit\.$"):
        load_image(io.BytesIO(b"\0" * 25_000_001), max_bytes=25_000_000, max_pixels=30 * MB)


def test_an_image_over_the_pixel_cap_is_refused_with_its_megapixels():
    png = _encode(Image.new("L", (6000, 5200)), "PNG")  # 31.2 MP, compresses to a few KB
    with pytest.raises(ImageRejected, match=r"^The image is 31\.2 megapixels; the limit is 30\.$"):
        load_image(png, **LIMITS)


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = _png_claiming(30000, 30000)
    assert len(bomb) < 100
    with pytest.raises(ImageRejected, match="megapixels"):
        load_image(bomb, **LIMITS)


def test_a_bomb_under_pillows_own_limit_is_refused_by_ours_without_decoding():
    bomb = _png_claiming(8000, 8000)  # 64 MP: Pillow would merely warn, then allocate 64 MB
    with pytest.raises(ImageRejected, match=r"The image is 64\.0 megapixels; the limit is 30\."):
        load_image(bomb, **LIMITS)


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90 degrees clockwise to display
    jpeg = _encode(Image.new("RGB", (40, 20), (200, 30, 30)), "JPEG", exif=exif)
    loaded = load_image(jpeg, **LIMITS)
    assert (loaded.width, loaded.height) == (20, 40)


def test_metadata_is_stripped_on_load_and_never_written_on_encode():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = _encode(Image.fromarray(data.astronaut()), "JPEG", exif=exif, icc_profile=icc)
    assert Image.open(io.BytesIO(jpeg)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    loaded = load_image(jpeg, **LIMITS)
    assert loaded.image.info == {}
    for fmt in ("JPEG", "PNG", "WEBP"):
        reopened = Image.open(io.BytesIO(encode_image(loaded.image, fmt)))
        assert reopened.format == fmt
        assert not reopened.getexif()
        assert "exif" not in reopened.info and "icc_profile" not in reopened.info

    # even an image that still carries metadata is encoded without it
    tagged = Image.open(io.BytesIO(jpeg))
    for fmt in ("JPEG", "PNG", "WEBP"):
        reopened = Image.open(io.BytesIO(encode_image(tagged, fmt)))
        assert not reopened.getexif() and "icc_profile" not in reopened.info


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Someone")
    loaded = load_image(_encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=info), **LIMITS)
    assert loaded.image.info == {}
    assert "Author" not in Image.open(io.BytesIO(encode_image(loaded.image, "PNG"))).info


def test_transparency_is_composited_on_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    loaded = load_image(_encode(rgba, "PNG"), **LIMITS)
    assert loaded.image.mode == "RGB"
    assert loaded.image.getpixel((0, 0)) == (255, 0, 0)
    assert loaded.image.getpixel((3, 3)) == (255, 255, 255)
    la = Image.new("LA", (2, 2), (0, 0))
    assert load_image(_encode(la, "PNG"), **LIMITS).image.getpixel((1, 1)) == 255


def test_palette_cmyk_and_sixteen_bit_images_become_rgb_or_grey():
    palette = Image.fromarray(data.astronaut()).convert("P")
    assert load_image(_encode(palette, "PNG"), **LIMITS).image.mode == "RGB"
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    assert load_image(_encode(cmyk, "JPEG"), **LIMITS).image.mode == "RGB"
    deep = Image.fromarray(np.full((4, 4), 65535 // 2, dtype=np.uint16))
    grey = load_image(_encode(deep, "PNG"), **LIMITS).image
    assert grey.mode == "L" and abs(grey.getpixel((0, 0)) - 127) <= 1  # scaled, not clipped to 255


def test_all_allowed_formats_load():
    picture = Image.fromarray(data.astronaut()).resize((64, 48))
    for fmt in ("PNG", "JPEG", "WEBP", "TIFF", "BMP"):
        loaded = load_image(_encode(picture, fmt), **LIMITS)
        assert loaded.format == fmt and loaded.image.size == (64, 48)


def _two_frames(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    return _encode(frames[0], fmt, save_all=True, append_images=frames[1:])


@pytest.mark.parametrize("fmt, kind", [("PNG", "frames"), ("WEBP", "frames"), ("TIFF", "pages")])
def test_animations_and_multi_page_files_are_refused_not_cut_to_their_first_frame(fmt, kind):
    with pytest.raises(ImageRejected, match=f"This image has 2 {kind}.*single"):
        load_image(_two_frames(fmt), **LIMITS)
    with pytest.raises(ImageRejected, match=kind):
        inspect_image(_two_frames(fmt), **LIMITS)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_a_single_frame_saved_by_an_animation_encoder_is_accepted(fmt):
    single = _encode(Image.new("RGB", (16, 16), (255, 0, 0)), fmt, save_all=True)
    assert load_image(single, **LIMITS).image.getpixel((8, 8))[0] > 200


@pytest.mark.parametrize("size", [(1, 20000), (20000, 1), (2, 101), (101, 2)])
def test_extreme_aspect_ratios_are_refused(size):
    strip = _encode(Image.new("L", size, 128), "PNG")
    with pytest.raises(ImageRejected, match=rf"{size[0]} x {size[1]} pixels; one side may be at most "
                                            rf"{MAX_ASPECT_RATIO} times the other"):
        load_image(strip, **LIMITS)


@pytest.mark.parametrize("size", [(1, 1), (1, MAX_ASPECT_RATIO), (MAX_ASPECT_RATIO, 1), (3, 3), (2, 100)])
def test_tiny_and_thin_images_within_the_ratio_are_accepted(size):
    assert load_image(_encode(Image.new("L", size, 128), "PNG"), **LIMITS).image.size == size


_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _zip_archive() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", _HTML)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF", "BMP"])
@pytest.mark.parametrize("tail", [_HTML, _zip_archive()], ids=["html", "zip"])
def test_data_after_the_end_of_the_image_is_refused(fmt, tail):
    picture = _encode(Image.fromarray(data.astronaut()).resize((48, 32)), fmt)
    assert Image.open(io.BytesIO(picture + tail)).size == (48, 32)  # Pillow alone would take it
    with pytest.raises(ImageRejected, match=f"{len(tail)} bytes of other data after the end of the image"):
        load_image(picture + tail, **LIMITS)


def test_the_image_end_is_found_past_embedded_thumbnails_metadata_and_progressive_scans():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = Image.fromarray(data.astronaut())
    files = {
        "progressive jpeg": _encode(picture, "JPEG", progressive=True, exif=exif, icc_profile=icc),
        "restart markers": _encode(picture, "JPEG", restart_marker_blocks=1),
        "tiff with exif and icc": _encode(picture, "TIFF", exif=exif, icc_profile=icc),
        "compressed tiff": _encode(picture, "TIFF", compression="tiff_lzw"),
        "tiled tiff": _encode(picture, "TIFF", tiffinfo={322: 64, 323: 64}),
        "png with text": _encode(picture, "PNG", pnginfo=PngImagePlugin.PngInfo()),
        "lossless webp": _encode(picture, "WEBP", lossless=True, icc_profile=icc),
        "palette bmp": _encode(picture.convert("P"), "BMP"),
    }
    for name, file in files.items():
        assert load_image(file, **LIMITS).image.size == (512, 512), name
        assert load_image(file + b"\0" * 3, **LIMITS).image.size == (512, 512), name  # padding is not data
        with pytest.raises(ImageRejected, match="after the end of the image"):
            load_image(file + b"PK\x05\x06", **LIMITS)


def test_inspection_reads_the_header_without_decoding():
    header = inspect_image(_png_claiming(4000, 3000), **LIMITS)  # its pixel data could not even be decoded
    assert (header.format, header.width, header.height) == ("PNG", 4000, 3000)


def test_colour_photos_are_told_apart_from_grey_ones():
    astronaut = load_image(_encode(Image.fromarray(data.astronaut()), "JPEG"), **LIMITS)
    camera = load_image(_encode(Image.fromarray(data.camera()), "PNG"), **LIMITS)
    assert astronaut.was_colour and astronaut.image.mode == "RGB"
    assert not camera.was_colour and camera.image.mode == "L"
    # a grey photo saved as colour JPEG is still grey, despite compression noise
    grey_as_rgb = load_image(_encode(Image.fromarray(data.camera()).convert("RGB"), "JPEG", quality=75), **LIMITS)
    assert not grey_as_rgb.was_colour
    assert is_greyscale(to_grey(Image.fromarray(data.astronaut())))


def test_thumbnails_fit_the_box_and_keep_the_aspect_ratio():
    small = thumbnail(Image.fromarray(data.astronaut()).resize((800, 400)), 384)
    assert small.size == (384, 192)


def test_colour_key_transparency_becomes_white_too():
    grey = Image.new("L", (4, 4), 10)
    loaded = load_image(_encode(grey, "PNG", transparency=10), **LIMITS)
    assert loaded.image.mode == "L" and loaded.image.getpixel((0, 0)) == 255


def test_a_file_object_is_read_like_a_path_or_bytes(tmp_path):
    png = _encode(Image.fromarray(data.camera()).resize((32, 16)), "PNG")
    with io.BytesIO(png) as upload:
        assert load_image(upload, **LIMITS).image.size == (32, 16)


def test_a_noisy_picture_still_encodes_as_jpeg():
    # An optimised JPEG of fine texture at 4:4:4 needs more than Pillow's one byte per pixel of buffer.
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8))
    reopened = Image.open(io.BytesIO(encode_image(noise, "JPEG", quality=90)))
    assert reopened.format == "JPEG" and reopened.size == (256, 256)
