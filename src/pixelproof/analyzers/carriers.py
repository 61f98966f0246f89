"""Where editors and generators leave text in an image file, read without touching pixels.

Shared by the metadata and generator-text analyzers (this module registers no analyzer):
PNG text chunks walked from the raw bytes (media/containers.py, so text placed after IDAT, chunk order and the
chunk's position all survive), EXIF UserComment with its 8-byte charset header, and XMP
parsed namespace-aware with defusedxml, which refuses entity bombs in hostile packets.
"""

import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..media.containers import PNG_SIGNATURE, png_chunks

MAX_TEXT_BYTES = 8 * 1024 * 1024  # per chunk, after decompression: bounds a zlib bomb
MAX_TEXT_TOTAL = 32 * 1024 * 1024  # per file

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
# Canonical prefixes, so a property is found whatever prefix the writer chose.
XMP_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://purl.org/dc/terms/": "dcterms",
    "http://www.tc260.org.cn/ns/AIGC/1.0/": "TC260",
}


@dataclass(frozen=True)
class TextChunk:
    keyword: str
    text: str
    after_idat: bool  # malformed but common: some writers append text after the image data


def png_text_chunks(data: bytes) -> list[TextChunk]:
    """Every tEXt/zTXt/iTXt chunk of a PNG in file order; a damaged chunk is skipped."""
    if not data.startswith(PNG_SIGNATURE):
        return []
    chunks: list[TextChunk] = []
    seen_idat, total = False, 0
    for chunk in png_chunks(data):
        if chunk.kind == b"IDAT":
            seen_idat = True
        elif chunk.kind in (b"tEXt", b"zTXt", b"iTXt") and total < MAX_TEXT_TOTAL:
            parsed = _text_chunk(chunk.kind, chunk.body)
            if parsed:
                chunks.append(TextChunk(parsed[0], parsed[1], seen_idat))
                total += len(parsed[1])
    return chunks


def _text_chunk(ctype: bytes, body: bytes) -> tuple[str, str] | None:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not keyword:
        return None
    key = keyword.decode("latin-1")
    if ctype == b"tEXt":
        return key, _decode_8bit(rest)
    if ctype == b"zTXt":
        text = _inflate(rest[1:])
        return None if text is None else (key, _decode_8bit(text))
    if len(rest) < 2:
        return None
    compressed, payload = rest[0], rest[2:]
    _language, _, payload = payload.partition(b"\x00")
    _translated, _, payload = payload.partition(b"\x00")
    text = _inflate(payload) if compressed else payload
    return None if text is None else (key, text.decode("utf-8", "replace"))


def _inflate(payload: bytes) -> bytes | None:
    try:
        return zlib.decompressobj().decompress(payload, MAX_TEXT_BYTES)
    except zlib.error:
        return None


def _decode_8bit(raw: bytes) -> str:
    """tEXt is Latin-1 by the spec, but many generators write UTF-8 into it anyway."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_user_comment(raw: bytes | str | None) -> str | None:
    """EXIF UserComment: an 8-byte charset header (ASCII, UNICODE, JIS or zeros), then text.

    A1111 and Civitai write ``UNICODE`` UTF-16 (big-endian in practice, whatever the EXIF
    byte order); some ComfyUI nodes write plain text without the header.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw
    else:
        head, body = raw[:8], raw[8:]
        if head == b"UNICODE\x00":
            text = _utf16(body)
        elif head in (b"ASCII\x00\x00\x00", b"\x00" * 8) or head.startswith(b"JIS"):
            text = _decode_8bit(body)
        else:
            text = _decode_8bit(raw)
    return text.strip("\x00 \t\r\n") or None


def _utf16(body: bytes) -> str:
    if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return body.decode("utf-16", "replace")
    # ASCII-heavy text has its zero bytes first in big-endian, second in little-endian.
    big = body[0::2].count(0) >= body[1::2].count(0)
    return body[: len(body) // 2 * 2].decode("utf-16-be" if big else "utf-16-le", "replace")


XmpProperties = dict[str, list[str]]


def parse_xmp(packet: bytes | str | None) -> XmpProperties:
    """Top-level XMP properties as ``prefix:Name`` → their text leaves, in document order.

    Arrays give one entry per item; structures (a location, a supplier) give their fields'
    values. Properties in namespaces we do not know keep the ``{uri}Name`` form.
    """
    if not packet:
        return {}
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    try:
        root = fromstring(packet.strip(b"\x00 \t\r\n"))
    except (ParseError, DefusedXmlException, ValueError):
        return {}
    found: XmpProperties = {}
    for description in root.iter(f"{{{RDF}}}Description"):
        for name, value in description.attrib.items():
            if not name.startswith((f"{{{RDF}}}", f"{{{_XML}}}")) and value.strip():
                found.setdefault(_qualified(name), []).append(value.strip())
        for child in description:
            leaves = _leaves(child)
            if leaves:
                found.setdefault(_qualified(child.tag), []).extend(leaves)
    return found


def _leaves(element: Element) -> list[str]:
    out = [
        value.strip()
        for name, value in element.attrib.items()
        if not name.startswith((f"{{{RDF}}}", f"{{{_XML}}}")) and value.strip()
    ]
    resource = element.get(f"{{{RDF}}}resource")
    if resource:
        out.append(resource)
    children = list(element)
    if not children and element.text and element.text.strip():
        out.append(element.text.strip())
    for child in children:
        out.extend(_leaves(child))
    return out


def _qualified(tag: str) -> str:
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    prefix = XMP_PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else tag


def xmp_packet(image, png_text: list[TextChunk]) -> bytes | str | None:
    """The XMP packet wherever this container keeps it (JPEG APP1, PNG iTXt, WebP, TIFF, HEIF)."""
    for chunk in png_text:
        if chunk.keyword == "XML:com.adobe.xmp":
            return chunk.text
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if packet:
        return packet
    tags = getattr(image, "tag_v2", None)
    return tags.get(700) if tags is not None else None
