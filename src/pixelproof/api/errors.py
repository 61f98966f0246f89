"""One error shape for every failure: ``{"error": {"code": ..., "message": ...}}``.

Clients branch on ``code``, which is stable; ``message`` is for people. Our typed errors
carry their own code and status, so new ones need no change here.

The vendor-compatible APIs answer in their vendor's error shape instead: each registers an
``ErrorShape`` for its path prefixes (``register_error_shape``), and every error under those
paths — from a handler, from routing (404, 405), from the body-size middleware or from the
HTTP parser (``protocol.py``) — is rendered by it from the same status, code and message.
"""

import math
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..errors import PixelproofError


class InvalidRequest(PixelproofError):
    code = "invalid_request"
    http_status = 400


class UnsupportedContentType(InvalidRequest):
    code = "unsupported_content_type"
    http_status = 415


class RetryLater(PixelproofError):
    """Refused for now, not for good: answered with ``Retry-After``, in whole seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class RateLimited(RetryLater):
    """The key is over one of its own limits (analyses per minute, or at once)."""

    code = "rate_limited"
    http_status = 429


class ServerBusy(RetryLater):
    """Every analysis slot (or URL fetch) stayed taken for ``admission_wait_s``."""

    code = "server_busy"
    http_status = 503


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ErrorShape = Callable[[int, str, str], tuple[int, dict[str, Any]]]
"""(status, code, message) → (the status to answer with, the body) in a vendor's shape."""


def register_error_shape(app: FastAPI, prefixes: tuple[str, ...], shape: ErrorShape) -> None:
    if not hasattr(app.state, "error_shapes"):
        app.state.error_shapes = []
    app.state.error_shapes.extend((prefix, shape) for prefix in prefixes)


def shape_for(app, path: str) -> ErrorShape | None:
    """The error shape registered for this request path, if any."""
    for prefix, shape in getattr(getattr(app, "state", None), "error_shapes", ()):
        if path.startswith(prefix):
            return shape
    return None


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, shape: ErrorShape | None = None
) -> JSONResponse:
    if shape is not None:
        status, body = shape(status, code, message)
    else:
        body = ErrorResponse(error=ErrorDetail(code=code, message=message)).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def _code_for(status: int) -> str:
    """Codes for Starlette's own errors: malformed requests share ours, the rest follow
    their HTTP phrase (``404`` → ``not_found``)."""
    if status in (400, 422):
        return InvalidRequest.code
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def _respond(request: Request, status: int, code: str, message: str, headers=None) -> JSONResponse:
    return error_response(status, code, message, headers, shape_for(request.app, request.url.path))


async def _pixelproof_error(request: Request, exc: PixelproofError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RetryLater) else None
    return _respond(request, exc.http_status, exc.code, exc.message, headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return _respond(request, exc.status_code, _code_for(exc.status_code), str(exc.detail), exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return _respond(request, 422, InvalidRequest.code, problems)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The traceback goes to the server log (Starlette re-raises after this), never to the client."""
    return _respond(request, 500, "internal_error", "unexpected server error; the details are in the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PixelproofError, _pixelproof_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


def documented(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries for these error statuses, all in the error shape."""
    return {s: {"model": ErrorResponse, "description": HTTPStatus(s).phrase} for s in statuses}
