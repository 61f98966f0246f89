"""Serving over time: first start, open access, restarts on SQLite and PostgreSQL."""

import asyncio
import io

import httpx
from PIL import Image

from pixelproof.api import create_app
from pixelproof.settings import Settings

from tests.support.cli import TOKEN, pixelproof_cli


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (48, 48), (200, 120, 10)).save(buf, "PNG")
    return buf.getvalue()


def _analyze(client: httpx.Client, **data) -> httpx.Response:
    return client.post(
        "/v1/analyze", files={"image": ("a.png", _png(), "image/png")}, data={"only": "metadata", **data}
    )


def test_open_access_needs_no_key_and_warns(start_server, tmp_path):
    store_args = ("--data-dir", str(tmp_path))
    server = start_server(store_args, "--open")
    assert "anyone who can reach" in server.output()
    with server.client() as client:
        report = _analyze(client).json()
        assert client.get(f"/v1/reports/{report['id']}").json() == report
    assert "pp_" not in server.output()  # no key was made for an open server


def test_first_start_prints_a_key_and_reports_survive_a_restart(start_server, db_url):
    store_args = ("--db", db_url)
    first = start_server(store_args)
    assert "won't be shown again" in first.output()
    token = TOKEN.search(first.output()).group(0)
    with first.client(token) as client:
        report = _analyze(client, external_id="kept").json()
    first.stop()

    second = start_server(store_args)
    assert "pp_" not in second.output()  # the key exists now: nothing new is printed
    with second.client(token) as client:
        assert client.get(f"/v1/reports/{report['id']}").json() == report
        kept = client.get("/v1/reports", params={"external_id": "kept"}).json()["reports"]
        assert [r["id"] for r in kept] == [report["id"]]
    listed = pixelproof_cli("keys", "list", *store_args).stdout
    assert token.split("_")[1] in listed and token.split("_", 2)[2] not in listed


def test_unexpected_errors_keep_the_error_shape(tmp_path):
    """A bug in a route must still answer in the documented shape, never with a traceback."""
    app = create_app(Settings(data_dir=tmp_path), open_access=True)

    @app.get("/v1/broken")
    def broken():
        raise RuntimeError("a bug")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/v1/broken")

    try:
        response = asyncio.run(call())
    finally:
        app.state.store.close()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "a bug" not in response.text


def test_serve_refuses_a_limit_over_the_hard_maximum(tmp_path):
    result = pixelproof_cli("serve", "--data-dir", str(tmp_path), "--max-upload-mb", "500")
    assert result.exit_code == 2
    assert "max_upload_bytes" in result.stderr


def test_unreachable_database_is_a_clear_error():
    result = pixelproof_cli("keys", "list", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr
