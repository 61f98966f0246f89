"""Embedded EXIF, XMP and IPTC metadata: camera data, rights fields and AI labels.

Unsigned metadata is trivially forged and routinely stripped, so camera data is only ever
weak evidence of a real photo, and its absence is no evidence at all. An AI label that the
producer writes into its own output (IPTC DigitalSourceType, Google's "Made with Google AI"
credit, a Midjourney Job ID, xAI's EXIF signature, China's TC260 AIGC label…) is another
matter: nothing writes one by accident, so it is decisive.

The analyzer and its evidence are here; the IPTC field set in ``_fields``, the AI labels in
``_labels``, the block readers (EXIF text, IPTC-IIM, MakerNote) in ``_readers``.
"""

from typing import Any

from PIL import ExifTags
from pydantic import Field

from ... import source_types
from ...evidence import Evidence, Signal
from ...media import Media
from ...settings import Settings
from ..base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from ..carriers import parse_xmp, png_text_chunks, xmp_packet
from ..exiftool import ExifTool, ExifToolError
from ..registry import register
from ._fields import IPTC_SOURCES, IptcFields, iptc_fields
from ._labels import AiDeclaration, declarations
from ._readers import first_value, iim_datasets, makernote_vendor, text_value

__all__ = ["IPTC_SOURCES", "AiDeclaration", "IptcFields", "MetadataAnalyzer", "MetadataEvidence"]

_EXIF_IFD = ExifTags.IFD.Exif
_GPS_IFD = ExifTags.IFD.GPSInfo


class MetadataEvidence(Evidence):
    exif_present: bool
    camera_make: str | None = None
    camera_model: str | None = None
    lens_make: str | None = None
    lens_model: str | None = None
    body_serial: str | None = None
    lens_serial: str | None = None
    software: str | None = None
    orientation: int | None = None  # the stored tag value, even when out of spec
    datetime_original: str | None = None
    gps_present: bool = False  # a latitude and longitude, not just an empty GPS block
    makernotes: str | None = None  # the MakerNote's vendor (nikon, canon…, "unknown"); None: no MakerNote
    xmp_present: bool = False
    xmp_creator_tool: str | None = None
    iptc_iim_present: bool = False
    icc_profile: bool = False
    digital_source_type: str | None = None  # the IPTC term, e.g. trainedAlgorithmicMedia
    iptc: IptcFields = Field(default_factory=IptcFields)
    ai_declarations: list[AiDeclaration] = Field(default_factory=list)
    exiftool: dict[str, Any] | None = None  # exiftool's full report (setting "exiftool"); {"error": …} if it failed

    def signals(self) -> list[Signal]:
        found = [d.signal() for d in self.ai_declarations]
        if self.digital_source_type in source_types.CAPTURE:
            found.append(
                Signal(
                    kind="metadata",
                    points_to="human",
                    strength="weak",
                    summary=f"Unsigned IPTC DigitalSourceType declares {self.digital_source_type}; weak evidence,"
                    " since XMP is easily edited.",
                )
            )
        maker_is_ai = any(d.label == "ai_maker" for d in self.ai_declarations)
        if (self.camera_make or self.camera_model) and not maker_is_ai:
            camera = " ".join(p for p in (self.camera_make, self.camera_model) if p)
            found.append(
                Signal(
                    kind="metadata",
                    points_to="human",
                    strength="weak",
                    summary=f"Unsigned EXIF names a camera ({camera}); weak evidence, since EXIF is easily forged.",
                )
            )
        return found


@register
class MetadataAnalyzer(Analyzer):
    name = "metadata"
    version = "2.0.0"
    evidence_model = MetadataEvidence
    description = "EXIF camera data, IPTC/XMP fields and AI labels (DigitalSourceType, Google AI credit, TC260…)."

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self._exiftool = ExifTool() if settings.exiftool else None

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> MetadataEvidence:
        image = media.image
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD) if exif else {}
        gps = exif.get_ifd(_GPS_IFD) if exif else {}
        chunks = png_text_chunks(media.data)
        png_text = {c.keyword: c.text for c in reversed(chunks)}  # the first of a repeated keyword wins
        packet = xmp_packet(image, chunks)
        xmp = parse_xmp(packet)
        iim = iim_datasets(image)
        iptc = iptc_fields(xmp, iim, exif, sub, png_text)
        orientation = exif.get(ExifTags.Base.Orientation)
        make = text_value(exif.get(ExifTags.Base.Make)) or first_value(xmp, "tiff:Make")
        dst = source_types.term(iptc.digital_source_type)
        return MetadataEvidence(
            exif_present=len(exif) > 0,
            camera_make=make,
            camera_model=text_value(exif.get(ExifTags.Base.Model)) or first_value(xmp, "tiff:Model"),
            lens_make=text_value(sub.get(ExifTags.Base.LensMake)),
            lens_model=text_value(sub.get(ExifTags.Base.LensModel)) or first_value(xmp, "exifEX:LensModel", "aux:Lens"),
            body_serial=text_value(sub.get(ExifTags.Base.BodySerialNumber))
            or first_value(xmp, "exifEX:BodySerialNumber", "aux:SerialNumber"),
            lens_serial=text_value(sub.get(ExifTags.Base.LensSerialNumber))
            or first_value(xmp, "exifEX:LensSerialNumber", "aux:LensSerialNumber"),
            software=text_value(exif.get(ExifTags.Base.Software)),
            orientation=orientation if isinstance(orientation, int) else None,
            datetime_original=text_value(sub.get(ExifTags.Base.DateTimeOriginal)),
            gps_present=(ExifTags.GPS.GPSLatitude in gps and ExifTags.GPS.GPSLongitude in gps)
            or "exif:GPSLatitude" in xmp,
            makernotes=makernote_vendor(sub.get(ExifTags.Base.MakerNote), make),
            xmp_present=packet is not None,
            xmp_creator_tool=first_value(xmp, "xmp:CreatorTool"),
            iptc_iim_present=bool(iim),
            icc_profile=bool(image.info.get("icc_profile")),
            digital_source_type=dst,
            iptc=iptc,
            ai_declarations=declarations(exif, sub, xmp, iim, png_text, iptc, dst),
            exiftool=self._deep_report(media) if self._exiftool else None,
        )

    def _deep_report(self, media: Media) -> dict[str, Any]:
        try:
            return self._exiftool.report(media.data, suffix=f".{media.meta.format}")
        except ExifToolError as exc:
            return {"error": str(exc)}
