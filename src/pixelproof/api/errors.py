"""One error shape for every failure: ``{"error": {"code": ..., "message": ...}}``.

Clients branch on ``code``, which is stable; ``message`` is for people. Our typed errors
carry their own code and status, so new ones need no change here.
"""

from http import HTTPStatus

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


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _code_for(status: int) -> str:
    """Codes for Starlette's own errors: malformed requests share ours, the rest follow
    their HTTP phrase (``404`` → ``not_found``)."""
    if status in (400, 422):
        return InvalidRequest.code
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


async def _pixelproof_error(request: Request, exc: PixelproofError) -> JSONResponse:
    return error_response(exc.http_status, exc.code, exc.message)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return error_response(exc.status_code, _code_for(exc.status_code), str(exc.detail), exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return error_response(422, InvalidRequest.code, problems)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The traceback goes to the server log (Starlette re-raises after this), never to the client."""
    return error_response(500, "internal_error", "unexpected server error; the details are in the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PixelproofError, _pixelproof_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


def documented(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries for these error statuses, all in the error shape."""
    return {s: {"model": ErrorResponse, "description": HTTPStatus(s).phrase} for s in statuses}
