"""Embedded EXIF, XMP and IPTC metadata: camera data, rights fields and AI labels.

Unsigned metadata is trivially forged and routinely stripped, so camera data is only ever
weak evidence of a real photo, and its absence is no evidence at all. An AI label that the
producer writes into its own output (IPTC DigitalSourceType, Google's "Made with Google AI"
credit, a Midjourney Job ID, xAI's EXIF signature, China's TC260 AIGC label…) is another
matter: nothing writes one by accident, so it is decisive.
"""

import json
import re
from typing import Any, Literal

from PIL import ExifTags, IptcImagePlugin
from pydantic import BaseModel, ConfigDict, Field

from ..media import Media
from ..settings import Settings
from . import _iptc
from .base import Analyzer, Evidence, GeneratorGuess, Signal, Strength
from .carriers import XmpProperties, decode_user_comment, parse_xmp, png_text_chunks, xmp_packet
from .exiftool import ExifTool, ExifToolError
from .families import family_for
from .registry import register

_EXIF_IFD = ExifTags.IFD.Exif
_GPS_IFD = ExifTags.IFD.GPSInfo
_TEXT_LIMIT = 2000

# Where each IptcFields field is read from: its properties in XMP (the IPTC Photo Metadata
# Standard's), in order of preference, then its IPTC-IIM dataset (record 2), if it has one.
IPTC_SOURCES: dict[str, tuple[tuple[str, ...], int | None]] = {
    "date_created": (("photoshop:DateCreated",), 55),
    "description": (("dc:description",), 120),
    "headline": (("photoshop:Headline",), 105),
    "max_avail_width": (("Iptc4xmpExt:MaxAvailWidth",), None),
    "max_avail_height": (("Iptc4xmpExt:MaxAvailHeight",), None),
    "image_rating": (("xmp:Rating",), None),
    "description_writer": (("photoshop:CaptionWriter",), 122),
    "genre": (("Iptc4xmpExt:Genre", "Iptc4xmpCore:IntellectualGenre"), 4),
    "rights_usage_terms": (("xmpRights:UsageTerms",), None),
    "scene_code": (("Iptc4xmpCore:Scene",), None),
    "additional_model_information": (("Iptc4xmpExt:AddlModelInfo",), None),
    "creator": (("dc:creator",), 80),
    "credit_line": (("photoshop:Credit",), 110),
    "copyright_notice": (("dc:rights",), 116),
    "image_supplier": (("plus:ImageSupplier",), None),
    "location_created": (("Iptc4xmpExt:LocationCreated",), None),
    "minor_model_age_disclosure": (("plus:MinorModelAgeDisclosure",), None),
    "web_statement_of_rights": (("xmpRights:WebStatement",), None),
    "model_age": (("Iptc4xmpExt:ModelAge",), None),
    "image_supplier_image_id": (("plus:ImageSupplierImageID",), None),
    "linked_encoded_rights_expression": (("Iptc4xmpExt:LinkedEncRightsExpr",), None),
    "data_mining": (("plus:DataMining",), None),
    "artwork": (("Iptc4xmpExt:ArtworkOrObject",), None),
    "image_registry_entry": (("Iptc4xmpExt:RegistryId",), None),
    "city": (("photoshop:City",), 90),
    "code_of_organisation_featured_in_the_image": (("Iptc4xmpExt:OrganisationInImageCode",), None),
    "event_identifier": (("Iptc4xmpExt:EventId",), None),
    "event_name": (("Iptc4xmpExt:Event",), None),
    "contributor": (("Iptc4xmpExt:Contributor",), None),
    "copyright_owner": (("plus:CopyrightOwner",), None),
    "country": (("photoshop:Country",), 101),
    "digital_source_type": (("Iptc4xmpExt:DigitalSourceType",), None),
    "property_release_id": (("plus:PropertyReleaseID",), None),
    "property_release_status": (("plus:PropertyReleaseStatus",), None),
    "name_of_organisation_featured_in_the_image": (("Iptc4xmpExt:OrganisationInImageName",), None),
    "source": (("photoshop:Source",), 115),
    "digital_image_guid": (("Iptc4xmpExt:DigImageGUID",), None),
    "licensor": (("plus:Licensor",), None),
    "keywords": (("dc:subject",), 25),
    "image_creator": (("plus:ImageCreator",), None),
    "instructions": (("photoshop:Instructions",), 40),
    "title": (("dc:title",), 5),
}


class IptcFields(BaseModel):
    """The IPTC Photo Metadata fields (those Winston AI answers), from XMP, IPTC-IIM, then EXIF/PNG text."""

    model_config = ConfigDict(extra="forbid")

    date_created: str | None = None
    description: str | None = None
    headline: str | None = None
    max_avail_width: str | None = None
    max_avail_height: str | None = None
    image_rating: str | None = None
    description_writer: str | None = None
    genre: str | None = None
    rights_usage_terms: str | None = None
    scene_code: str | None = None
    additional_model_information: str | None = None
    creator: str | None = None
    credit_line: str | None = None
    copyright_notice: str | None = None
    image_supplier: str | None = None
    location_created: str | None = None
    minor_model_age_disclosure: str | None = None
    web_statement_of_rights: str | None = None
    model_age: str | None = None
    image_supplier_image_id: str | None = None
    linked_encoded_rights_expression: str | None = None
    data_mining: str | None = None
    artwork: str | None = None
    image_registry_entry: str | None = None
    city: str | None = None
    code_of_organisation_featured_in_the_image: str | None = None
    event_identifier: str | None = None
    event_name: str | None = None
    contributor: str | None = None
    copyright_owner: str | None = None
    country: str | None = None
    digital_source_type: str | None = None  # as written: usually the full cv.iptc.org URL
    property_release_id: str | None = None
    property_release_status: str | None = None
    name_of_organisation_featured_in_the_image: str | None = None
    source: str | None = None
    digital_image_guid: str | None = None
    licensor: str | None = None
    keywords: list[str] = Field(default_factory=list)
    image_creator: str | None = None
    instructions: str | None = None
    title: str | None = None


Label = Literal[
    "digital_source_type",
    "google_ai_credit",
    "midjourney_job",
    "xai_signature",
    "ai_maker",
    "tc260_aigc",
    "iptc_ai_system",
    "ai_software",
]


class AiDeclaration(BaseModel):
    """An AI label found in the file's own metadata."""

    label: Label
    where: str  # the tag, e.g. "XMP Iptc4xmpExt:DigitalSourceType"
    value: str  # what it says (trimmed)
    generator: str | None = None  # the product it names, when it names one
    strength: Strength
    partial: bool = False  # a composite: AI made part of the image, not all of it

    def signal(self) -> Signal:
        return Signal(
            kind="metadata",
            points_to="ai",
            strength=self.strength,
            generator=GeneratorGuess(family=family_for(self.generator or self.value), detail=self.generator),
            summary=_SUMMARIES[self.label](self),
        )


# What each kind of IPTC DigitalSourceType (_iptc.ORIGINS) declares, unsigned in XMP: its
# strength, whether only part of the image, and how to say it. Capture terms only point weakly
# to a photo (MetadataEvidence.signals); the other kinds are evidence for neither side.
_DST_MEANING = {
    "ai": ("decisive", False, "made by generative AI"),
    "ai_part": ("decisive", True, "partly made with generative AI (e.g. in- or outpainting)"),
    "synthetic_part": ("strong", True, "a composite that includes synthetic elements"),
}
_TC260_LEVELS = {
    "1": ("decisive", "AI-generated"),
    "2": ("strong", "possibly AI-generated"),
    "3": ("strong", "suspected AI-generated"),
}


def _dst_summary(d: AiDeclaration) -> str:
    meaning = _DST_MEANING[_iptc.ORIGINS[d.value]][2]
    by = f" ({d.generator})" if d.generator else ""
    return f"The IPTC DigitalSourceType in {d.where} declares {d.value}: {meaning}{by}."


def _tc260_summary(d: AiDeclaration) -> str:
    producer = f", producer {d.generator}" if d.generator else ""
    return f"China's TC260 AIGC label (GB 45438-2025) in {d.where} declares the content {d.value}{producer}."


_SUMMARIES = {
    "digital_source_type": _dst_summary,
    "google_ai_credit": lambda d: (
        f"The credit line in {d.where} says \u201c{d.value}\u201d, the label Google writes into images"
        f" {'partly ' if d.partial else ''}made with its generative AI."
    ),
    "midjourney_job": lambda d: f"The description in {d.where} carries a Midjourney Job ID, written by Midjourney.",
    "xai_signature": lambda d: (
        "EXIF carries xAI's signature pair (ImageDescription \u201cSignature: \u2026\u201d and a UUID Artist),"
        " which Grok writes into its images."
    ),
    "ai_maker": lambda d: f"{d.where} names an AI generator as the maker (\u201c{d.value}\u201d).",
    "tc260_aigc": _tc260_summary,
    "iptc_ai_system": lambda d: f"The IPTC field {d.where} names the AI system used (\u201c{d.value}\u201d).",
    "ai_software": lambda d: (
        f"{d.where} names an AI tool (\u201c{d.value}\u201d); a software tag is easily changed, so this is"
        " strong but not decisive evidence."
    ),
}


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
        if self.digital_source_type in _iptc.CAPTURE:
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

    def analyze(self, media: Media) -> MetadataEvidence:
        image = media.image
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD) if exif else {}
        gps = exif.get_ifd(_GPS_IFD) if exif else {}
        chunks = png_text_chunks(media.data)
        png_text = {c.keyword: c.text for c in reversed(chunks)}  # the first of a repeated keyword wins
        packet = xmp_packet(image, chunks)
        xmp = parse_xmp(packet)
        iim = _iim(image)
        iptc = _iptc_fields(xmp, iim, exif, sub, png_text)
        orientation = exif.get(ExifTags.Base.Orientation)
        make = _text(exif.get(ExifTags.Base.Make)) or _first(xmp, "tiff:Make")
        dst = _iptc.term(iptc.digital_source_type)
        return MetadataEvidence(
            exif_present=len(exif) > 0,
            camera_make=make,
            camera_model=_text(exif.get(ExifTags.Base.Model)) or _first(xmp, "tiff:Model"),
            lens_make=_text(sub.get(ExifTags.Base.LensMake)),
            lens_model=_text(sub.get(ExifTags.Base.LensModel)) or _first(xmp, "exifEX:LensModel", "aux:Lens"),
            body_serial=_text(sub.get(ExifTags.Base.BodySerialNumber))
            or _first(xmp, "exifEX:BodySerialNumber", "aux:SerialNumber"),
            lens_serial=_text(sub.get(ExifTags.Base.LensSerialNumber))
            or _first(xmp, "exifEX:LensSerialNumber", "aux:LensSerialNumber"),
            software=_text(exif.get(ExifTags.Base.Software)),
            orientation=orientation if isinstance(orientation, int) else None,
            datetime_original=_text(sub.get(ExifTags.Base.DateTimeOriginal)),
            gps_present=(ExifTags.GPS.GPSLatitude in gps and ExifTags.GPS.GPSLongitude in gps)
            or "exif:GPSLatitude" in xmp,
            makernotes=_makernote_vendor(sub.get(ExifTags.Base.MakerNote), make),
            xmp_present=packet is not None,
            xmp_creator_tool=_first(xmp, "xmp:CreatorTool"),
            iptc_iim_present=bool(iim),
            icc_profile=bool(image.info.get("icc_profile")),
            digital_source_type=dst,
            iptc=iptc,
            ai_declarations=_declarations(exif, sub, xmp, iim, png_text, iptc, dst),
            exiftool=self._deep_report(media) if self._exiftool else None,
        )

    def _deep_report(self, media: Media) -> dict[str, Any]:
        try:
            return self._exiftool.report(media.data, suffix=f".{media.meta.format}")
        except ExifToolError as exc:
            return {"error": str(exc)}


# --- reading ---------------------------------------------------------------------------


def _text(value, limit: int = _TEXT_LIMIT) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip("\x00 \t\r\n")
    if not any(char.isalnum() for char in value):  # blank placeholders such as ":  :     :  :"
        return None
    return value[:limit]


def _first(xmp: XmpProperties, *names: str) -> str | None:
    for name in names:
        if xmp.get(name):
            return _text(xmp[name][0])
    return None


def _iim(image) -> dict[int, list[str]]:
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


def _iptc_fields(xmp: XmpProperties, iim: dict[int, list[str]], exif, sub, png_text: dict[str, str]) -> IptcFields:
    fallback = {
        "description": [exif.get(ExifTags.Base.ImageDescription), png_text.get("Description")],
        "creator": [exif.get(ExifTags.Base.Artist), png_text.get("Author")],
        "copyright_notice": [exif.get(ExifTags.Base.Copyright), png_text.get("Copyright")],
        "title": [png_text.get("Title")],
        "date_created": [sub.get(ExifTags.Base.DateTimeOriginal), png_text.get("Creation Time")],
    }
    values: dict = {}
    for field, (properties, dataset) in IPTC_SOURCES.items():
        found = next((xmp[p] for p in properties if xmp.get(p)), None) or (iim.get(dataset) if dataset else None)
        if field == "keywords":
            values[field] = [k[:_TEXT_LIMIT] for k in dict.fromkeys(found or [])]
        elif found:
            values[field] = _text("; ".join(dict.fromkeys(found)))
        else:
            values[field] = next((t for t in map(_text, fallback.get(field, [])) if t), None)
    return IptcFields(**values)


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


def _makernote_vendor(note, make: str | None) -> str | None:
    """Most vendors sign their MakerNote; Canon's and Samsung's start straight with an IFD."""
    if not note:
        return None
    raw = note if isinstance(note, bytes) else str(note).encode("latin-1", "replace")
    for header, vendor in _MAKERNOTE_HEADERS:
        if raw.startswith(header):
            return vendor
    return make.split()[0].lower() if make else "unknown"


# --- AI labels ---------------------------------------------------------------------------

_AI_PRODUCTS = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"generative\s*(?:fill|expand)", "Photoshop Generative Fill"),
        (r"firefly", "Adobe Firefly"),
        (r"dall[\s\-_·.]*e", "DALL·E"),
        (r"chatgpt|gpt[\s\-_]*image|openai|\bsora\b", "OpenAI"),
        (r"midjourney|\bniji\b", "Midjourney"),
        (r"google\s*(?:ai|gemini)|imagen|nano[\s\-_]*banana", "Google AI"),
        (r"ideogram", "Ideogram"),
        (r"\bgrok\b|\bxai\b", "Grok (xAI)"),
        (r"bing\s*image\s*creator|image\s*creator\s*from\s*designer", "Bing Image Creator"),
        (r"stable[\s\-_]*diffusion|automatic1111|comfyui|invokeai|fooocus|sd\.next|dreamstudio", "Stable Diffusion"),
        (r"novelai", "NovelAI"),
        (r"draw\s*things", "Draw Things"),
        (r"\bflux\b", "FLUX"),
        (r"leonardo[\s.]*ai", "Leonardo.Ai"),
        (r"\bkrea\b", "Krea"),
        (r"runway\s*ml|runway\s*gen", "Runway"),
        (r"playground\s*(?:ai|v\d)", "Playground"),
        (r"nightcafe|craiyon|recraft|seedream|dreamina|jimeng|doubao|kling|hailuo|tensor\.?art|seaart|pixai", None),
        (r"meta\s*ai|imagine\s*with\s*meta", "Meta AI"),
    )
)
# Stricter than _AI_PRODUCTS: camera makers' names must never match (a "Gemini11" camera exists).
_AI_MAKERS = re.compile(
    r"ideogram|midjourney|openai|stability\s*ai|black\s*forest\s*labs|leonardo[\s.]*ai|novelai|\bxai\b|google\s*ai"
    r"|adobe\s*firefly",
    re.IGNORECASE,
)
_GOOGLE_CREDIT = re.compile(r"\b(made|created|generated|edited)\s+with\s+google\s+ai\b", re.IGNORECASE)
_MIDJOURNEY_JOB = re.compile(r"Job ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_XAI_SIGNATURE = re.compile(r"Signature:\s*[A-Za-z0-9+/=]{64,}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _ai_product(text: str | None) -> str | None:
    """The AI generator ``text`` names, if it names a known one."""
    for pattern, name in _AI_PRODUCTS:
        match = pattern.search(text or "")
        if match:
            return name or match.group(0)
    return None


def _declarations(exif, sub, xmp, iim, png_text, iptc: IptcFields, dst: str | None) -> list[AiDeclaration]:
    found: list[AiDeclaration] = []
    make = _text(exif.get(ExifTags.Base.Make))
    software_tags = [
        ("EXIF Software", _text(exif.get(ExifTags.Base.Software))),
        ("XMP xmp:CreatorTool", _first(xmp, "xmp:CreatorTool")),
        ("PNG text Software", _text(png_text.get("Software"))),
    ]
    named_by = [value for _, value in software_tags] + [make, iptc.credit_line]
    named = next(filter(None, map(_ai_product, named_by)), None)

    if (origin := _iptc.ORIGINS.get(dst)) in _DST_MEANING:
        strength, partial, _ = _DST_MEANING[origin]
        found.append(
            _declare("digital_source_type", "XMP Iptc4xmpExt:DigitalSourceType", dst, named, strength, partial)
        )
    credit = iptc.credit_line or ""
    if match := _GOOGLE_CREDIT.search(credit):
        where = "XMP photoshop:Credit" if xmp.get("photoshop:Credit") else "IPTC Credit (2:110)"
        edited = match.group(1).lower() == "edited"
        found.append(_declare("google_ai_credit", where, credit, "Google AI", "decisive", edited))
    for where, text in (
        ("XMP dc:description", _first(xmp, "dc:description")),
        ("PNG text Description", png_text.get("Description")),
        ("EXIF ImageDescription", _text(exif.get(ExifTags.Base.ImageDescription))),
        ("IPTC Caption (2:120)", (iim.get(120) or [None])[0]),
    ):
        if text and (match := _MIDJOURNEY_JOB.search(text)):
            found.append(_declare("midjourney_job", where, match.group(0), "Midjourney", "decisive"))
            break
    description = _text(exif.get(ExifTags.Base.ImageDescription)) or ""
    artist = _text(exif.get(ExifTags.Base.Artist)) or ""
    if _XAI_SIGNATURE.match(description) and _UUID.fullmatch(artist):
        found.append(
            _declare("xai_signature", "EXIF ImageDescription + Artist", description[:80], "Grok (xAI)", "decisive")
        )
    for where, value in (("EXIF Make", make), ("EXIF Model", _text(exif.get(ExifTags.Base.Model)))):
        if value and _AI_MAKERS.search(value):
            found.append(_declare("ai_maker", where, value, _ai_product(value) or value, "decisive"))
            break
    found += _tc260(xmp, png_text, exif, sub)
    for system in xmp.get("Iptc4xmpExt:AISystemUsed", [])[:1]:
        found.append(_declare("iptc_ai_system", "XMP Iptc4xmpExt:AISystemUsed", system, system, "strong"))
    for where, value in software_tags:
        if product := _ai_product(value):
            found.append(_declare("ai_software", where, value, product, "strong"))
    return found


def _declare(label: Label, where: str, value: str, generator, strength, partial: bool = False) -> AiDeclaration:
    return AiDeclaration(
        label=label, where=where, value=value[:200], generator=generator, strength=strength, partial=partial
    )


def _tc260(xmp: XmpProperties, png_text: dict[str, str], exif, sub) -> list[AiDeclaration]:
    """China's mandatory implicit label: a JSON object {Label, ContentProducer, ProduceID…}."""
    candidates = [(f"XMP {key}", values[0]) for key, values in xmp.items() if key.endswith(("TC260:AIGC", "}AIGC"))]
    candidates += [("PNG text AIGC", png_text["AIGC"])] if "AIGC" in png_text else []
    for where, value in (
        ("EXIF ImageDescription", exif.get(ExifTags.Base.ImageDescription)),
        ("EXIF UserComment", decode_user_comment(sub.get(ExifTags.Base.UserComment))),
    ):
        if isinstance(value, str) and "AIGC" in value:
            candidates.append((where, value))
    for where, value in candidates:
        label = _aigc_object(value)
        if label is None:
            continue
        strength, meaning = _TC260_LEVELS.get(str(label.get("Label", "")).strip(), ("strong", "labelled AIGC"))
        producer = label.get("ContentProducer") or label.get("ServiceProvider")
        return [_declare("tc260_aigc", where, meaning, _text(producer, 200), strength)]
    return []


def _aigc_object(value: str) -> dict | None:
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get("AIGC"), dict):
        data = data["AIGC"]
    if isinstance(data, dict) and ({"Label", "ContentProducer", "ProduceID", "ServiceProvider"} & data.keys()):
        return data
    return None
