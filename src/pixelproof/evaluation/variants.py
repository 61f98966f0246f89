"""The three forms every evaluation image is scored in.

* ``as-is``: the file as given, metadata and all.
* ``stripped``: the same stored pixels with no metadata, which is what most uploads look like
  after a social network or a messenger. JPEG and PNG are stripped losslessly at the byte
  level (their compression history is kept); other formats are re-saved as lossless PNG.
* ``degraded``: the displayed image shrunk to at most 1024 px on its longer side and saved as
  JPEG quality 75, the typical fate of a shared picture.
* ``frame`` (a stress test, not run by default): the picture as a paused frame of a streamed
  video: cut to 16:9 around its centre, 854 x 480, softened (the codec's loss of fine detail)
  and saved as JPEG quality 50 with 4:2:0 chroma. Real detectors' false positives pile up on
  video frames; this asks whether ours do, for both classes alike.
"""

import io

from PIL import Image, ImageFilter

from ..media import decode
from ..media.containers import JPEG_SOS, Malformed, jpeg_segments, png_chunks
from ..settings import Settings

VARIANTS = ("as-is", "stripped", "degraded")
STRESS_VARIANTS = ("frame",)
ALL_VARIANTS = VARIANTS + STRESS_VARIANTS
DEGRADED_MAX_SIDE = 1024
DEGRADED_QUALITY = 75
FRAME_SIZE = (854, 480)
FRAME_BLUR = 0.7
FRAME_QUALITY = 50

# JPEG segments that define the pixels; APP1-13/15 (EXIF, XMP, ICC, IPTC, C2PA...) and COM go.
_JPEG_KEEP_APP = {0xE0, 0xEE}  # JFIF, Adobe (its colour transform flag changes the pixels)
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def _strip_jpeg(data: bytes) -> bytes | None:
    out = bytearray(data[:2])
    try:
        for segment in jpeg_segments(data):
            if segment.kind == JPEG_SOS:  # the rest is image data
                return bytes(out + data[segment.offset :])
            if not (0xE0 <= segment.kind <= 0xEF or segment.kind == 0xFE) or segment.kind in _JPEG_KEEP_APP:
                out += segment.raw
    except Malformed:
        return None
    return None  # no image data: re-saved instead


def _strip_png(data: bytes) -> bytes | None:
    out = bytearray(data[:8])
    for chunk in png_chunks(data):
        if chunk.offset + 12 > len(data):  # a chunk cut off before its CRC: re-saved instead
            return None
        if chunk.kind in _PNG_KEEP:
            out += chunk.raw
        if chunk.kind == b"IEND":
            return bytes(out)
    return None


def stripped(data: bytes, settings: Settings | None = None) -> bytes:
    media = decode(data, settings)
    lossless = {"jpeg": _strip_jpeg, "png": _strip_png}.get(media.meta.format)
    if lossless and (result := lossless(data)) is not None:
        return result
    image = media.image
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buf = io.BytesIO()
    image.save(buf, "PNG", icc_profile=None)
    return buf.getvalue()


def degraded(data: bytes, settings: Settings | None = None) -> bytes:
    image = Image.fromarray(decode(data, settings).rgb)
    scale = DEGRADED_MAX_SIDE / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=DEGRADED_QUALITY)
    return buf.getvalue()


def frame(data: bytes, settings: Settings | None = None) -> bytes:
    image = Image.fromarray(decode(data, settings).rgb)
    (w, h), (fw, fh) = image.size, FRAME_SIZE
    cw, ch = (round(h * fw / fh), h) if w * fh > h * fw else (w, round(w * fh / fw))
    left, top = (w - cw) // 2, (h - ch) // 2
    image = image.crop((left, top, left + max(1, cw), top + max(1, ch))).resize(FRAME_SIZE, Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(FRAME_BLUR)).save(buf, "JPEG", quality=FRAME_QUALITY, subsampling=2)
    return buf.getvalue()


def variant(name: str, data: bytes, settings: Settings | None = None) -> bytes:
    if name == "as-is":
        return data
    if name == "stripped":
        return stripped(data, settings)
    if name == "degraded":
        return degraded(data, settings)
    if name == "frame":
        return frame(data, settings)
    raise ValueError(f"unknown variant {name!r}; known: {', '.join(ALL_VARIANTS)}")
