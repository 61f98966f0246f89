"""Credits: one per analyzed image, across every API, taken atomically (SQLite and PostgreSQL),
refunded when the request fails; and the OpenAPI document of every route."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixelproof.api.compat import aiornot, sightengine, winston
from pixelproof.storage import CreditsExhausted, Store

from tests.support.cli import TOKEN, pixelproof_cli
from tests.support.compat import ai_declared, image, new_key, pair, start_compat_api


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as store:
        yield store


def _race(calls: int, charge) -> list[int | None | str]:
    """Run ``charge`` from many threads released at once; "refused" where it raised."""
    start = threading.Barrier(calls)

    def one(i):
        start.wait()
        try:
            return charge(i)
        except CreditsExhausted:
            return "refused"

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(one, range(calls)))


def test_concurrent_charges_never_overdraw(db_url):
    """Two Store objects (two servers) on one database, 16 requests for 5 credits."""
    with Store.open(db_url) as a, Store.open(db_url) as b:
        key, _ = a.create_key("race", credits=5)
        results = _race(16, lambda i: (a, b)[i % 2].charge(key.id))
        assert results.count("refused") == 11
        assert sorted(r for r in results if r != "refused") == [0, 1, 2, 3, 4]  # each balance left once
        assert a.get_key(key.id).credits == 0


def test_unlimited_keys_are_never_refused(store):
    key, _ = store.create_key("free")
    assert _race(8, lambda i: store.charge(key.id)) == [None] * 8
    assert store.get_key(key.id).credits is None


def test_refund_top_up_and_set(store):
    key, _ = store.create_key("k", credits=1)
    assert store.charge(key.id) == 0
    with pytest.raises(CreditsExhausted, match="has 0 credits left"):
        store.charge(key.id)
    store.refund(key.id)
    assert store.add_credits(key.id, 4).credits == 5
    assert store.charge(key.id, 5) == 0
    assert store.set_credits(key.id, None).credits is None
    assert store.add_credits(key.id, 3).credits is None  # an unlimited key stays unlimited
    store.refund(key.id)
    assert store.get_key(key.id).credits is None
    assert store.add_credits("000000000000", 1) is None and store.get_key("000000000000") is None
    with pytest.raises(ValueError):
        store.create_key("negative", credits=-1)


def test_revoked_keys_cannot_spend(store):
    key, _ = store.create_key("k", credits=3)
    store.revoke_key(key.id)
    with pytest.raises(CreditsExhausted):
        store.charge(key.id)
    assert store.get_key(key.id).credits == 3


@pytest.mark.slow
def test_keys_cli_creates_credits_and_tops_up(tmp_path):
    store_args = ("--data-dir", str(tmp_path))
    created = pixelproof_cli("keys", "create", "--credits", "3", *store_args)
    assert created.exit_code == 0 and "Credits: 3" in created.stdout
    key_id, _ = pair(TOKEN.search(created.stdout).group(0))

    def credit(*args):
        return pixelproof_cli("keys", "credit", key_id, *args, *store_args)

    assert "5 (one per analyzed image)" in credit("2").stdout
    assert "credits: 1 " in credit("1", "--set").stdout
    assert "unlimited" in credit("--unlimited").stdout
    refused = credit("4")
    assert refused.exit_code == 1 and "is unlimited" in refused.output
    assert credit("0", "--set").exit_code == 0
    assert "0" in pixelproof_cli("keys", "list", *store_args).stdout
    for bad in ((), ("2", "--unlimited"), ("0",)):
        assert credit(*bad).exit_code == 2
    assert pixelproof_cli("keys", "credit", "000000000000", "1", *store_args).exit_code == 1
    assert "unlimited" in pixelproof_cli("keys", "create", *store_args).stdout


def test_concurrent_requests_over_http_spend_exactly_the_balance(start_server, tmp_path_factory, db_url):
    """Six requests at once on a 2-credit key, across the native and the compat APIs: on a real
    server, as its point is concurrent connections through uvicorn's worker threads, and
    PostgreSQL reached from the server's own process."""
    store_args = (
        ("--db", db_url) if db_url.startswith("postgresql") else ("--data-dir", str(tmp_path_factory.mktemp("d")))
    )
    created = pixelproof_cli("keys", "create", "--credits", "2", *store_args)
    token = TOKEN.search(created.stdout).group(0)
    server = start_server(store_args, token=token, env={"PIXELPROOF_CACHE_DIR": str(tmp_path_factory.mktemp("m"))})

    def one(i):
        with server.client() as c:
            if i % 2:
                return c.post("/v2/image/sync", files={"image": ("x.png", ai_declared())})
            return c.post("/v1/analyze", params={"only": "metadata"}, files={"image": ("x.png", image())})

    responses = _race(6, one)
    assert sorted(r.status_code for r in responses) == [200, 200, 402, 402, 402, 402]
    refused = [r.json() for r in responses if r.status_code == 402]
    assert all(
        body.get("code") == "credits_exhausted" or body["error"]["code"] == "credits_exhausted" for body in refused
    )
    with server.client() as c:
        assert c.get("/v2/billing/balance").json()["credits_remaining"] == 0
        assert len(c.get("/v1/reports").json()["reports"]) == 2  # refused requests analyzed nothing


@pytest.fixture(scope="module")
def api(start_in_process_api, tmp_path_factory):
    return start_compat_api(start_in_process_api, tmp_path_factory)


def test_failed_requests_are_refunded(api):
    token = new_key(api, "--credits", "1")
    with api.client(token) as c:
        assert c.post("/v1/analyze", files={"image": ("x.png", b"not an image")}).status_code == 415
        assert c.post("/v1/analyze", json={"url": "http://127.0.0.1:9/nothing.png"}).status_code == 400
        assert (
            c.post("/v1/analyze", params={"only": "metadata"}, files={"image": ("x.png", image())}).status_code == 200
        )
        refused = c.post("/v1/analyze", params={"only": "metadata"}, files={"image": ("x.png", image())})
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "credits_exhausted"


VENDOR_ERRORS = {
    prefix: model.__name__
    for module, model in (
        (sightengine, sightengine.Failure),
        (winston, winston.WinstonError),
        (aiornot, aiornot.AiornotError),
    )
    for prefix in module.PATHS
}


def test_openapi_lists_every_route_with_its_error_responses(api):
    with api.client() as c:
        spec = c.get("/openapi.json").json()
    routes = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert {
        ("/1.0/check.json", "get"),
        ("/1.0/check.json", "post"),
        ("/1.0/feedback.json", "get"),
        ("/1.0/feedback.json", "post"),
        ("/v2/image-detection", "post"),
        ("/v2/image/sync", "post"),
        ("/v1/system/live", "get"),
        ("/v2/billing/balance", "get"),
        ("/v1/analyze", "post"),
    } <= routes
    api_paths = {path: ops for path, ops in spec["paths"].items() if path.startswith(("/v1/", "/v2/", "/1.0/"))}
    for path, ops in api_paths.items():
        for method, op in ops.items():
            errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
            assert errors or path == "/v1/system/live", f"{method.upper()} {path} documents no error response"
            vendor = next((name for prefix, name in VENDOR_ERRORS.items() if path.startswith(prefix)), None)
            for response in errors.values():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith(f"/{vendor or 'ErrorResponse'}"), (path, ref)
    assert "402" in spec["paths"]["/v1/analyze"]["post"]["responses"]
    assert "multipart/form-data" in spec["paths"]["/1.0/check.json"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in spec["paths"]["/v2/image/sync"]["post"]["requestBody"]["content"]
