"""The HTTP API: in this process through Starlette's TestClient, and over real HTTP on a real
`pixelproof serve` for what only a server does (its HTTP parser, concurrent connections, keys
changed by another process); see tests/support/fixtures.py."""

import contextlib
import hashlib
import http.client
import io
import json
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from pixelproof import errors as core_errors
from pixelproof.analyzers.registry import UnknownAnalyzer
from pixelproof.api import errors as api_errors
from pixelproof.api.reports import MAX_OFFSET
from pixelproof.errors import PixelproofError
from pixelproof.settings import HARD_MAX_PIXELS, Settings
from pixelproof.storage import CreditsExhausted, Store

from tests.support.cli import create_token, pixelproof_cli
from tests.support.compat import image_host as serve_files
from tests.support.hostile import png_bomb
from tests.support.shared import REPO_ROOT

LIMIT = 1024 * 1024  # the server fixture runs with --max-upload-mb 1, in_process_api with as much
README = REPO_ROOT / "README.md"


def _image(fmt: str, size=(96, 64)) -> bytes:
    buf = io.BytesIO()
    pixels = os.urandom(size[0] * size[1] * 3)  # noise, so JPEG cannot compress it to nothing
    Image.frombytes("RGB", size, pixels).save(buf, fmt)
    return buf.getvalue()


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


@pytest.fixture
def client(in_process_api):
    return in_process_api.test_client


def upload(client: httpx.Client, image: bytes, **kwargs) -> httpx.Response:
    return client.post("/v1/analyze", files={"image": ("upload.bin", image, "application/octet-stream")}, **kwargs)


# analyze and reports


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_analyze_upload_returns_a_full_report(client, fmt):
    data = _image(fmt)
    response = upload(client, data)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["media"]["format"] == fmt.lower()
    assert (report["media"]["width"], report["media"]["height"]) == (96, 64)
    assert report["media"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert report["verdict"]["label"] in ("ai", "human", "uncertain")
    assert report["analyzers"]["metadata"]["status"] == "processed"
    assert report["timings"]["total_ms"] > 0
    assert report["external_id"] is None


def test_report_is_retrievable_by_id_and_external_id(client):
    external_id = f"case-{os.urandom(4).hex()}"
    first = upload(client, _image("PNG"), data={"external_id": external_id, "only": "metadata"}).json()
    second = upload(client, _image("JPEG"), params={"external_id": external_id, "only": "metadata"}).json()
    assert first["external_id"] == second["external_id"] == external_id

    assert client.get(f"/v1/reports/{first['id']}").json() == first
    listed = client.get("/v1/reports", params={"external_id": external_id}).json()
    assert [r["id"] for r in listed["reports"]] == [second["id"], first["id"]]
    page = client.get("/v1/reports", params={"external_id": external_id, "limit": 1, "offset": 1}).json()
    assert [r["id"] for r in page["reports"]] == [first["id"]]
    assert (page["limit"], page["offset"]) == (1, 1)
    # Past SQL's BIGINT an offset overflowed the database driver: a 500 before (tests/api/test_schema.py).
    assert client.get("/v1/reports", params={"offset": MAX_OFFSET}).json()["reports"] == []
    _error(client.get("/v1/reports", params={"offset": MAX_OFFSET + 1}), 422, "invalid_request")


def test_the_uploaded_file_name_is_kept_without_its_folders(client):
    files = {"image": ("C:\\photos\\cat.png", _image("PNG"), "image/png")}
    report = client.post("/v1/analyze", files=files, data={"only": "metadata"}).json()
    assert report["filename"] == "cat.png"
    assert client.get(f"/v1/reports/{report['id']}").json()["filename"] == "cat.png"


def test_concurrent_uploads_are_all_analyzed_and_stored(server):
    external_id = f"burst-{os.urandom(4).hex()}"

    def one(_):
        with server.client() as c:
            return upload(c, _image("PNG"), data={"external_id": external_id, "only": "metadata"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(one, range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    with server.client() as c:
        stored = c.get("/v1/reports", params={"external_id": external_id}).json()["reports"]
    assert {r["id"] for r in stored} == {r.json()["id"] for r in responses}


def test_unknown_report_is_404_in_the_error_shape(client):
    assert "no report" in _error(client.get("/v1/reports/does-not-exist"), 404, "not_found")


def test_only_and_excluding_accept_commas_and_repeats(client):
    data = _image("PNG")
    only = upload(client, data, params={"only": " metadata, "}).json()
    assert list(only["analyzers"]) == ["metadata"]
    none_left = upload(client, data, params={"only": "metadata"}, data={"excluding": ["metadata"]}).json()
    assert none_left["analyzers"] == {}


def test_unknown_analyzer_is_400(client):
    _error(upload(client, _image("PNG"), params={"only": "metadata,nope"}), 400, "unknown_analyzer")
    _error(upload(client, _image("PNG"), data={"excluding": "nope"}), 400, "unknown_analyzer")


def test_usage_is_recorded_against_the_key(in_process_api, client):
    key_id = in_process_api.token.split("_")[1]
    with Store.open(f"sqlite:///{in_process_api.data_dir}/pixelproof.db") as store:
        before = store.usage(key_id).get(datetime.now(UTC).date(), 0)
        assert upload(client, _image("PNG"), params={"only": "metadata"}).status_code == 200
        assert store.usage(key_id)[datetime.now(UTC).date()] == before + 1


# bad input: a clear 4xx, and the server keeps serving


def _truncated_jpeg() -> bytes:
    data = _image("JPEG", size=(256, 256))
    return data[: len(data) // 2]


BAD_UPLOADS = {
    "zero-byte": (b"", 400, "empty_media"),
    "pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", 415, "unsupported_media_type"),
    "text": (b"just some words, not an image at all\n" * 4, 415, "unsupported_media_type"),
    "truncated-jpeg": (_truncated_jpeg(), 422, "corrupt_media"),
    "corrupt-png": (b"\x89PNG\r\n\x1a\n" + b"definitely not chunks" * 20, 422, "corrupt_media"),
    "decompression-bomb": (png_bomb(), 413, "decompression_bomb"),
    "over-limit-within-slack": (b"\xff\xd8\xff" + b"\0" * LIMIT, 413, "too_large"),
}


@pytest.mark.parametrize("name", BAD_UPLOADS)
def test_bad_upload_gets_its_typed_error(client, name):
    data, status, code = BAD_UPLOADS[name]
    _error(upload(client, data), status, code)
    assert client.get("/healthz").status_code == 200


def test_a_bomb_past_pillows_own_limit_is_refused_with_our_limit(client):
    message = _error(upload(client, png_bomb()), 413, "decompression_bomb")  # 400 MP: Pillow refuses on opening
    ours = Settings.model_fields["max_pixels"].default  # the server runs with the default
    assert f"limit of {ours}" in message and str(HARD_MAX_PIXELS) not in message


def test_a_tiny_image_gets_its_provenance_and_no_pixel_judgement(client):
    """4×4 px with an A1111 record: the generator text decides; pixel analyzers decline."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a duck\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Model: sd_xl_base_1.0")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, "PNG", pnginfo=info)
    response = upload(client, buffer.getvalue())
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["verdict"]["label"], report["verdict"]["decided_by"]) == ("ai", "generator_text")
    for name in ("pixels", "deepfake", "nsfw", "quality", "watermark"):
        section = report["analyzers"][name]
        assert section["status"] == "rejected" and section["reason"].startswith("too small to judge"), (name, section)
    assert report["analyzers"]["metadata"]["status"] == "processed"


def test_request_shape_errors(client):
    _error(
        client.post("/v1/analyze", content=b"raw bytes", headers={"content-type": "image/png"}),
        415,
        "unsupported_content_type",
    )
    _error(client.post("/v1/analyze", data={"external_id": "x"}), 400, "invalid_request")
    _error(client.post("/v1/analyze", json={"external_id": "x"}), 400, "invalid_request")
    _error(upload(client, _image("PNG"), data={"url": "http://example.com/a.png"}), 400, "invalid_request")
    _error(client.post("/v1/analyze", data={"image": "not a file"}), 400, "invalid_request")
    _error(
        client.post("/v1/analyze", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )
    _error(client.post("/v1/analyze", json={"url": "http://x", "surprise": 1}), 422, "invalid_request")
    _error(upload(client, _image("PNG"), params={"external_id": "x" * 256}), 422, "invalid_request")
    _error(client.get("/v1/reports", params={"limit": 0}), 422, "invalid_request")
    _error(client.get("/v1/nothing-here"), 404, "not_found")
    _error(client.put("/v1/analyze"), 405, "method_not_allowed")


def test_readme_lists_every_error_code():
    """Every typed error of errors.py and api/errors.py, and the codes the native API adds."""
    typed = [c for m in (core_errors, api_errors) for c in vars(m).values() if isinstance(c, type)]
    codes = {c.code for c in typed if issubclass(c, PixelproofError) and c.code != PixelproofError.code}
    codes |= {UnknownAnalyzer.code, CreditsExhausted.code}
    codes |= {"unauthorized", "not_found", "method_not_allowed", "internal_error"}  # routing's, and our 500
    table = README.read_text().split("### Errors", 1)[1].split("\n## ", 1)[0]
    assert sorted(code for code in codes if f"`{code}`" not in table) == []


# body size: refused before the body is read


class _Replay(io.BytesIO):
    """Bytes read off a socket, for http.client to parse one response after another."""

    def makefile(self, mode: str) -> "_Replay":
        return self

    def close(self) -> None:
        """http.client closes its file after each body; the next response is still to be read."""


def _raw_post(base_url: str, head: list[str], body_chunks=(), path: str = "/v1/analyze") -> http.client.HTTPResponse:
    """POST over a bare socket, so the test controls exactly what is sent and when; returns the
    last response the server sent before it closed the connection."""
    url = urlsplit(base_url)
    request = "\r\n".join([f"POST {path} HTTP/1.1", f"Host: {url.netloc}", *head, "", ""]).encode()
    received = b""
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall(request)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    replay, responses = _Replay(received), []
    while replay.tell() < len(received):
        response = http.client.HTTPResponse(replay)
        response.begin()
        response.body = json.loads(response.read())
        responses.append(response)
    assert responses, "the server closed the connection without an answer"
    return responses[-1]


def test_declared_oversize_body_is_refused_without_reading_it(server):
    headers = [
        f"Authorization: Bearer {server.token}",
        "Content-Type: multipart/form-data; boundary=x",
        f"Content-Length: {50 * LIMIT}",
    ]
    response = _raw_post(server.base_url, headers)  # sends no body at all: only the header counts
    assert response.status == 413 and response.body["error"]["code"] == "too_large"
    assert response.getheader("connection") == "close"


def test_chunked_oversize_body_is_cut_off(server):
    headers = [
        f"Authorization: Bearer {server.token}",
        "Content-Type: multipart/form-data; boundary=x",
        "Transfer-Encoding: chunked",
    ]
    part_head = b'--x\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n\r\n'
    pieces = [part_head] + [b"\0" * 65536] * (2 * LIMIT // 65536)
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces]
    response = _raw_post(server.base_url, headers, chunks)
    assert response.status == 413 and response.body["error"]["code"] == "too_large"
    assert response.getheader("connection") == "close"
    with server.client() as client:
        assert client.get("/healthz").status_code == 200


def test_a_lying_content_length_gets_the_error_shape(server):
    """uvicorn's parser refuses these before the app runs; the answer is still ours."""
    auth = f"Authorization: Bearer {server.token}"
    longer = _raw_post(server.base_url, [auth, "Content-Length: 3"], [b"abcdefghij"])  # the rest reads as a request
    not_a_number = _raw_post(server.base_url, [auth, "Content-Length: three"])
    for response in (longer, not_a_number):
        assert response.status == 400 and response.getheader("content-type") == "application/json"
        assert response.body["error"]["code"] == "invalid_request"
        assert "Content-Length" in response.body["error"]["message"]
        assert response.getheader("connection") == "close"
    winston = _raw_post(server.base_url, [auth, "Content-Length: three"], path="/v2/image-detection")
    assert winston.status == 400 and winston.body["error"] == "invalid_request"  # Winston's shape on its path
    assert "Content-Length" in winston.body["description"]


# auth


def test_missing_and_wrong_tokens_are_401(server):
    for token in (None, "pp_000000000000_" + "A" * 43, "not-even-a-token"):
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"} if token else {}) as c:
            for response in (upload(c, _image("PNG")), c.get("/v1/reports")):
                _error(response, 401, "unauthorized")
                assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_key_is_refused_from_then_on(server):
    token = create_token(*server.store_args)
    with server.client(token) as c:
        assert c.get("/v1/reports").status_code == 200
        key_id = token.split("_")[1]
        assert pixelproof_cli("keys", "revoke", key_id, *server.store_args).exit_code == 0
        _error(c.get("/v1/reports"), 401, "unauthorized")
    assert pixelproof_cli("keys", "revoke", key_id, *server.store_args).exit_code == 1
    [row] = [line for line in pixelproof_cli("keys", "list", *server.store_args).stdout.splitlines() if key_id in line]
    assert "revoked" in row


PUBLIC_OPERATIONS = {("get", "/healthz"), ("get", "/v1/system/live")}  # AIorNOT's client asks without a key
PUBLIC_PAGES = ("/", "/docs", "/redoc", "/openapi.json")
EMPTY_FORM = {"Content-Type": "application/x-www-form-urlencoded"}  # where Sightengine's keys would be


def test_only_the_documented_endpoints_answer_without_a_key(server):
    """Every operation, called with nothing (no key, no arguments, an empty form), is 401 before
    any complaint about what else is missing, except those the API description names as public."""
    with httpx.Client(base_url=server.base_url) as c:
        pages = {path: c.get(path) for path in PUBLIC_PAGES}
        spec = pages["/openapi.json"].json()
        answers = {
            (method, path): c.request(method, path.replace("{report_id}", "x"), headers=EMPTY_FORM)
            for path, methods in spec["paths"].items()
            for method in methods
        }
    assert all(page.status_code == 200 for page in pages.values()), pages
    assert {operation for operation, answer in answers.items() if answer.status_code != 401} == PUBLIC_OPERATIONS
    described = spec["info"]["description"]
    assert all(f"`{path}`" in described for path in ("/healthz", "/v1/system/live", "/docs", "/redoc", "/openapi.json"))
    analyze = spec["paths"]["/v1/analyze"]["post"]
    assert set(analyze["requestBody"]["content"]) >= {"multipart/form-data", "application/json"}
    error_ref = analyze["responses"]["413"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("/ErrorResponse")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_this_server(server, page):
    """The product runs offline: Swagger UI and ReDoc come from a package, not a CDN."""
    html = httpx.get(server.base_url + page).text
    linked = re.findall(r'(?:src|href|spec-url)="([^"]*)"', html) + re.findall(r"url: '([^']*)'", html)
    assert linked and all(link.startswith("/") and not link.startswith("//") for link in linked), linked
    assert not re.search(r"https?://", html)
    for link in linked:
        response = httpx.get(server.base_url + link)
        assert response.status_code == 200, link
        if link.endswith((".js", ".css")):
            kind = "text/javascript" if link.endswith(".js") else "text/css"
            assert response.headers["content-type"].startswith(kind) and len(response.content) > 10_000


# URLs


@pytest.fixture(scope="module")
def image_host():
    """A plain HTTP server on loopback (which the API server was told to allow)."""
    files = {"/photo.png": _image("PNG"), "/notes.txt": b"hello"}
    with serve_files(files) as base:
        yield base, files


def test_analyze_url_as_json_and_as_form(client, image_host):
    base, files = image_host
    sha256 = hashlib.sha256(files["/photo.png"]).hexdigest()
    as_json = client.post(
        "/v1/analyze", json={"url": f"{base}/photo.png", "external_id": "from-url", "only": ["metadata"]}
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["media"]["sha256"] == sha256
    assert as_json.json()["external_id"] == "from-url"
    assert as_json.json()["filename"] is None  # a URL names no file of the client's
    as_form = client.post("/v1/analyze", data={"url": f"{base}/photo.png", "only": "metadata"})
    assert as_form.status_code == 200, as_form.text
    assert list(as_form.json()["analyzers"]) == ["metadata"]


def test_bad_urls_get_typed_errors(client, image_host):
    base, _ = image_host
    _error(client.post("/v1/analyze", json={"url": "file:///etc/passwd"}), 400, "url_refused")
    _error(client.post("/v1/analyze", json={"url": "http://169.254.169.254/latest/meta-data/"}), 400, "url_refused")
    _error(client.post("/v1/analyze", json={"url": f"{base}/missing.png"}), 400, "url_fetch_failed")
    _error(client.post("/v1/analyze", json={"url": f"{base}/notes.txt"}), 415, "unsupported_media_type")
    assert client.get("/healthz").status_code == 200
