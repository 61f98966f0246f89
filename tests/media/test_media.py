"""Decoding: every accepted format decodes to pixels; anything else gets a typed error.

Fixtures are generated here with Pillow and pillow-heif, so the suite needs no files.
"""

import io
import random
import struct
import subprocess
import sys
import zlib

import numpy as np
import pillow_heif
import pytest
from PIL import Image
from pydantic import ValidationError

from pixelproof.errors import (
    CorruptMedia,
    DecompressionBomb,
    EmptyMedia,
    MediaError,
    TooLarge,
    UnsupportedType,
)
from pixelproof.media import MIME, decode
from pixelproof.media.decode import to_rgb
from pixelproof.settings import HARD_MAX_PIXELS, Settings

from tests.support.shared import SHARED, expectations, fixture_rows

W, H = 64, 48
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def _photo() -> Image.Image:
    """A gradient, so every format has real content to encode."""
    x = np.linspace(0, 255, W, dtype=np.uint8)
    y = np.linspace(0, 255, H, dtype=np.uint8)
    rgb = np.stack([np.tile(x, (H, 1)), np.tile(y[:, None], (1, W)), np.full((H, W), 90, np.uint8)], axis=-1)
    return Image.fromarray(rgb)


def _encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def _heic(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(image).save(buf, quality=90)
    return buf.getvalue()


def _rgba_with_hole() -> Image.Image:
    image = _photo().convert("RGBA")
    image.putpixel((0, 0), (10, 20, 30, 0))  # fully transparent: must come out white
    return image


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (W, H), 1)
    image.putpalette([0, 0, 0] + list(RED) + list(BLUE))
    image.putpixel((0, 0), 0)
    return _encode(image, "PNG", transparency=0)


def _gray16() -> bytes:
    pixels = np.full((H, W), 0x8080, dtype=np.uint16)
    pixels[0, 0] = 0xFFFF
    image = Image.fromarray(pixels)
    assert image.mode.startswith("I;16")
    return _encode(image, "PNG")


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (W, H), RED), Image.new("RGB", (W, H), BLUE)]
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _cmyk_jpeg() -> bytes:
    return _encode(Image.new("CMYK", (W, H), (0, 255, 255, 0)), "JPEG", quality=95)  # pure red in ink


# (case, bytes factory, sniffed format, a pixel to check (x, y, rgb) or None for lossy content)
CASES = [
    ("jpeg", lambda: _encode(_photo(), "JPEG", quality=90), "jpeg", None),
    ("png-rgb", lambda: _encode(_photo(), "PNG"), "png", (5, 7, _photo().getpixel((5, 7)))),
    ("png-rgba", lambda: _encode(_rgba_with_hole(), "PNG"), "png", (0, 0, WHITE)),
    ("png-palette-transparency", _palette_with_transparency, "png", (0, 0, WHITE)),
    ("png-gray16", _gray16, "png", (0, 0, WHITE)),
    ("webp-lossy", lambda: _encode(_photo(), "WEBP", quality=80), "webp", None),
    ("webp-lossless", lambda: _encode(_photo(), "WEBP", lossless=True), "webp", (9, 3, _photo().getpixel((9, 3)))),
    ("gif-animated", _animated_gif, "gif", (10, 10, RED)),  # the first frame
    ("bmp", lambda: _encode(_photo(), "BMP"), "bmp", (1, 2, _photo().getpixel((1, 2)))),
    ("tiff", lambda: _encode(_photo(), "TIFF", compression="tiff_deflate"), "tiff", (3, 4, _photo().getpixel((3, 4)))),
    ("heic", lambda: _heic(_photo()), "heif", None),
    ("avif", lambda: _encode(_photo(), "AVIF", quality=80), "avif", None),
    ("jpeg-cmyk", _cmyk_jpeg, "jpeg", None),
]


@pytest.mark.parametrize("make, fmt, pixel", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_supported_format_decodes_to_rgb(make, fmt, pixel):
    data = make()
    media = decode(data)
    assert (media.meta.format, media.meta.mime_type) == (fmt, MIME[fmt])
    assert (media.meta.width, media.meta.height, media.meta.size_bytes) == (W, H, len(data))
    assert len(media.meta.sha256) == 64 and len(media.meta.md5) == 32
    assert media.data == data  # metadata analyzers get the original bytes
    rgb = media.rgb
    assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8
    if pixel:
        x, y, expected = pixel
        assert tuple(int(v) for v in rgb[y, x]) == expected


def test_lossy_formats_keep_the_picture():
    """A gradient survives every lossy codec roughly intact: the pixels are really decoded."""
    reference = np.asarray(_photo(), dtype=np.int16)
    for case, make, _, pixel in CASES:
        if pixel is None and case != "jpeg-cmyk":
            error = np.abs(decode(make()).rgb.astype(np.int16) - reference).mean()
            assert error < 6, case


def test_cmyk_jpeg_comes_out_in_rgb():
    red, green, blue = (int(v) for v in decode(_cmyk_jpeg()).rgb[H // 2, W // 2])
    assert red > 230 and green < 25 and blue < 25


def _modes() -> list[Image.Image]:
    """The same noise in every mode ``to_rgb`` treats its own way."""
    rgba = Image.fromarray(np.random.default_rng(7).integers(0, 256, (H, W, 4), dtype=np.uint8), "RGBA")
    palette = rgba.convert("RGB").convert("P")
    keyed, alpha = palette.copy(), palette.copy()
    keyed.info["transparency"], alpha.info["transparency"] = 3, bytes(range(256))
    sixteen = Image.fromarray(np.random.default_rng(8).integers(0, 65536, (H, W), dtype=np.uint16)).convert("I;16")
    modes = ("RGBA", "RGB", "L", "LA", "PA", "CMYK", "1", "P")
    return [rgba.convert(mode) for mode in modes] + [keyed, alpha, sixteen]


@pytest.mark.parametrize("strip_pixels", [1, W * 5 - 1, W * H * 2])
def test_strips_give_the_pixels_of_one_whole_conversion(strip_pixels):
    """``to_rgb`` converts in strips to bound its copies (issue 14); every step is per pixel,
    so any strip size, one row or many, gives the whole image's pixels exactly."""
    for image in _modes():
        whole = to_rgb(image, strip_pixels=W * H)
        assert np.array_equal(to_rgb(image, strip_pixels=strip_pixels), whole), image.mode
    rgba = _modes()[0]
    expected = np.asarray(Image.alpha_composite(Image.new("RGBA", rgba.size, WHITE + (255,)), rgba).convert("RGB"))
    assert np.array_equal(to_rgb(rgba, strip_pixels=strip_pixels), expected)  # transparency over white


# EXIF orientation → (displayed height, width), and where a mark stored top-left is displayed
ORIENTATIONS = {
    1: ((H, W), (4, 4)),
    2: ((H, W), (4, W - 5)),  # mirrored
    3: ((H, W), (H - 5, W - 5)),  # upside down
    6: ((W, H), (4, H - 5)),  # "rotate 90° clockwise to display": width and height swap
    8: ((W, H), (W - 5, 4)),
}


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_exif_orientation_is_applied_to_the_pixels(orientation):
    image = Image.new("RGB", (W, H), (128, 128, 128))
    image.paste(RED, (0, 0, 16, 16))
    exif = image.getexif()
    exif[0x0112] = orientation
    media = decode(_encode(image, "JPEG", quality=95, exif=exif))
    assert (media.meta.width, media.meta.height) == (W, H)  # as stored
    shape, (row, col) = ORIENTATIONS[orientation]
    rgb = media.rgb.astype(int)
    assert rgb.shape == (*shape, 3)
    assert rgb[row, col, 0] > 200 and rgb[row, col, 1:].max() < 60
    assert (np.abs(rgb[rgb.shape[0] // 2, rgb.shape[1] // 2] - 128) < 10).all()  # the rest stays grey
    assert np.count_nonzero(rgb[..., 0] > 200) < 16 * 16 + 64  # one mark, not smeared


def test_the_type_comes_from_the_bytes_never_the_name(tmp_path):
    png_named_jpg = tmp_path / "x.jpg"
    png_named_jpg.write_bytes(_encode(_photo(), "PNG"))
    jpeg_named_png = tmp_path / "y.png"
    jpeg_named_png.write_bytes(_encode(_photo(), "JPEG"))
    assert decode(png_named_jpg.read_bytes()).meta.format == "png"
    assert decode(jpeg_named_png.read_bytes()).meta.format == "jpeg"


NOT_IMAGES = {
    "random": random.Random(7).randbytes(4096),
    "pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48"/></svg>',
    "text": b"Hello, this is a plain text file and not a picture at all.\n",
    "text-starting-BM": b"BMW annual report 2024: revenue, deliveries and outlook for the year ahead.\n",
}


@pytest.mark.parametrize("data", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
def test_what_is_not_an_image_is_unsupported(data):
    with pytest.raises(UnsupportedType) as caught:
        decode(data)
    assert caught.value.code == "unsupported_media_type" and caught.value.http_status == 415


def test_empty_bytes():
    with pytest.raises(EmptyMedia):
        decode(b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_corrupt(fmt):
    data = _encode(_photo(), fmt)
    with pytest.raises(CorruptMedia) as caught:
        decode(data[: len(data) // 2])
    assert fmt.lower() in caught.value.message


def _bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid all-black 1-bit PNG of width×height: tens of kilobytes that inflate to gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)  # filter byte, then packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


BOMB_PROBE = """
import resource, sys
from pixelproof.errors import DecompressionBomb
from pixelproof.media import decode
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    decode(data)
    print("decoded")
except DecompressionBomb as exc:
    print("refused", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.slow
def test_a_decompression_bomb_is_refused_from_its_header_without_allocating_pixels():
    bomb = _bomb_png()
    assert len(bomb) < 200_000
    probe = subprocess.run([sys.executable, "-c", BOMB_PROBE], input=bomb, capture_output=True, timeout=60)
    assert probe.returncode == 0, probe.stderr.decode()
    verdict, grown_kib = probe.stdout.decode().split()
    assert verdict == "refused"
    assert int(grown_kib) < 50 * 1024  # the pixels alone would be 400 MB


def test_the_pixel_limit_is_ours_and_exact(monkeypatch):
    """Pillow's own, lower warning threshold must neither refuse nor admit on our behalf."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # Pillow warns from 2000, refuses from 4000
    data = _encode(_photo(), "PNG")  # 64×48 = 3072 pixels
    assert decode(data, Settings(max_pixels=W * H)).meta.width == W
    with pytest.raises(DecompressionBomb) as caught:
        decode(data, Settings(max_pixels=W * H - 1))
    assert str(W * H - 1) in caught.value.message


def test_past_pillows_hard_limit_the_refusal_states_our_limit():
    """Pillow refuses these on opening, before our check; the message is still about ours."""
    with pytest.raises(DecompressionBomb) as caught:
        decode(_bomb_png(14_000, 14_000), Settings(max_pixels=150_000_000))  # 196 MP
    assert "limit of 150000000" in caught.value.message
    assert str(HARD_MAX_PIXELS) not in caught.value.message


def test_max_pixels_may_not_exceed_pillows_hard_limit():
    assert HARD_MAX_PIXELS == 2 * Image.MAX_IMAGE_PIXELS  # where Pillow refuses before we look
    assert Settings(max_pixels=HARD_MAX_PIXELS).max_pixels == HARD_MAX_PIXELS
    with pytest.raises(ValidationError, match="max_pixels"):
        Settings(max_pixels=HARD_MAX_PIXELS + 1)


def test_over_the_upload_limit_is_too_large():
    data = _encode(_photo(), "PNG")
    with pytest.raises(TooLarge):
        decode(data, Settings(max_upload_bytes=len(data) - 1))
    assert decode(data, Settings(max_upload_bytes=len(data))).meta.size_bytes == len(data)


def test_a_one_pixel_image_still_decodes():
    """Refusing it would lose the generator record or C2PA manifest it may carry; the pixel
    analyzers decline it instead (tests/api/test_api.py)."""
    media = decode(_encode(Image.new("RGB", (1, 1)), "PNG"))
    assert (media.meta.width, media.meta.height) == (1, 1) and media.rgb.shape == (1, 1, 3)


def test_a_format_left_out_of_the_settings_is_unsupported():
    settings = Settings(formats="jpeg,webp")
    with pytest.raises(UnsupportedType) as caught:
        decode(_encode(_photo(), "PNG"), settings)
    assert "png" in caught.value.message
    assert decode(_encode(_photo(), "JPEG"), settings).meta.format == "jpeg"


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "jpeg-cmyk"], ids=lambda c: c[0])
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the damaged EXIF it skips
def test_damaged_files_never_escape_as_untyped_exceptions(case):
    """Truncations and flipped bytes either decode or raise a MediaError, in every format."""
    data = case[1]()
    damaged = [data[:n] for n in range(1, len(data), max(1, len(data) // 25))]
    rng = random.Random(case[0])
    for _ in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        damaged.append(bytes(mutated))
    for sample in damaged:
        try:
            decode(sample).rgb
        except MediaError:
            pass


@pytest.mark.slow
def test_real_world_format_fixtures_decode_with_their_declared_sizes():
    rows = fixture_rows("formats/")
    assert rows, "shared/fixtures/manifest.csv lists no formats/ files"
    for row in rows:
        data = (SHARED / "fixtures" / row["path"]).read_bytes()
        expect = expectations(row)
        try:
            media = decode(data)
        except MediaError as exc:
            assert expect.get("decode") != "ok", f"{row['path']}: {exc.code}: {exc.message}"
            continue
        rgb = media.rgb
        if "size" in expect:
            assert f"{media.meta.width}x{media.meta.height}" == expect["size"], row["path"]
        display = expect.get("display_size", expect.get("size"))
        if display:
            assert f"{rgb.shape[1]}x{rgb.shape[0]}" == display, row["path"]
