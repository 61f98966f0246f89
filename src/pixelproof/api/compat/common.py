"""What the vendor-compatible APIs share: reading their form uploads, and refusing to answer
without a score."""

from dataclasses import dataclass, field
from http import HTTPStatus

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from ...analyzers.deepfake import DeepfakeEvidence
from ...analyzers.pixels import PixelAnalyzer
from ...errors import PixelproofError, TooSmall
from ...pipeline import TOO_SMALL
from ...report import Report
from ..errors import InvalidRequest, UnsupportedContentType


class NoScore(PixelproofError):
    """The report has no number where this API's answer is that number (the fused verdict
    without decisive evidence or a pixel model score, a failed faces analyzer): an error is
    honest, a made-up number is not."""

    code = "no_score"
    http_status = 503


def require_score(report: Report) -> None:
    if report.verdict.ai_generated is not None:
        return
    pixels = report.analyzers.get(PixelAnalyzer.name)
    if pixels and pixels.status == "rejected" and (pixels.reason or "").startswith(TOO_SMALL):
        raise TooSmall(f"the image is {pixels.reason}, and nothing in the file says how it was made")
    why = [f"{name}: {s.reason}" for name, s in report.analyzers.items() if s.status != "processed" and s.reason]
    raise NoScore(
        "no AI-generated probability for this image: no analyzer found decisive evidence and the pixel model"
        " gave no score" + (f" ({'; '.join(why)})" if why else "")
    )


def face_score(found: DeepfakeEvidence) -> float:
    """The highest P(synthetic) of the judged faces; 0 when no face was judged. Both vendors
    answer a picture without faces with "nothing found", not an error, and their answer has
    no field that could say more: how many faces were seen stays in the native report."""
    return found.confidence if found.confidence is not None else 0.0


@dataclass
class Form:
    file: bytes | None = None
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def media_type(request: Request) -> str:
    """The body's media type, without its parameters (``; charset=…``, ``; boundary=…``)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_form(request: Request, file_field: str) -> Form:
    """A multipart (or URL-encoded) body: the one file named ``file_field`` and the text fields."""
    content_type = media_type(request)
    if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedContentType(f"send multipart/form-data with the image as the '{file_field}' file")
    form = Form()
    async with request.form(max_files=1, max_fields=32) as parsed:
        for name, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                if name != file_field:
                    raise InvalidRequest(f"unexpected file field {name!r}: send the image as '{file_field}'")
                form.file, form.filename = await value.read(), value.filename
            elif name == file_field:
                raise InvalidRequest(f"'{file_field}' must be a file upload (multipart/form-data)")
            else:
                form.fields[name] = value
    return form


def documented(model: type[BaseModel], *statuses: int, **notes: str) -> dict[int, dict]:
    """OpenAPI ``responses`` for these statuses in a vendor's error shape; ``notes`` (``s422=…``)
    replace the status phrase where the API uses a status differently."""
    return {s: {"model": model, "description": notes.get(f"s{s}", HTTPStatus(s).phrase)} for s in statuses}
