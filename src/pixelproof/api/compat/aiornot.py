"""AIorNOT-compatible ``POST /v2/image/sync``, ``GET /v1/system/live`` and ``GET /v2/billing/balance``,
the calls the official ``aiornot`` client makes.

``ai_generated`` is the fused verdict; ``deepfake``, ``nsfw``, ``quality`` and ``reverse_search``
are the sections of the analyzers of the same names. Only the analyzers of the reports asked
for run, and ``processing_status`` says how each one ended: ``processed``, ``rejected`` (it
declined: no trained face model, or no index) or ``errored``, with no section unless
processed: a fabricated section would be worse than none.
"""

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...analyzers import available
from ...analyzers.deepfake import BBox, DeepfakeAnalyzer, DeepfakeEvidence
from ...analyzers.nsfw import NsfwAnalyzer
from ...analyzers.quality import Issue, QualityAnalyzer
from ...analyzers.reverse_search import ReverseSearchAnalyzer, ReverseSearchEvidence
from ...errors import UnsupportedType
from ...fusion import Verdict
from ...media import sniff
from ...report import Report
from ..analysis import analyze_image
from ..analyze import split_names
from ..auth import ApiKey
from ..errors import InvalidRequest
from .common import documented, face_score, read_form

PATHS = ("/v2/image/", "/v1/system/", "/v2/billing/")
router = APIRouter(tags=["AIorNOT-compatible"])

REPORTS = ("ai_generated", "deepfake", "nsfw", "quality", "reverse_search")
SECTIONS = REPORTS[1:]  # each the section of the analyzer of that name
DEFAULT_REPORTS = ("ai_generated", "deepfake", "nsfw", "quality")
FORMATS = ("jpeg", "png", "webp", "heif", "tiff")  # AIorNOT's jpg, jpeg, png, webp, heic, heif, tiff

# AIorNOT generator field → our family (analyzers/families.py), and the product names that single
# the field out when the evidence names a product. "other" is too broad to mean Firefly unnamed.
GENERATOR_FIELDS: dict[str, tuple[str, str | None]] = {
    "midjourney": ("midjourney", None),
    "dall_e": ("openai", r"dall[\s\-_·.]*e"),
    "four_o": ("openai", r"gpt[\s\-_]*(?:4o|image)|chatgpt|\b4o\b"),
    "stable_diffusion": ("stable_diffusion", None),
    "this_person_does_not_exist": ("gan", None),
    "adobe_firefly": ("other", r"firefly"),
    "flux": ("flux", None),
    "nano_banana": ("google", None),
}

Status = Literal["processed", "rejected", "errored"]


class Detection(BaseModel):
    is_detected: bool
    confidence: float


class AiGenerated(BaseModel):
    verdict: Literal["ai", "human", "unknown"]
    ai: Detection
    human: Detection
    generator: dict[str, float] = Field(description="AIorNOT generator fields; see docs/compatibility.md.")


class Roi(BaseModel):
    is_detected: bool
    confidence: float
    bbox: BBox


class Deepfake(BaseModel):
    is_detected: bool
    confidence: float
    rois: list[Roi] = Field(
        description="The judged faces, largest first; faces too small to judge are left out, and none is"
        " not detected with confidence 0."
    )


class Nsfw(BaseModel):
    is_detected: bool
    score: float
    version: str


class Quality(BaseModel):
    is_detected: bool = Field(description="A quality problem was found: not good enough to judge (score < 0.5).")
    score: float
    issues: list[Issue]


class ReverseSearchMatch(BaseModel):
    domain: str = Field(description="Always empty: the index holds local files, not web pages.")
    image_url: str = Field(description="file:// URL of the indexed file; empty for an image indexed from an upload.")
    width: int
    height: int
    earliest_crawl_date: str = Field(description="When pixelproof first saw these exact bytes (YYYY-MM-DD).")
    sha256: str
    distance: float


class ReverseSearch(BaseModel):
    was_found: bool
    matches: list[ReverseSearchMatch]


class Meta(BaseModel):
    width: int
    height: int
    format: str
    size_bytes: int
    md5: str
    processing_status: dict[str, Status]


class ImageReport(BaseModel):
    meta: Meta
    ai_generated: AiGenerated | None = None
    deepfake: Deepfake | None = None
    nsfw: Nsfw | None = None
    quality: Quality | None = None
    reverse_search: ReverseSearch | None = None


class ImageResponse(BaseModel):
    id: str = Field(description="The pixelproof report id: `GET /v1/reports/{id}` has the full evidence.")
    report: ImageReport
    created_at: datetime
    external_id: str | None


class Live(BaseModel):
    is_live: bool


class Balance(BaseModel):
    credits_remaining: int | None = Field(description="Images this key may still have analyzed; null: no limit.")
    unlimited: bool


class AiornotError(BaseModel):
    message: str
    code: str


def error_shape(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, AiornotError(message=message, code=code).model_dump()


def generator_fields(family: str, detail: str | None) -> list[str]:
    fields = [(name, pattern) for name, (fam, pattern) in GENERATOR_FIELDS.items() if fam == family]
    named = [name for name, pattern in fields if pattern and re.search(pattern, detail or "", re.IGNORECASE)]
    return named or [name for name, pattern in fields if family != "other"]


def _generator(verdict: Verdict) -> dict[str, float]:
    """The pixel model's family probabilities when it gave them; otherwise the family named by
    the evidence that decided, at the verdict's probability."""
    generator = verdict.generator
    if generator.probabilities:
        return {
            name: round(p, 4)
            for family, p in generator.probabilities.items()
            for name in generator_fields(family, generator.detail if family == generator.family else None)
        }
    return {name: verdict.ai_generated for name in generator_fields(generator.family, generator.detail)}


def _ai_generated(report: Report) -> tuple[Status, AiGenerated | None]:
    verdict = report.verdict
    p = verdict.ai_generated
    if p is None:  # no decisive evidence and no pixel score: say so, never a number
        errored = any(s.status == "errored" for name, s in report.analyzers.items() if name not in SECTIONS)
        return ("errored" if errored else "rejected"), None
    section = AiGenerated(
        verdict="unknown" if verdict.label == "uncertain" else verdict.label,
        ai=Detection(is_detected=verdict.label == "ai", confidence=p),
        human=Detection(is_detected=verdict.label == "human", confidence=round(1 - p, 4)),
        generator=_generator(verdict),
    )
    return "processed", section


def _deepfake(found: DeepfakeEvidence) -> Deepfake:
    """Every judged face; none judged is "nothing found" (not detected, confidence 0, no ROI)."""
    judged = [roi for roi in found.rois if roi.confidence is not None]
    rois = [Roi(is_detected=r.is_detected, confidence=r.confidence, bbox=r.bbox) for r in judged]
    return Deepfake(is_detected=found.is_detected, confidence=face_score(found), rois=rois)


def _reverse_search(found: ReverseSearchEvidence) -> ReverseSearch:
    matches = [
        ReverseSearchMatch(
            domain="",
            image_url=Path(m.source).as_uri() if m.source else "",
            width=m.width,
            height=m.height,
            earliest_crawl_date=m.first_seen.date().isoformat(),
            sha256=m.sha256,
            distance=m.distance,
        )
        for m in found.matches
        if m.kind == "copy"  # AIorNOT's search finds copies; look-alikes stay in the native report
    ]
    return ReverseSearch(was_found=found.was_found, matches=matches)


BUILDERS: dict[str, tuple[type, Callable]] = {  # section → (its analyzer, the translation of its evidence)
    "deepfake": (DeepfakeAnalyzer, _deepfake),
    "nsfw": (NsfwAnalyzer, lambda e: Nsfw(is_detected=e.is_detected, score=e.score, version=e.version)),
    # is_detected flags what a section looks for (AI, a deepfake, nudity): here, a quality problem
    "quality": (QualityAnalyzer, lambda e: Quality(is_detected=not e.usable, score=e.score, issues=e.issues)),
    "reverse_search": (ReverseSearchAnalyzer, _reverse_search),
}


def _section(report: Report, name: str) -> tuple[Status, BaseModel | None]:
    analyzer, build = BUILDERS[name]
    evidence = report.evidence(analyzer)
    if evidence is None:  # the analyzer declined or failed: its status, its reason in the report
        return report.analyzers[analyzer.name].status, None
    return "processed", build(evidence)


def translate(report: Report, requested: list[str]) -> dict:
    status: dict[str, Status] = {}
    sections: dict[str, BaseModel | None] = {}
    for name in requested:
        status[name], sections[name] = _ai_generated(report) if name == "ai_generated" else _section(report, name)
    media = report.media
    meta = Meta(
        **media.model_dump(include={"width", "height", "format", "size_bytes", "md5"}), processing_status=status
    )
    body = ImageResponse(
        id=report.id,
        report=ImageReport(meta=meta, **sections),
        created_at=report.created_at,
        external_id=report.external_id,
    )
    absent = {name for name in REPORTS if sections.get(name) is None}
    return body.model_dump(mode="json", exclude={"report": absent})


def _analyzers(requested: list[str]) -> list[str]:
    """The analyzers behind the requested reports: a section's own analyzer when its report is
    asked for, and for ``ai_generated`` (the fused verdict) every analyzer that is no section's."""
    verdict = [name for name in available() if name not in SECTIONS] if "ai_generated" in requested else []
    return verdict + [name for name in SECTIONS if name in requested]


def _requested(only: list[str], excluding: list[str]) -> list[str]:
    only, excluding = split_names(only), split_names(excluding)
    unknown = sorted(set(only + excluding) - set(REPORTS))
    if unknown:
        raise InvalidRequest(f"unknown report type(s) {', '.join(unknown)}; known: {', '.join(REPORTS)}")
    return [name for name in (only or DEFAULT_REPORTS) if name not in excluding]


def _accept(data: bytes) -> None:
    fmt = sniff(data[:64])
    if fmt is not None and fmt not in FORMATS:
        raise UnsupportedType(f"{fmt} images are not accepted here (accepted: jpg, jpeg, png, webp, heic, heif, tiff)")


_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}}}
            }
        },
    }
}
_REPORT_NAMES = f"Report types ({', '.join(REPORTS)}), repeated or comma-separated."


@router.post(
    "/v2/image/sync",
    response_model=ImageResponse,
    summary="AIorNOT image report",
    responses=documented(AiornotError, 400, 401, 402, 413, 415, 422, 429, 500, 503),
    openapi_extra=_UPLOAD_DOC,
)
async def image_sync(
    request: Request,
    key: ApiKey,
    only: Annotated[list[str], Query(default_factory=list, description=f"Only these. {_REPORT_NAMES}")],
    excluding: Annotated[list[str], Query(default_factory=list, description=f"Not these. {_REPORT_NAMES}")],
    external_id: Annotated[str | None, Query(max_length=255)] = None,
) -> JSONResponse:
    """Multipart `image`. One credit per image, whatever reports are requested (none when the
    request leaves none: then only the image's facts are read)."""
    requested = _requested(only, excluding)
    form = await read_form(request, "image")
    if form.file is None:
        raise InvalidRequest("send the image as the multipart file field 'image'")
    running = _analyzers(requested)
    analyzed = await analyze_image(
        request,
        key,
        image=form.file,
        cost=1 if running else 0,
        accept=_accept,
        external_id=external_id,
        excluding=[name for name in available() if name not in running],
    )
    return JSONResponse(translate(analyzed.report, requested))


@router.get("/v1/system/live", response_model=Live, summary="AIorNOT liveness (no auth)")
def live() -> Live:
    return Live(is_live=True)


@router.get(
    "/v2/billing/balance",
    response_model=Balance,
    summary="AIorNOT balance: the key's credits",
    responses=documented(AiornotError, 401),
)
def balance(request: Request, key: ApiKey) -> Balance:
    """What the official client's `check_token` calls: 200 for a valid key, 401 otherwise."""
    current = request.app.state.store.get_key(key.id) if key else None
    credits = current.credits if current else None
    return Balance(credits_remaining=credits, unlimited=credits is None)
