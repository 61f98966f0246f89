"""The web page at ``/``: three static files, no build step and nothing fetched from elsewhere.

The page calls the same ``/v1`` API as any client, with the key the person pastes into it, so
it needs no auth of its own and can add no behaviour the API lacks.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

HERE = Path(__file__).parent
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}
# Only our own origin for scripts, styles and API calls; images may also come from the URL a
# person asks about (shown from their browser) or from the file they picked (a blob: URL).
POLICY = (
    "default-src 'self'; img-src 'self' blob: data: http: https:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    return FileResponse(HERE / "index.html", media_type="text/html", headers=HEADERS)


@router.get("/web/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, f"there is no web asset named {name!r}")
    return FileResponse(HERE / name, media_type=ASSETS[name], headers=HEADERS)
