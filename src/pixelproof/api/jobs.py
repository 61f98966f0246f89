"""``/v1/jobs``: batches analyzed in the background, for clients that do not want to wait.

A job is a list of URLs (JSON) or an uploaded ZIP/TAR of images (multipart, field
``archive``), with the same analyzer options as ``/v1/analyze``. Every image's credit is
reserved at submission (402 and no job when the key cannot pay for all of them); an image
that fails or is cancelled gives its credit back. Jobs belong to the key that made them:
another key gets 404. The worker is job_worker.py (SQLite) or job_queue.py's (PostgreSQL);
the webhook, webhooks.py.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..analyzers import select
from ..ingest import check_url
from ..ingest.archive import ArchiveLimits, unpack
from ..storage import KeyInfo
from ..storage.jobs import NewItem
from .analysis import reserved
from .analyze import AnalyzerChoice, body_error
from .auth import ApiKey
from .errors import InvalidRequest, UnsupportedContentType, documented
from .job_status import JobStatus, csv_lines, jsonl_lines

router = APIRouter(tags=["jobs"])

_FORMAT = "`jsonl`: a JSON object per image with its whole report; `csv`: a row per image with its verdict."
_CALLBACK = "Where to POST the signed `job.finished` webhook (see the README's Jobs section)."


class JobOptions(AnalyzerChoice):
    callback_url: str | None = Field(None, description=_CALLBACK)


class UrlJob(JobOptions):
    urls: list[str] = Field(min_length=1, description="http(s) URLs of the images.")
    external_ids: list[str | None] | None = Field(None, description="Your own id per URL, in the same order.")

    @model_validator(mode="after")
    def _ids_match_urls(self):
        if self.external_ids is not None and len(self.external_ids) != len(self.urls):
            raise ValueError(f"{len(self.external_ids)} external_ids for {len(self.urls)} urls: give one per URL")
        if any(len(i or "") > 255 for i in self.external_ids or ()):
            raise ValueError("an external_id is longer than 255 characters")
        return self


def _body_doc() -> dict:
    upload = {
        "type": "object",
        "required": ["archive"],
        "properties": {
            "archive": {"type": "string", "format": "binary"},
            **JobOptions.model_json_schema()["properties"],
        },
    }
    return {
        "requestBody": {
            "required": True,
            "description": "A JSON list of `urls`, or a ZIP/TAR `archive` of images (multipart).",
            "content": {
                "application/json": {"schema": UrlJob.model_json_schema()},
                "multipart/form-data": {"schema": upload},
            },
        }
    }


async def _read_job(request: Request) -> tuple[list[NewItem], JobOptions]:
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = UrlJob.model_validate_json(await request.body())
        except ValidationError as exc:
            raise body_error(exc) from None
        ids = body.external_ids or [None] * len(body.urls)
        items = [NewItem(url=url, external_id=i) for url, i in zip(body.urls, ids, strict=True)]
        return items, JobOptions.model_validate(body.model_dump(include=set(JobOptions.model_fields)))
    if content_type != "multipart/form-data":
        raise UnsupportedContentType("send JSON with 'urls', or multipart/form-data with an 'archive' file")
    async with request.form(max_files=1, max_fields=32) as form:
        archive = form.get("archive")
        if not isinstance(archive, UploadFile):
            raise InvalidRequest("'archive' must be a ZIP or TAR file upload (multipart/form-data)")
        data = await archive.read()
        fields = {name: form.getlist(name) for name in ("only", "excluding")}
        fields |= {name: form.get(name) or None for name in ("heatmap", "callback_url")}
    try:
        options = JobOptions.model_validate(fields)
    except ValidationError as exc:
        raise body_error(exc) from None
    limits = ArchiveLimits(settings.max_job_images, settings.max_upload_bytes, settings.max_archive_bytes)
    members = await run_in_threadpool(unpack, data, limits)
    return [NewItem(filename=m.name, data=m.data) for m in members], options


@router.post(
    "/jobs",
    response_model=JobStatus,
    status_code=202,
    summary="Submit a job",
    responses=documented(400, 401, 402, 413, 415, 422),
    openapi_extra=_body_doc(),
)
async def submit_job(request: Request, key: ApiKey) -> JobStatus:
    """Queue a batch of images (URLs, or a ZIP/TAR archive) to analyze in the background.

    Reserves one credit per image now (402 `credits_exhausted` and no job when short)."""
    settings = request.app.state.settings
    store = request.app.state.store
    items, options = await _read_job(request)
    if not items:
        raise InvalidRequest("the job has no images")
    if len(items) > settings.max_job_images:
        raise InvalidRequest(f"{len(items)} images; one job may have at most {settings.max_job_images}")
    select(options.only or None, options.excluding or None)  # unknown analyzer names: refused now
    if options.callback_url:
        await _check_callback(options.callback_url, key, request)
    stored = options.model_dump_json(include={"only", "excluding", "heatmap"})
    async with reserved(store, key, len(items)):
        job = await run_in_threadpool(
            store.create_job, key.id if key else None, stored, items, options.callback_url
        )
    await request.app.state.job_worker.submitted(job)
    return JobStatus.of(job)


async def _check_callback(url: str, key: KeyInfo | None, request: Request) -> None:
    if key is None:
        raise InvalidRequest("a callback_url needs an API key: its webhook secret signs the webhook")
    await check_url(url, request.app.state.settings)


@router.get(
    "/jobs/{job_id}", response_model=JobStatus, summary="Get a job's state", responses=documented(401, 404, 422)
)
def get_job(job_id: str, request: Request, key: ApiKey) -> JobStatus:
    return JobStatus.of(request.app.state.store.get_job(job_id, key.id if key else None))


@router.get(
    "/jobs/{job_id}/results",
    summary="Stream a job's results",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, **documented(401, 404, 422)},
)
def job_results(
    job_id: str,
    request: Request,
    key: ApiKey,
    format: Annotated[Literal["jsonl", "csv"], Query(description=_FORMAT)] = "jsonl",
) -> StreamingResponse:
    """One line per image in submission order, whatever its state (finished or not yet)."""
    store = request.app.state.store
    owner = key.id if key else None
    store.get_job(job_id, owner)  # 404 now, before the response starts
    items = store.job_results(job_id, owner)
    if format == "csv":
        return StreamingResponse(csv_lines(items), media_type="text/csv")
    return StreamingResponse(jsonl_lines(items), media_type="application/x-ndjson")


@router.delete(
    "/jobs/{job_id}", response_model=JobStatus, summary="Cancel a job", responses=documented(401, 404, 422)
)
async def cancel_job(job_id: str, request: Request, key: ApiKey) -> JobStatus:
    """Images not started are cancelled and their credits given back; one already running
    finishes. A finished job is left as it is. A cancelled job's webhook is sent too."""
    store = request.app.state.store
    job, cancelled_now = await run_in_threadpool(store.cancel_job, job_id, key.id if key else None)
    if cancelled_now:
        await request.app.state.job_worker.job_finished(job)
    return JobStatus.of(job)
