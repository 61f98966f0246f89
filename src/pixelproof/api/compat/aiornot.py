"""AIorNOT-compatible ``POST /v2/image/sync``, ``GET /v1/system/live`` and ``GET /v2/billing/balance``,
the calls the official ``aiornot`` client makes.

Only the ``ai_generated`` report has analyzers behind it. ``deepfake``, ``nsfw``, ``quality`` and
``reverse_search`` are answered with ``processing_status: rejected`` and no section until
analyzers for them exist: a fabricated verdict would be worse than none.
"""

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...analyzers import available
from ...errors import UnsupportedType
from ...fusion import Verdict
from ...media import sniff
from ...report import Report
from ..analysis import analyze_image
from ..analyze import split_names
from ..auth import ApiKey
from ..errors import InvalidRequest
from .common import documented, read_form

PATHS = ("/v2/image/", "/v1/system/", "/v2/billing/")
router = APIRouter(tags=["AIorNOT-compatible"])

REPORTS = ("ai_generated", "deepfake", "nsfw", "quality", "reverse_search")
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
        errored = any(section.status == "errored" for section in report.analyzers.values())
        return ("errored" if errored else "rejected"), None
    section = AiGenerated(
        verdict="unknown" if verdict.label == "uncertain" else verdict.label,
        ai=Detection(is_detected=verdict.label == "ai", confidence=p),
        human=Detection(is_detected=verdict.label == "human", confidence=round(1 - p, 4)),
        generator=_generator(verdict),
    )
    return "processed", section


def translate(report: Report, requested: list[str]) -> dict:
    status: dict[str, Status] = {name: "rejected" for name in requested}  # no analyzers behind them yet
    ai_generated = None
    if "ai_generated" in requested:
        status["ai_generated"], ai_generated = _ai_generated(report)
    media = report.media
    meta = Meta(
        **media.model_dump(include={"width", "height", "format", "size_bytes", "md5"}), processing_status=status
    )
    body = ImageResponse(
        id=report.id,
        report=ImageReport(meta=meta, ai_generated=ai_generated),
        created_at=report.created_at,
        external_id=report.external_id,
    )
    return body.model_dump(mode="json", exclude={"report": {"ai_generated"}} if ai_generated is None else None)


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
    responses=documented(AiornotError, 400, 401, 402, 413, 415, 422, 500),
    openapi_extra=_UPLOAD_DOC,
)
async def image_sync(
    request: Request,
    key: ApiKey,
    only: Annotated[list[str], Query(default_factory=list, description=f"Only these. {_REPORT_NAMES}")],
    excluding: Annotated[list[str], Query(default_factory=list, description=f"Not these. {_REPORT_NAMES}")],
    external_id: Annotated[str | None, Query(max_length=255)] = None,
) -> JSONResponse:
    """Multipart `image`. Costs one credit when `ai_generated` is requested (the only report with
    analyzers behind it), none otherwise."""
    requested = _requested(only, excluding)
    form = await read_form(request, "image")
    if form.file is None:
        raise InvalidRequest("send the image as the multipart file field 'image'")
    wants_verdict = "ai_generated" in requested
    analyzed = await run_in_threadpool(
        analyze_image,
        request.app.state,
        key,
        image=form.file,
        cost=1 if wants_verdict else 0,
        accept=_accept,
        external_id=external_id,
        excluding=None if wants_verdict else list(available()),  # the image's facts, no analyzer
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
