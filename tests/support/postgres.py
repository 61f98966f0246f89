"""A throwaway PostgreSQL server in a temporary folder: for the tests' ``postgres`` fixture and
for the benchmarks (``python -m benchmarks.kill9``), so both start it the same way."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import psycopg


class PostgresUnavailable(Exception):
    """Why no throwaway server could be started here (the tests skip with it)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin_dir() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return installed[-1].parent if installed else None


def _as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root, so root runs it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no 'postgres' user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    port: int
    _names: count = field(default_factory=lambda: count(1))

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True)

    def url(self, schema: str = "public") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres?options=-csearch_path%3D{schema}"

    def fresh_url(self) -> str:
        """The URL of a new, empty schema: each test gets its own (cheaper than a database)."""
        schema = f"t{next(self._names)}"
        with self.connect() as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return self.url(schema)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """Start a fresh cluster on a free port, yield it, then stop it and delete its folder."""
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="pixelproof-pg-"))
    if as_user:
        shutil.chown(root, "postgres")
    data, log, port = root / "data", root / "server.log", free_port()
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*pg_ctl, "-l", str(log), "-w", "-t", "30", "-o", f"-k {root} -p {port} -h 127.0.0.1 -F", "start"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(
            f"could not start a throwaway PostgreSQL server: {exc} {detail.decode(errors='replace')}"
        ) from None
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
