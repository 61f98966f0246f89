"""Sightengine-compatible ``/1.0/check.json`` (``models=genai``, ``deepfake``) and ``/1.0/feedback.json``.

A thin translation of the report: ``type.ai_generated`` is the fused verdict's probability,
``type.deepfake`` the faces analyzer's highest per-face probability (0: no face judged).
Credentials are the ``api_user`` / ``api_secret`` pair that ``pixelproof keys create`` prints
(our key id and secret), sent as query or form fields like Sightengine's own.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ...analyzers.deepfake import DeepfakeAnalyzer
from ...errors import MediaError, PixelproofError, UrlFetchFailed, UrlRefused
from ...report import Report
from ...storage import CreditsExhausted, KeyInfo
from ..analysis import analyze_image, record_feedback
from ..analyze import split_names
from ..errors import InvalidRequest, RateLimited
from .common import NoScore, documented, face_score, read_form, require_score

PATHS = ("/1.0/",)
router = APIRouter(prefix="/1.0", tags=["Sightengine-compatible"])

SERVED = ("genai", "deepfake")
FEEDBACK_LABELS = {"genai": {"ai": "ai", "not-ai": "human"}}  # Sightengine's classes → our labels


class UnknownModel(PixelproofError):
    code = "unknown_model"
    http_status = 400


class ModelUnavailable(PixelproofError):
    """A Sightengine model this server cannot answer for: its analyzer declined (e.g. no trained
    face model)."""

    code = "model_unavailable"
    http_status = 501


class RequestInfo(BaseModel):
    id: str
    timestamp: float
    operations: int


class MediaInfo(BaseModel):
    id: str  # med_<sha256 of the bytes>
    uri: str | None  # the URL, or the uploaded file's name


class TypeScores(BaseModel):
    ai_generated: float | None = Field(None, description="With models=genai: the fused verdict's P(AI).")
    deepfake: float | None = Field(
        None, description="With models=deepfake: the highest P(synthetic) of the faces; 0 when none was judged."
    )


class CheckResponse(BaseModel):
    status: Literal["success"] = "success"
    request: RequestInfo
    type: TypeScores
    media: MediaInfo


class FeedbackResponse(BaseModel):
    status: Literal["success"] = "success"
    request: RequestInfo
    media: MediaInfo


class ErrorInfo(BaseModel):
    type: str
    code: int  # the HTTP status
    message: str


class Failure(BaseModel):
    status: Literal["failure"] = "failure"
    request: RequestInfo
    error: ErrorInfo


_ERROR_TYPES = {
    "unauthorized": "credentials_error",
    CreditsExhausted.code: "usage_limit",
    RateLimited.code: "usage_limit",
    InvalidRequest.code: "argument_error",
    UnknownModel.code: "argument_error",
    UrlRefused.code: "media_error",
    UrlFetchFailed.code: "media_error",
    "not_found": "request_error",
    "method_not_allowed": "request_error",
    "unsupported_content_type": "request_error",
}
_MEDIA_CODES = {cls.code for cls in MediaError.__subclasses__()}


def error_shape(status: int, code: str, message: str) -> tuple[int, dict]:
    kind = _ERROR_TYPES.get(code) or ("media_error" if code in _MEDIA_CODES else None)
    kind = kind or ("api_error" if status >= 500 else "request_error")
    failure = Failure(request=_request_info(0), error=ErrorInfo(type=kind, code=status, message=message))
    return status, failure.model_dump()


def _request_info(operations: int, request_id: str | None = None, at: datetime | None = None) -> RequestInfo:
    return RequestInfo(
        id=f"req_{request_id or uuid.uuid4()}", timestamp=(at or datetime.now(UTC)).timestamp(), operations=operations
    )


def _authenticate(request: Request, fields: dict[str, str]) -> KeyInfo | None:
    if request.app.state.open_access:
        return None
    user, secret = fields.get("api_user"), fields.get("api_secret")
    if not user or not secret:
        raise HTTPException(401, "api_user and api_secret are required (as printed by `pixelproof keys create`)")
    key = request.app.state.store.verify_pair(user, secret)
    if key is None:
        raise HTTPException(401, "incorrect api_user or api_secret, or the key was revoked")
    return key


def _models(value: str | None) -> list[str]:
    """The requested models, refused before any work when one cannot be answered."""
    models = list(dict.fromkeys(split_names([value or ""])))
    if not models:
        raise InvalidRequest("missing argument: models (this server answers models=genai,deepfake)")
    for model in models:
        if model not in SERVED:
            raise UnknownModel(f"unknown model {model!r}: this server answers models=genai,deepfake")
    return models


def _deepfake(report: Report) -> float:
    """The faces' score, 0 for "nothing found", or the error that says why the model could not run."""
    section = report.analyzers[DeepfakeAnalyzer.name]
    if section.status == "rejected":
        raise ModelUnavailable(f"model 'deepfake' is not available on this server: {section.reason}")
    if section.status == "errored":
        raise NoScore(f"no deepfake score: the faces analyzer failed ({section.reason})")
    return face_score(report.evidence(DeepfakeAnalyzer))


def _scores(report: Report, models: list[str]) -> TypeScores:
    """One score per model, or the error of the first that has none (refunded, nothing stored)."""
    if "genai" in models:
        require_score(report)
    return TypeScores(
        ai_generated=report.verdict.ai_generated if "genai" in models else None,
        deepfake=_deepfake(report) if "deepfake" in models else None,
    )


def _one_source(image: bytes | None, url: str | None) -> None:
    if (image is None) == (not url):
        raise InvalidRequest("send exactly one of a 'media' file upload or a 'url'")


async def _check(
    request: Request, key: KeyInfo | None, fields: dict[str, str], image: bytes | None, filename: str | None
) -> JSONResponse:
    models = _models(fields.get("models"))
    url = fields.get("url") or None
    _one_source(image, url)
    analyzed = await analyze_image(
        request,
        key,
        image=image,
        url=url,
        require=lambda report: _scores(report, models),
        only=None if "genai" in models else [DeepfakeAnalyzer.name],  # genai: the verdict of every analyzer
    )
    report = analyzed.report
    body = CheckResponse(
        request=_request_info(len(models), report.id, report.created_at),
        type=_scores(report, models),
        media=MediaInfo(id=f"med_{report.media.sha256}", uri=url or filename),
    )
    return JSONResponse(body.model_dump(exclude_none=True))


_ERRORS = documented(
    Failure,
    *(400, 401, 402, 413, 415, 422, 429, 500, 501, 503),
    s422="Corrupt or too small image",
    s501="deepfake: this server has no trained face model",
    s503="No score for this image (e.g. the pixel model or the face detector is missing), the server is busy"
    " or the time budget ran out",
)
_CREDENTIALS = "Your pixelproof key id (`api_user`) and secret (`api_secret`), as `pixelproof keys create` prints them."


def _query_key(
    request: Request,
    api_user: Annotated[str | None, Query(description=_CREDENTIALS)] = None,
    api_secret: Annotated[str | None, Query(description=_CREDENTIALS)] = None,
) -> KeyInfo | None:
    """The GET routes' credentials. A dependency runs before the route's own parameters are
    checked, so a request without a key gets 401, not a complaint about a missing ``url``."""
    return _authenticate(request, {"api_user": api_user or "", "api_secret": api_secret or ""})


QueryKey = Annotated[KeyInfo | None, Depends(_query_key)]


async def _posted(request: Request) -> tuple[KeyInfo | None, dict[str, str], bytes | None, str | None]:
    """A POST's key, its fields (query and form together), and its file with the file's name;
    the credentials may be among the form fields, so the form is read first."""
    form = await read_form(request, "media")
    fields = {**request.query_params, **form.fields}
    return _authenticate(request, fields), fields, form.file, form.filename


def _upload_doc(fields: dict[str, str]) -> dict:
    properties = {"media": {"type": "string", "format": "binary", "description": "The image."}}
    properties |= {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema = {"type": "object", "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_CHECK_FIELDS = {
    "models": "Comma-separated models: `genai`, `deepfake`.",
    "url": "Instead of `media`: the image's URL.",
    "api_user": _CREDENTIALS,
    "api_secret": _CREDENTIALS,
}


@router.get("/check.json", response_model=CheckResponse, responses=_ERRORS, summary="Sightengine check: an image URL")
async def check_url(
    request: Request,
    key: QueryKey,
    models: Annotated[str, Query(description=_CHECK_FIELDS["models"])],
    url: Annotated[str, Query(description="The image's URL.")],
) -> JSONResponse:
    """`type.ai_generated` is the fused verdict's P(AI), `type.deepfake` the highest P(synthetic)
    of the faces; one credit per image."""
    return await _check(request, key, {"models": models, "url": url}, None, None)


@router.post(
    "/check.json",
    response_model=CheckResponse,
    responses=_ERRORS,
    summary="Sightengine check: an uploaded image",
    openapi_extra=_upload_doc(_CHECK_FIELDS),
)
async def check_upload(request: Request) -> JSONResponse:
    """Multipart `media` (or a `url` field); fields may also come in the query string."""
    return await _check(request, *await _posted(request))


_FEEDBACK_FIELDS = {
    "model": "The model the label is about: `genai`.",
    "class": "`ai` or `not-ai`.",
    "url": "Instead of `media`: the image's URL.",
    "api_user": _CREDENTIALS,
    "api_secret": _CREDENTIALS,
}


async def _feedback(
    request: Request, key: KeyInfo | None, fields: dict[str, str], image: bytes | None, filename: str | None
):
    model, vendor_class, url = fields.get("model"), fields.get("class"), fields.get("url") or None
    classes = FEEDBACK_LABELS.get(model or "")
    if classes is None:
        raise InvalidRequest(f"feedback is stored for model=genai only, not {model!r}")
    if vendor_class not in classes:
        raise InvalidRequest(f"class must be one of {', '.join(classes)} for model {model}, not {vendor_class!r}")
    _one_source(image, url)
    sha256 = await record_feedback(
        request, key, label=classes[vendor_class], model=model, vendor_class=vendor_class, image=image, url=url
    )
    body = FeedbackResponse(request=_request_info(0), media=MediaInfo(id=f"med_{sha256}", uri=url or filename))
    return JSONResponse(body.model_dump())


_FEEDBACK_ERRORS = documented(Failure, 400, 401, 413, 415, 422, 429, 500, 503)


@router.get(
    "/feedback.json",
    response_model=FeedbackResponse,
    responses=_FEEDBACK_ERRORS,
    summary="Sightengine feedback: label an image URL",
)
async def feedback_url(
    request: Request,
    key: QueryKey,
    model: Annotated[str, Query(description=_FEEDBACK_FIELDS["model"])],
    vendor_class: Annotated[str, Query(alias="class", description=_FEEDBACK_FIELDS["class"])],
    url: Annotated[str, Query(description="The image's URL.")],
) -> JSONResponse:
    """Stores your label against the image's SHA-256 (never the image); free of charge.
    `pixelproof feedback export` turns the labels into a manifest `pixelproof eval` reads."""
    return await _feedback(request, key, {"model": model, "class": vendor_class, "url": url}, None, None)


@router.post(
    "/feedback.json",
    response_model=FeedbackResponse,
    responses=_FEEDBACK_ERRORS,
    summary="Sightengine feedback: label an uploaded image",
    openapi_extra=_upload_doc(_FEEDBACK_FIELDS),
)
async def feedback_upload(request: Request) -> JSONResponse:
    """Multipart `media` (or a `url` field) with `model` and `class`; free of charge."""
    return await _feedback(request, *await _posted(request))
