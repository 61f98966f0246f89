"""Readers of the raw metadata blocks: text values cleaned up, XMP properties, IPTC-IIM
datasets and the MakerNote's vendor. Tolerant by design: a damaged block reads as absent."""

from PIL import IptcImagePlugin

from ..carriers import XmpProperties

TEXT_LIMIT = 2000


def text_value(value, limit: int = TEXT_LIMIT) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip("\x00 \t\r\n")
    if not any(char.isalnum() for char in value):  # blank placeholders such as ":  :     :  :"
        return None
    return value[:limit]


def first_value(xmp: XmpProperties, *names: str) -> str | None:
    for name in names:
        if xmp.get(name):
            return text_value(xmp[name][0])
    return None


def iim_datasets(image) -> dict[int, list[str]]:
    """IPTC-IIM record 2 (JPEG APP13 / TIFF): dataset number → its values, decoded."""
    try:
        raw = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # noqa: BLE001 - a malformed IPTC block is reported as absent, never fatal
        return {}
    found: dict[int, list[str]] = {}
    for (record, dataset), value in raw.items():
        if record == 2:
            values = value if isinstance(value, list) else [value]
            found[dataset] = [_decode_iim(v) for v in values if isinstance(v, bytes)]
    return found


def _decode_iim(value: bytes) -> str:
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return value.decode("latin-1").strip()


_MAKERNOTE_HEADERS = (
    (b"Nikon", "nikon"),
    (b"FUJIFILM", "fujifilm"),
    (b"Panasonic", "panasonic"),
    (b"OLYMP", "olympus"),
    (b"OM SYSTEM", "olympus"),
    (b"SONY", "sony"),
    (b"AOC\x00", "pentax"),
    (b"PENTAX", "pentax"),
    (b"Apple iOS", "apple"),
    (b"LEICA", "leica"),
    (b"SIGMA", "sigma"),
    (b"RICOH", "ricoh"),
    (b"Ricoh", "ricoh"),
    (b"QVC", "casio"),
    (b"KDK", "kodak"),
)


def makernote_vendor(note, make: str | None) -> str | None:
    """Most vendors sign their MakerNote; Canon's and Samsung's start straight with an IFD."""
    if not note:
        return None
    raw = note if isinstance(note, bytes) else str(note).encode("latin-1", "replace")
    for header, vendor in _MAKERNOTE_HEADERS:
        if raw.startswith(header):
            return vendor
    return make.split()[0].lower() if make else "unknown"
