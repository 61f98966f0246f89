"""Find out cheaply whether a file carries C2PA data, before the C2PA library is loaded.

Almost no uploaded image has Content Credentials, so the common case must cost microseconds:
for JPEG, PNG and WebP only the container's segment or chunk headers are walked (a C2PA store
lives in a JPEG APP11 segment, a PNG ``caBX`` chunk or a WebP ``C2PA`` chunk). Other
containers (TIFF/DNG, HEIF/AVIF, GIF) are searched for the JUMBF box type instead.

The XMP ``dcterms:provenance`` property is read on the way: a URL there is a remote manifest,
which we report and never fetch; a ``self#jumbf=`` value points into the file itself.
"""

import re
import zlib
from dataclasses import dataclass

from ..media.containers import Malformed, jpeg_segments, png_chunks, riff_chunks

_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_XMP = b"XML:com.adobe.xmp\x00"
_MAX_XMP = 4 * 1024 * 1024  # a compressed XMP chunk is inflated up to this many bytes
_PROVENANCE = re.compile(rb"""provenance(?:\s*=\s*["']([^"']{1,2048})["']|\s*>\s*([^<\s]{1,2048})\s*<)""")


@dataclass(frozen=True)
class Located:
    store: bool  # a JUMBF box that may hold a C2PA manifest store
    provenance: str | None = None  # the XMP dcterms:provenance value, if any

    @property
    def remote_url(self) -> str | None:
        value = self.provenance or ""
        return value if value.lower().startswith(("http://", "https://")) else None


def locate(data: bytes, fmt: str) -> Located:
    """Where C2PA data may be in ``data`` (a file of sniffed format ``fmt``)."""
    walk = _WALKERS.get(fmt)
    if walk is not None:
        try:
            return walk(data)
        except (Malformed, IndexError, ValueError):
            pass  # the container walk lost its way; the byte search below still answers
    return _search(data)


def _provenance(xmp: bytes) -> str | None:
    match = _PROVENANCE.search(xmp)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("utf-8", "replace").strip() or None


def _jpeg(data: bytes) -> Located:
    store, xmp = False, []
    for segment in jpeg_segments(data):
        body = segment.body
        if segment.kind == 0xEB and body[:2] == b"JP":  # APP11 JPEG-XT box: JUMBF
            store = True
        elif segment.kind == 0xE1 and body.startswith(_JPEG_XMP):
            xmp.append(body)
    return Located(store, _provenance(b"".join(xmp)))


def _png(data: bytes) -> Located:
    store, xmp = False, []
    for chunk in png_chunks(data):
        if chunk.kind == b"caBX":
            store = True
        elif chunk.kind == b"iTXt" and (body := chunk.body).startswith(_PNG_XMP):
            xmp.append(_itxt_text(body[len(_PNG_XMP) :]))
    return Located(store, _provenance(b"".join(xmp)))


def _itxt_text(body: bytes) -> bytes:
    """The text of an iTXt chunk after its keyword: flag, method, language\\0, keyword\\0, text."""
    compressed = body[:1] == b"\x01"
    _, _, rest = body[2:].partition(b"\x00")  # language tag
    _, _, text = rest.partition(b"\x00")  # translated keyword
    if not compressed:
        return text
    try:
        return zlib.decompressobj().decompress(text, _MAX_XMP)
    except zlib.error:
        return b""


def _webp(data: bytes) -> Located:
    store, xmp = False, []
    for chunk in riff_chunks(data):
        if chunk.kind == b"C2PA":
            store = True
        elif chunk.kind == b"XMP ":
            xmp.append(chunk.body)
    return Located(store, _provenance(b"".join(xmp)))


def _search(data: bytes) -> Located:
    """Byte search, for containers we do not walk (and for broken ones)."""
    provenance = None
    at = data.find(b"provenance")
    while at >= 0 and provenance is None:
        provenance = _provenance(data[at : at + 4200])
        at = data.find(b"provenance", at + 10)
    return Located(b"jumb" in data, provenance)


_WALKERS = {"jpeg": _jpeg, "png": _png, "webp": _webp}
