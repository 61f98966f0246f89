"""AI labels that producers write into their own files' metadata: the IPTC DigitalSourceType,
Google's "Made with Google AI" credit, a Midjourney Job ID, xAI's EXIF signature, an AI
company as the camera maker, China's TC260 AIGC label, IPTC AISystemUsed and AI tools named
as the software. Each found label is one AiDeclaration; nothing writes one by accident."""

import json
import re
from typing import Literal

from PIL import ExifTags
from pydantic import BaseModel

from .. import _iptc
from ...evidence import GeneratorGuess, Signal, Strength
from ..carriers import XmpProperties, decode_user_comment
from ..families import family_for
from ._fields import IptcFields
from ._readers import first_value, text_value


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


def declarations(exif, sub, xmp, iim, png_text, iptc: IptcFields, dst: str | None) -> list[AiDeclaration]:
    found: list[AiDeclaration] = []
    make = text_value(exif.get(ExifTags.Base.Make))
    software_tags = [
        ("EXIF Software", text_value(exif.get(ExifTags.Base.Software))),
        ("XMP xmp:CreatorTool", first_value(xmp, "xmp:CreatorTool")),
        ("PNG text Software", text_value(png_text.get("Software"))),
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
        ("XMP dc:description", first_value(xmp, "dc:description")),
        ("PNG text Description", png_text.get("Description")),
        ("EXIF ImageDescription", text_value(exif.get(ExifTags.Base.ImageDescription))),
        ("IPTC Caption (2:120)", (iim.get(120) or [None])[0]),
    ):
        if text and (match := _MIDJOURNEY_JOB.search(text)):
            found.append(_declare("midjourney_job", where, match.group(0), "Midjourney", "decisive"))
            break
    description = text_value(exif.get(ExifTags.Base.ImageDescription)) or ""
    artist = text_value(exif.get(ExifTags.Base.Artist)) or ""
    if _XAI_SIGNATURE.match(description) and _UUID.fullmatch(artist):
        found.append(
            _declare("xai_signature", "EXIF ImageDescription + Artist", description[:80], "Grok (xAI)", "decisive")
        )
    for where, value in (("EXIF Make", make), ("EXIF Model", text_value(exif.get(ExifTags.Base.Model)))):
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
        return [_declare("tc260_aigc", where, meaning, text_value(producer, 200), strength)]
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
