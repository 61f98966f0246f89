"""Body-size limit, enforced while the body arrives rather than after it was buffered."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import TooLarge
from .errors import error_response, shape_for

MULTIPART_SLACK = 64 * 1024  # form boundaries and fields around the image itself
ARCHIVE_PATHS = ("/v1/jobs",)  # where a whole archive of images may be uploaded


class _BodyTooLarge(Exception):
    """Raised from ``receive``; not a PixelproofError, so it reaches the middleware that
    can still close the connection instead of being answered by the app's handlers."""


class BodySizeLimit:
    """Refuses a declared Content-Length over the limit at once, and a chunked body as
    soon as it passes it, so no client can make the server buffer more than the limit."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int, max_archive_bytes: int):
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_archive_bytes = max_archive_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_archive_bytes if scope["path"] in ARCHIVE_PATHS else self.max_upload_bytes
        max_bytes = limit + MULTIPART_SLACK
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await self._reject(scope, receive, send, limit)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        exc = TooLarge(f"the request is too large: uploads are limited to {limit} bytes")
        shape = shape_for(scope["app"], scope["path"]) if "app" in scope else None
        response = error_response(exc.http_status, exc.code, exc.message, {"Connection": "close"}, shape)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
