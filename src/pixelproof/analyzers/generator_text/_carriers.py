"""Where generators leave their texts: PNG text chunks, EXIF UserComment and IFD0 tags, the file
comment, and "stealth" metadata in the alpha channel's low bits. Each carrier's texts go to
``recognise``."""

import re
import zlib

import numpy as np
from PIL import ExifTags

from ...media import Media
from ..carriers import MAX_TEXT_BYTES, TextChunk, decode_user_comment
from ._comfyui import is_graph
from ._recognise import recognise
from ._record import Generation, Texts, parse_json


def from_png_text(chunks: list[TextChunk]) -> list[Generation]:
    texts: Texts = {}
    late: set[str] = set()
    for chunk in chunks:
        texts.setdefault(chunk.keyword, chunk.text)
        if chunk.after_idat:
            late.add(chunk.keyword)
    return recognise(texts, lambda keys: "png-text-after-idat" if late & set(keys) else "png-text")


def from_exif(media: Media) -> list[Generation]:
    exif = media.image.getexif()
    found: list[Generation] = []
    comment = decode_user_comment(exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.UserComment))
    if comment:
        carrier = "png-exif-usercomment" if media.meta.format == "png" else "exif-usercomment"
        texts = _comment_texts(comment)
        scheme = _fooocus_scheme(exif)
        if scheme:
            texts.setdefault("fooocus_scheme", scheme)
        found += recognise(texts, lambda keys: carrier)
    ifd0_comment = decode_user_comment(exif.get(ExifTags.Base.UserComment))
    if ifd0_comment:
        found += recognise(_comment_texts(ifd0_comment), lambda keys: "exif-ifd0-usercomment")
    # ComfyUI's WebP saver: Model = "prompt:{…}", Make = "workflow:{…}".
    labelled = {}
    for tag in (ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.ImageDescription):
        match = _LABELLED.match(str(exif.get(tag) or ""))
        if match:
            labelled[match.group(1).lower()] = match.group(2)
    if labelled:
        found += recognise(labelled, lambda keys: "exif-ifd0")
    file_comment = decode_user_comment(media.image.info.get("comment"))  # JPEG COM, GIF comment
    if file_comment:
        found += recognise(_comment_texts(file_comment), lambda keys: "comment")
    return found


_LABELLED = re.compile(r"^(prompt|workflow):\s*([\[{].*)$", re.DOTALL | re.IGNORECASE)


def _fooocus_scheme(exif) -> str | None:
    """Fooocus keeps its metadata scheme name where cameras keep their MakerNote."""
    note = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.MakerNote)
    if isinstance(note, bytes) and note in (b"fooocus", b"a1111"):
        return note.decode()
    return None


def _comment_texts(comment: str) -> Texts:
    """A UserComment holds A1111 text, a ComfyUI {prompt, workflow} pair, or one graph/JSON."""
    data = parse_json(comment)
    if not isinstance(data, dict):
        return {"parameters": comment}
    if isinstance(data.get("prompt"), dict | str) and ("workflow" in data or is_graph(parse_json(data["prompt"]))):
        return {key: data[key] for key in ("prompt", "workflow") if key in data}
    if is_graph(data):
        return {"prompt": data}
    return {"parameters": data}


# "Stealth pnginfo" (A1111 extension, NovelAI): 15-byte magic, 32-bit bit count, payload,
# one bit per pixel in the alpha channel's least significant bit, read column by column.
_STEALTH_MAGIC = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}  # magic → gzipped


_MAGIC_BITS = 15 * 8


def from_stealth(media: Media) -> list[Generation]:
    image = media.image
    if image.mode not in ("RGBA", "LA") or image.width * image.height < _MAGIC_BITS + 32:
        return []
    magic = _alpha_bytes(image, 0, _MAGIC_BITS)
    if magic not in _STEALTH_MAGIC:
        return []
    n_bits = int.from_bytes(_alpha_bytes(image, _MAGIC_BITS, 32), "big")
    available = image.width * image.height - _MAGIC_BITS - 32
    if not 0 < n_bits <= min(available, MAX_TEXT_BYTES * 8):
        return []
    payload = _alpha_bytes(image, _MAGIC_BITS + 32, n_bits)
    if _STEALTH_MAGIC[magic]:
        try:
            payload = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(payload, MAX_TEXT_BYTES)
        except zlib.error:
            return []
    text = payload.decode("utf-8", "replace")
    data = parse_json(text)
    texts = data if isinstance(data, dict) and "Software" in data else {"parameters": text}
    return recognise(texts, lambda keys: "alpha-lsb")


def _alpha_bytes(image, start: int, count: int) -> bytes:
    """``count`` bits from the alpha LSBs in column-major order, cropping only the columns needed."""
    height = image.height
    first, last = start // height, (start + count - 1) // height
    alpha = np.asarray(image.crop((first, 0, last + 1, height)).getchannel("A"))
    bits = (alpha.T.reshape(-1) & 1)[start - first * height :][:count]
    return np.packbits(bits).tobytes()
