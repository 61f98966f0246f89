"""Basic embedded metadata: is there EXIF, which camera and software, which orientation.

Unsigned metadata is trivially forged and routinely stripped, so camera data is only ever
weak evidence of a real photo, and its absence is no evidence at all.
"""

from PIL import ExifTags

from ..media import Media
from .base import Analyzer, Evidence, Signal
from .registry import register

_EXIF_IFD = ExifTags.IFD.Exif
_GPS_IFD = ExifTags.IFD.GPSInfo


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip("\x00 \t\r\n")
    return value or None


class MetadataEvidence(Evidence):
    exif_present: bool
    camera_make: str | None = None
    camera_model: str | None = None
    software: str | None = None
    orientation: int | None = None  # the stored tag value, even when out of spec
    datetime_original: str | None = None
    gps_present: bool = False
    xmp_present: bool = False
    xmp_creator_tool: str | None = None
    icc_profile: bool = False

    def signals(self) -> list[Signal]:
        if not (self.camera_make or self.camera_model):
            return []
        camera = " ".join(p for p in (self.camera_make, self.camera_model) if p)
        return [
            Signal(
                kind="metadata",
                points_to="human",
                strength="weak",
                summary=f"Unsigned EXIF names a camera ({camera}); weak evidence, since EXIF is easily forged.",
            )
        ]


@register
class MetadataAnalyzer(Analyzer):
    name = "metadata"
    version = "1.0.0"
    evidence_model = MetadataEvidence
    description = "EXIF presence, camera make/model, software, orientation, XMP creator tool."

    def analyze(self, media: Media) -> MetadataEvidence:
        image = media.image
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD) if exif else {}
        xmp = _xmp(image)
        orientation = exif.get(ExifTags.Base.Orientation)
        return MetadataEvidence(
            exif_present=len(exif) > 0,
            camera_make=_text(exif.get(ExifTags.Base.Make)),
            camera_model=_text(exif.get(ExifTags.Base.Model)),
            software=_text(exif.get(ExifTags.Base.Software)),
            orientation=orientation if isinstance(orientation, int) else None,
            datetime_original=_text(sub.get(ExifTags.Base.DateTimeOriginal)),
            gps_present=bool(exif.get_ifd(_GPS_IFD)) if exif else False,
            xmp_present=xmp is not None,
            xmp_creator_tool=_creator_tool(xmp),
            icc_profile=bool(image.info.get("icc_profile")),
        )


def _xmp(image) -> dict | None:
    """Pillow parses XMP with defusedxml, so entity bombs in hostile files are refused."""
    try:
        xmp = image.getxmp()
    except Exception:  # malformed or hostile XMP is reported as absent, never fatal
        return None
    return xmp or None


def _creator_tool(xmp: dict | None) -> str | None:
    try:
        desc = xmp["xmpmeta"]["RDF"]["Description"]
    except (KeyError, TypeError):
        return None
    for item in desc if isinstance(desc, list) else [desc]:
        if isinstance(item, dict) and item.get("CreatorTool"):
            return _text(item["CreatorTool"])
    return None
