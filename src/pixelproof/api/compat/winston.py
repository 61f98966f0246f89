"""Winston AI-compatible ``POST /v2/image-detection``: a URL in, the verdict with its C2PA,
metadata and watermark evidence out.

Winston takes URLs only. A private deployment fetching from its own hosts lists them in the
``url_allow`` setting (``pixelproof serve --url-allow``); everything else private is refused.
"""

from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ... import source_types
from ...analyzers.c2pa import Action, C2paAnalyzer, C2paEvidence, Manifest
from ...analyzers.metadata import MetadataAnalyzer, MetadataEvidence
from ...analyzers.pixels import PixelAnalyzer
from ...analyzers.watermark import WatermarkAnalyzer
from ...errors import MediaError, TooSmall, UrlFetchFailed, UrlRefused
from ...report import Report
from ...pipeline import Engine
from ..analysis import analyze_image
from ..auth import ApiKey
from ..errors import InvalidRequest
from .common import documented, media_type, require_score

PATHS = ("/v2/image-detection",)
router = APIRouter(tags=["Winston AI-compatible"])

FORMATS = ("jpeg", "png", "webp")
MIN_SIDE = 256
CREDITS_PER_IMAGE = 300  # Winston's price of an image; our balance counts images

# Winston AI's ``exif`` object, key by key in its order, with the IptcFields field that fills it.
WINSTON_EXIF: tuple[tuple[str, str], ...] = (
    ("DateCreated", "date_created"),
    ("Description", "description"),
    ("Headline", "headline"),
    ("MaxAvailWidth", "max_avail_width"),
    ("MaxAvailHeight", "max_avail_height"),
    ("ImageRating", "image_rating"),
    ("DescriptionWriter", "description_writer"),
    ("Genre", "genre"),
    ("RightsUsageTerms", "rights_usage_terms"),
    ("SceneCode", "scene_code"),
    ("AdditionalModelInformation", "additional_model_information"),
    ("Creator", "creator"),
    ("CreditLine", "credit_line"),
    ("CopyrightNotice", "copyright_notice"),
    ("ImageSupplier", "image_supplier"),
    ("Locationcreated", "location_created"),
    ("MinorModelAgeDisclosure", "minor_model_age_disclosure"),
    ("WebStatementofRights", "web_statement_of_rights"),
    ("ModelAge", "model_age"),
    ("ImageSupplierImageID", "image_supplier_image_id"),
    ("LinkedEncodedRightsExpression", "linked_encoded_rights_expression"),
    ("DataMining", "data_mining"),
    ("Artwork", "artwork"),
    ("ImageRegistryEntry", "image_registry_entry"),
    ("City", "city"),
    ("CodeofOrganisationFeaturedintheImage", "code_of_organisation_featured_in_the_image"),
    ("EventIdentifier", "event_identifier"),
    ("EventName", "event_name"),
    ("Contributor", "contributor"),
    ("CopyrightOwner", "copyright_owner"),
    ("Country", "country"),
    ("DigitalSourceType", "digital_source_type"),
    ("PropertyReleaseId", "property_release_id"),
    ("PropertyReleaseStatus", "property_release_status"),
    ("NameofOrganisationFeaturedintheImage", "name_of_organisation_featured_in_the_image"),
    ("Source", "source"),
    ("DigitalImageGUID", "digital_image_guid"),
    ("Licensor", "licensor"),
    ("keywords", "keywords"),
    ("ImageCreator", "image_creator"),
    ("Instructions", "instructions"),
    ("Title", "title"),
)


class DetectionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(description="http(s) URL of a JPG, PNG or WEBP image, at least 256×256 pixels.")
    version: Literal["1", "2", "latest"] = Field(
        "2", description="Accepted for compatibility; every version is answered by this server's detector."
    )

    @field_validator("version", mode="before")
    @classmethod
    def _as_text(cls, value):
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class WinstonManifest(BaseModel):
    """The seed document's manifest fields that a read manifest has; the others (vendor,
    credentials, thumbnail, ingredient_paths, ta_url, private_key, sign_cert) are omitted."""

    claim_generator: str | None = None
    title: str | None = None
    ingredients: list[dict[str, str]] | None = None
    assertions: dict[str, Any] | None = None
    alg: str | None = None


class WinstonC2pa(BaseModel):
    active_manifest: WinstonManifest | None
    manifests: dict[str, WinstonManifest]


class DetectionResponse(BaseModel):
    score: int = Field(description="0 (AI) to 100 (human): 100 × (1 − P(AI)), rounded.")
    human_probability: float
    ai_probability: float
    version: str = Field(
        description="The model behind the score: the pixel model's head version, or the deciding analyzer's."
    )
    mime_type: str
    c2pa: WinstonC2pa | None = Field(description="null: no readable C2PA manifest store.")
    exif: dict[str, str | list[str]] | None = Field(
        description="Winston's IPTC/XMP/EXIF field set, keys present only where the metadata has them;"
        " null when the metadata analyzer did not process the image."
    )
    ai_watermark_detected: bool | None = Field(description="null: the watermark analyzer did not process the image.")
    ai_watermark_issuers: dict[str, bool] | None = Field(
        description="Each detected issuer's name, true; {} for none; null as ai_watermark_detected."
    )
    credits_used: int
    credits_remaining: int | None = Field(description="null: the key has no credit limit.")


class WinstonError(BaseModel):
    error: str  # our stable error code
    description: str


_BAD_REQUEST = {InvalidRequest.code, UrlRefused.code, UrlFetchFailed.code} | {
    c.code for c in MediaError.__subclasses__()
}


def error_shape(status: int, code: str, message: str) -> tuple[int, dict]:
    """Winston answers ``{"error", "description"}``, with 400 for any request or image it cannot use."""
    if code in _BAD_REQUEST and code != "too_large":
        status = 400
    return status, WinstonError(error=code, description=message).model_dump()


def _accept(engine: Engine):
    """Winston's own rules on top of ours: JPG/PNG/WEBP only, at least 256×256. Checked by the
    engine's decoder with those formats before any analyzer runs (one extra decode, cheap next
    to the analyzers), so the refusal is a typed error."""

    def accept(data: bytes) -> None:
        meta = engine.inspect(data, formats=FORMATS)
        if min(meta.width, meta.height) < MIN_SIDE:
            raise TooSmall(f"{meta.width}×{meta.height} is smaller than Winston's minimum of {MIN_SIDE}×{MIN_SIDE} px")

    return accept


def _action(action: Action) -> dict[str, str]:
    """In C2PA's own JSON names, the IPTC term with its namespace back."""
    entry = {
        "action": action.action,
        "softwareAgent": action.software_agent,
        "digitalSourceType": source_types.NAMESPACE + action.digital_source_type if action.digital_source_type else None,
    }
    return {name: value for name, value in entry.items() if value}


def _manifest(manifest: Manifest) -> WinstonManifest:
    assertions: dict[str, Any] = {}
    if manifest.actions:
        assertions["c2pa.actions"] = {"actions": [_action(a) for a in manifest.actions]}
    if manifest.training_mining:
        assertions["c2pa.training-mining"] = {"entries": {k: {"use": v} for k, v in manifest.training_mining.items()}}
    return WinstonManifest(
        claim_generator=manifest.claim_generator,
        title=manifest.title,
        ingredients=[i.model_dump(exclude_none=True) for i in manifest.ingredients] or None,
        assertions=assertions or None,
        alg=manifest.signer.algorithm if manifest.signer else None,
    )


def _c2pa(evidence: C2paEvidence | None) -> dict | None:
    if evidence is None or not evidence.manifests:
        return None
    manifests = {m.label: _manifest(m).model_dump(exclude_none=True) for m in evidence.manifests}
    return {"active_manifest": manifests.get(evidence.active_manifest), "manifests": manifests}


_DATE_READERS = (  # a date alone (XMP, IPTC-IIM's 20110113), an XMP date-time, EXIF's, PNG text's (RFC 1123)
    lambda v: date.fromisoformat(v).isoformat(),
    lambda v: datetime.fromisoformat(v).isoformat(),
    lambda v: datetime.strptime(v, "%Y:%m:%d %H:%M:%S").isoformat(),
    lambda v: parsedate_to_datetime(v).isoformat(),
)


def _iso_date(value: str) -> str | None:
    """The seed's ``DateCreated`` is ISO 8601, whichever metadata the date came from; None when
    no reader understands it."""
    for read in _DATE_READERS:
        try:
            return read(value.strip())
        except (TypeError, ValueError):
            continue
    return None


def _exif(evidence: MetadataEvidence | None) -> dict | None:
    if evidence is None:
        return None
    fields = evidence.iptc.model_dump()
    fields["date_created"] = fields["date_created"] and _iso_date(fields["date_created"])  # unreadable: left out
    return {winston: fields[ours] for winston, ours in WINSTON_EXIF if fields[ours]}


def _version(report: Report) -> str:
    """Winston names its model version: ours is the pixel model's head when it scored the image;
    else the analyzer whose evidence decided, with its version."""
    pixels = report.evidence(PixelAnalyzer)
    if pixels is not None:
        return pixels.models.head
    decided_by = report.verdict.decided_by  # set whenever there is a score
    return f"{decided_by}-{report.analyzers[decided_by].version}"


def translate(report: Report, credits_left: int | None) -> dict:
    p = report.verdict.ai_generated
    watermark = report.evidence(WatermarkAnalyzer)
    body = DetectionResponse(
        score=round(100 * (1 - p)),
        human_probability=round(1 - p, 4),
        ai_probability=p,
        version=_version(report),
        mime_type=report.media.mime_type,
        c2pa=None,
        exif=None,
        ai_watermark_detected=watermark.ai_watermark_detected if watermark else None,
        ai_watermark_issuers=dict.fromkeys(watermark.ai_watermark_issuers, True) if watermark else None,
        credits_used=CREDITS_PER_IMAGE,
        credits_remaining=credits_left * CREDITS_PER_IMAGE if credits_left is not None else None,
    ).model_dump()
    # built apart so that absent manifest and exif fields are omitted, not null
    body["c2pa"] = _c2pa(report.evidence(C2paAnalyzer))
    body["exif"] = _exif(report.evidence(MetadataAnalyzer))
    return body


def _json_only(request: Request) -> None:
    """Winston takes a JSON body with the image's URL, never an upload: say so in its shape,
    before the body's validation would answer in pydantic's words."""
    sent = media_type(request)
    if sent != "application/json":
        raise InvalidRequest(
            'send a JSON body {"url": "https://…", "version": "2"} with Content-Type: application/json:'
            f" this endpoint fetches the image from its URL and takes no upload (got {sent or 'no content type'})"
        )


@router.post(
    "/v2/image-detection",
    response_model=DetectionResponse,
    summary="Winston AI image detection",
    responses=documented(
        WinstonError,
        *(400, 401, 402, 413, 422, 429, 500, 503),
        s400="Bad request: a malformed body, a refused or failed URL, or an image Winston would not take",
        s422="Not sent: invalid requests are answered 400, as Winston does",
        s503="No score for this image (e.g. the pixel model is missing), the server is busy or the time budget ran out",
    ),
)
async def image_detection(
    request: Request, key: ApiKey, _: Annotated[None, Depends(_json_only)], body: Annotated[DetectionRequest, Body()]
) -> JSONResponse:
    """Fetches the URL, analyzes the image and answers in Winston's shape. Costs one credit
    (Winston counts it as 300); 402 and nothing analyzed when the key has none left."""
    analyzed = await analyze_image(
        request, key, url=body.url, accept=_accept(request.app.state.engine), require=require_score
    )
    return JSONResponse(translate(analyzed.report, analyzed.credits_left))
