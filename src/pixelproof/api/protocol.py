"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse in our error shape.

A body longer than its ``Content-Length`` (the rest reads as a garbled next request), a
Content-Length that is no number, or two that disagree: uvicorn's parser refuses these before
any app runs, and its own answer is a plain-text 400. This writes the same 400 in the error
shape of the path asked for (ours, or a vendor's under its compat paths) instead.
"""

from http import HTTPStatus
from urllib.parse import urlsplit

from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .errors import InvalidRequest, error_response, shape_for

MALFORMED = (
    "malformed HTTP request (e.g. a body that does not match its Content-Length, or an invalid header);"
    " nothing was processed"
)


class ErrorShapedProtocol(HttpToolsProtocol):
    """The protocol class to give uvicorn (``http=``): a module-level class, so that uvicorn can
    hand it to the worker processes of ``serve --workers N`` as it hands them the app."""

    def send_400_response(self, msg: str) -> None:
        url = getattr(self, "url", b"")  # set once a request line has begun to arrive
        path = urlsplit(url.decode("latin-1")).path
        headers = {"Connection": "close"}
        response = error_response(400, InvalidRequest.code, MALFORMED, headers, shape_for(_our_app(self.app), path))
        status = HTTPStatus(response.status_code)
        head = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        fields = [*self.server_state.default_headers, *response.raw_headers]  # Date and Server first, as uvicorn's
        head += [name + b": " + value for name, value in fields]
        self.transport.write(b"\r\n".join([*head, b"", response.body]))
        self.transport.close()


def _our_app(app: ASGIApp) -> ASGIApp:
    """The application inside the middleware uvicorn wraps it in (proxy headers, logging): each
    of those holds the next as ``app``; ours is the one with a ``state``."""
    while not hasattr(app, "state") and hasattr(app, "app"):
        app = app.app
    return app
