"""Bytes in, decoded media out: the first stage of the pipeline.

Everything past this point may assume it holds a real, bounded image of a whitelisted
type. Pixel analyzers get an orientation-corrected RGB array; metadata analyzers get the
original bytes untouched.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel

from ..errors import CorruptMedia, DecompressionBomb, EmptyMedia, TooLarge, UnsupportedType
from ..settings import Settings
from .sniff import MIME, sniff

_heif_registered = False
_PILLOW_FORMATS = {fmt: (fmt.upper(),) for fmt in MIME}  # our names, upper-cased, are Pillow's plugin names


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


class MediaMeta(BaseModel):
    """What the report says about the file itself."""

    width: int
    height: int
    format: str
    mime_type: str
    size_bytes: int
    md5: str
    sha256: str


@dataclass(eq=False)
class Media:
    """A decoded image: original bytes for metadata, pixels for models."""

    data: bytes
    meta: MediaMeta
    image: Image.Image = field(repr=False)  # first frame, as stored (before EXIF rotation)
    # What several analyzers derive from the pixels alike (CLIP's global view: the pixel
    # detector and the near-duplicate index), kept here so the first one to ask pays for it.
    derived: dict = field(default_factory=dict, repr=False)

    @cached_property
    def rgb(self) -> np.ndarray:
        """H×W×3 uint8 pixels, EXIF orientation applied, transparency over white."""
        img = self.image
        if img.getexif().get(ExifTags.Base.Orientation, 1) != 1:  # exif_transpose copies even when upright
            img = ImageOps.exif_transpose(img)
        return to_rgb(img)


STRIP_PIXELS = 1 << 20  # pixels converted at a time


def to_rgb(image: Image.Image, strip_pixels: int = STRIP_PIXELS) -> np.ndarray:
    """H×W×3 uint8 pixels (a new, writable array), transparency over white, 16-bit mapped to 8.

    Converted in strips of about ``strip_pixels`` straight into the array: every step is per
    pixel, so the pixels are the same as one whole-image conversion's, but that made up to five
    full-size copies at once (issue 14: a 100-megapixel RGBA PNG peaked 2.1 GB over the base);
    strips bound the copies besides the image and the array to a few MB."""
    width, height = image.size
    out = np.empty((height, width, 3), np.uint8)
    rows = max(1, strip_pixels // max(width, 1))
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        out[top:bottom] = _strip_rgb(image.crop((0, top, width, bottom)))
    return out


def _strip_rgb(img: Image.Image) -> np.ndarray:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        img = canvas
    elif img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = Image.fromarray((np.asarray(img, dtype=np.float64) / 257.0).clip(0, 255).astype(np.uint8))
    return np.asarray(img if img.mode == "RGB" else img.convert("RGB"))


def decode(data: bytes, settings: Settings | None = None) -> Media:
    """Validate and decode ``data``; raise a typed MediaError for anything we refuse."""
    settings = settings or Settings()
    if not data:
        raise EmptyMedia("the file is empty")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"{len(data)} bytes is over the limit of {settings.max_upload_bytes} bytes")
    fmt = sniff(data[:64])
    if fmt is None:
        raise UnsupportedType("not a recognised image format (supported: " + ", ".join(settings.formats) + ")")
    if fmt not in settings.formats:
        raise UnsupportedType(f"{fmt} images are not accepted here (accepted: {', '.join(settings.formats)})")
    if fmt == "heif":
        _register_heif()

    image = _open(data, fmt, settings)  # however small: a 1 px file can still carry its provenance
    width, height = image.size
    meta = MediaMeta(
        width=width,
        height=height,
        format=fmt,
        mime_type=MIME[fmt],
        size_bytes=len(data),
        md5=hashlib.md5(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return Media(data=data, meta=meta, image=image)


def _open(data: bytes, fmt: str, settings: Settings) -> Image.Image:
    # Our max_pixels is the limit, checked on the header before a pixel is decoded. Pillow's
    # own bomb warning (between its limit and twice that) is silenced so it cannot refuse
    # images under ours; its hard error (over twice its limit, which max_pixels may not
    # exceed: HARD_MAX_PIXELS) still refuses, and is answered with our limit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            # Only the sniffed format's decoder may run: Pillow would otherwise pick its own.
            image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[fmt])
            width, height = image.size
            if width * height > settings.max_pixels:
                raise DecompressionBomb(
                    f"{width}×{height} = {width * height} pixels is over the limit of {settings.max_pixels}"
                )
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            image.load()
        except Image.DecompressionBombError:
            raise DecompressionBomb(f"the image has more pixels than the limit of {settings.max_pixels}") from None
        except DecompressionBomb:
            raise
        except UnidentifiedImageError:  # its message names a BytesIO object, not the problem
            raise CorruptMedia(f"not a readable {fmt.upper()} image: the file is truncated or corrupt") from None
        except Exception as exc:  # noqa: BLE001 - hostile bytes make decoders raise anything (RuntimeError…)
            raise CorruptMedia(f"cannot decode this {fmt} file: {exc}") from None
        _parse_exif(image)
    return image


def _parse_exif(image: Image.Image) -> None:
    """Parse the EXIF block once, here. A broken one (a WebP's EXIF chunk whose TIFF header is
    not "II*"/"MM*") raises SyntaxError from ``getexif`` only the first time: Pillow then
    caches what it read (nothing). Asked here first, it reads as no EXIF to every analyzer,
    instead of failing whichever analyzer happens to ask first."""
    try:
        image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the picture
        pass
