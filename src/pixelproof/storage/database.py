"""The database every aggregate's records live in: engine, schema upgrade, sessions."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .migrate import upgrade

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run while the API writes; SQLite leaves foreign keys off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _DIALECT_INSERT:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql+psycopg://…")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=backend == "postgresql")
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """One database (SQLite or PostgreSQL) and its sessions: what every aggregate's records
    are read and written through."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._insert = _DIALECT_INSERT[engine.dialect.name]

    @classmethod
    def open(cls, url: str) -> Self:
        """Connect and bring the schema up to date."""
        engine = _create_engine(url)
        try:
            upgrade(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session
