"""``POST /v1/analyze``: an image (upload or URL) in, a stored report out.

The body may be a multipart upload, a URL form or JSON, so it is parsed here rather than
declared as FastAPI parameters; the OpenAPI body is documented by hand to match.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import UploadFile

from ..analyzers import select
from ..report import Report
from .analysis import analyze_image
from .auth import ApiKey
from .errors import InvalidRequest, UnsupportedContentType, documented

router = APIRouter(tags=["analyze"])

_ONLY = "Run only these analyzers (comma-separated or repeated)."
_EXCLUDING = "Skip these analyzers (comma-separated or repeated)."
_HEATMAP = "Add the pixel model's region scores over a grid (slower: up to 16 more model runs); default: the server's setting."
_EXTERNAL_ID = "Your own id for this image; list its reports later with `GET /v1/reports?external_id=`."


class AnalyzerChoice(BaseModel):
    """Which analyzers run, for one image (``/v1/analyze``) or every image of a job."""

    model_config = ConfigDict(extra="forbid")

    only: list[str] = Field(default_factory=list, description=_ONLY)
    excluding: list[str] = Field(default_factory=list, description=_EXCLUDING)
    heatmap: bool | None = Field(None, description=_HEATMAP)

    @field_validator("only", "excluding", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return value  # let the declared type reject it
        return split_names(value)


class AnalyzeOptions(AnalyzerChoice):
    """Everything that may accompany an image, whether sent as JSON, form fields or query."""

    url: str | None = Field(None, description="http(s) URL of the image to fetch and analyze.")
    external_id: str | None = Field(None, max_length=255, description=_EXTERNAL_ID)


def split_names(values: list[str]) -> list[str]:
    """``["a,b", " c "]`` → ``["a", "b", "c"]``: names may come comma-separated, repeated or both."""
    return [name.strip() for item in values for name in item.split(",") if name.strip()]


def _body_doc() -> dict:
    options = AnalyzeOptions.model_json_schema()
    upload = {
        "type": "object",
        "properties": {"image": {"type": "string", "format": "binary"}, **options["properties"]},
    }
    return {
        "requestBody": {
            "required": True,
            "description": "Either an `image` file (multipart) or a `url` (form or JSON).",
            "content": {
                "multipart/form-data": {"schema": upload},
                "application/x-www-form-urlencoded": {"schema": options},
                "application/json": {"schema": options},
            },
        }
    }


def body_error(exc: ValidationError) -> RequestValidationError:
    """A body that failed validation, answered as FastAPI answers a bad parameter (422)."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])


def _upload_name(image: UploadFile) -> str | None:
    """The name the client gave its file, without any folders (some clients send a path)."""
    name = (image.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or None


async def _read_body(request: Request) -> tuple[bytes | None, str | None, AnalyzeOptions]:
    """The uploaded bytes and file name (None when a URL is given) and the options sent with them."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            return None, None, AnalyzeOptions.model_validate_json(await request.body())
        except ValidationError as exc:
            raise body_error(exc) from None
    if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedContentType(
            "send multipart/form-data with an 'image' file, or a 'url' as a form field or JSON"
        )
    async with request.form(max_files=1, max_fields=32) as form:
        image = form.get("image")
        if image is not None and not isinstance(image, UploadFile):
            raise InvalidRequest("'image' must be a file upload (multipart/form-data)")
        data = await image.read() if image is not None else None
        filename = _upload_name(image) if image is not None else None
        fields = {
            "url": form.get("url") or None,
            "external_id": form.get("external_id") or None,
            "only": form.getlist("only"),
            "excluding": form.getlist("excluding"),
            "heatmap": form.get("heatmap") or None,
        }
    try:
        return data, filename, AnalyzeOptions.model_validate(fields)
    except ValidationError as exc:
        raise body_error(exc) from None


@router.post(
    "/analyze",
    response_model=Report,
    summary="Analyze an image",
    responses=documented(400, 401, 402, 413, 415, 422, 429, 500, 503),
    openapi_extra=_body_doc(),
)
async def analyze(
    request: Request,
    key: ApiKey,
    only: Annotated[list[str], Query(default_factory=list, description=_ONLY)],
    excluding: Annotated[list[str], Query(default_factory=list, description=_EXCLUDING)],
    external_id: Annotated[str | None, Query(max_length=255, description=_EXTERNAL_ID)] = None,
    heatmap: Annotated[bool | None, Query(description=_HEATMAP)] = None,
) -> Report:
    """Analyze an uploaded image or one fetched from a URL; the report is stored and returned.

    Costs one credit of a key with a balance (402 `credits_exhausted`, nothing analyzed, when none is left)."""
    image, filename, body = await _read_body(request)
    query = AnalyzeOptions(external_id=external_id, only=only, excluding=excluding, heatmap=heatmap)
    if (image is None) == (body.url is None):
        raise InvalidRequest("send exactly one of an 'image' file upload or a 'url'")
    only, excluding = query.only + body.only, query.excluding + body.excluding
    select(only, excluding)  # refuse unknown analyzer names before fetching anything
    analyzed = await analyze_image(
        request,
        key,
        image=image,
        filename=filename,
        url=body.url,
        external_id=body.external_id or query.external_id,
        only=only or None,
        excluding=excluding or None,
        heatmap=body.heatmap if body.heatmap is not None else query.heatmap,
    )
    return analyzed.report
