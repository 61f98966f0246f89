"""The JPEG/PNG/WebP walkers that metadata, C2PA location and metadata stripping share."""

import io

import pytest
from PIL import Image

from pixelproof.media.containers import JPEG_SOS, Malformed, jpeg_segments, png_chunks, riff_chunks


def _saved(fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, fmt, **options)
    return buf.getvalue()


def test_jpeg_segments_skip_fill_bytes_keep_standalone_markers_and_stop_at_the_scan():
    data = _saved("JPEG")
    comment = b"\xff\xfe\x00\x05hi!"
    data = data[:2] + b"\xff\xff" + comment + b"\xff\x01" + data[2:]  # a fill byte, COM, then TEM
    segments = list(jpeg_segments(data))
    assert [s.kind for s in segments[:3]] == [0xFE, 0x01, 0xE0]
    assert (segments[0].body, segments[0].raw, segments[1].raw) == (b"hi!", comment, b"\xff\x01")
    assert segments[-1].kind == JPEG_SOS
    with pytest.raises(Malformed, match="no JPEG marker at byte 2"):
        list(jpeg_segments(data[:2] + b"junk" + data[2:]))


def test_png_chunks_end_at_iend_and_a_truncated_chunk_is_short():
    data = _saved("PNG")
    chunks = list(png_chunks(data + b"trailing"))
    assert [c.kind for c in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert chunks[-1].end == len(data) and b"".join(c.raw for c in chunks) == data[8:]
    [header, idat] = list(png_chunks(data[:-20]))[:2]
    assert header.length == 13 and len(idat.body) < idat.length


def test_riff_chunks_of_a_webp():
    data = _saved("WEBP", lossless=True, exif=b"Exif\x00\x00" + Image.Exif().tobytes())
    kinds = [c.kind for c in riff_chunks(data)]
    assert kinds[0] == b"VP8X" and b"VP8L" in kinds and b"EXIF" in kinds
