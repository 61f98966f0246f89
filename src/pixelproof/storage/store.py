"""The one object adapters use to persist and look things up; no SQL leaks out of it."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Self

from sqlalchemy import Engine, create_engine, delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..report import Report
from . import keys
from .feedback import Feedback
from .indexed import IndexedHashes, IndexedImage, IndexState, IndexSummary
from .keys import CreditsExhausted, KeyInfo
from .migrate import upgrade
from .tables import (
    ApiKeyRow,
    FeedbackRow,
    ImageIndexStateRow,
    IndexedImageRow,
    MediaRow,
    ReportRow,
    UsageRow,
)

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _now() -> datetime:
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


def _key_info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at, credits=row.credits)


class Store:
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

    # reports

    def save_report(self, report: Report, api_key_id: str | None = None) -> None:
        media = report.media
        seen = _now()
        with self._session() as session:
            session.add(
                ReportRow(
                    id=report.id,
                    created_at=report.created_at,
                    external_id=report.external_id,
                    sha256=media.sha256,
                    label=report.verdict.label,
                    ai_generated=report.verdict.ai_generated,
                    api_key_id=api_key_id,
                    report=report.model_dump_json(),
                )
            )
            insert = self._insert(MediaRow).values(
                sha256=media.sha256,
                md5=media.md5,
                format=media.format,
                width=media.width,
                height=media.height,
                size_bytes=media.size_bytes,
                first_seen=seen,
                last_seen=seen,
                times_seen=1,
            )
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[MediaRow.sha256], set_={"last_seen": seen, "times_seen": MediaRow.times_seen + 1}
                )
            )

    def get_report(self, report_id: str) -> Report | None:
        with self._session() as session:
            stored = session.scalar(select(ReportRow.report).where(ReportRow.id == report_id))
        return Report.model_validate_json(stored) if stored is not None else None

    def find_reports(self, external_id: str | None = None, limit: int = 50, offset: int = 0) -> list[Report]:
        """Newest first."""
        query = select(ReportRow.report).order_by(ReportRow.created_at.desc(), ReportRow.id.desc())
        if external_id is not None:
            query = query.where(ReportRow.external_id == external_id)
        with self._session() as session:
            stored = session.scalars(query.limit(limit).offset(offset)).all()
        return [Report.model_validate_json(text) for text in stored]

    def media_seen(self, sha256: str) -> int:
        """How many reports were made about these exact bytes."""
        with self._session() as session:
            return session.scalar(select(MediaRow.times_seen).where(MediaRow.sha256 == sha256)) or 0

    # API keys

    def create_key(self, name: str, credits: int | None = None) -> tuple[KeyInfo, str]:
        """A new key and its token; the token is returned once and never stored.

        ``credits``: images it may have analyzed; None for no limit."""
        if credits is not None and credits < 0:
            raise ValueError("credits cannot be negative")
        secret = keys.new_secret()
        row = ApiKeyRow(
            id=keys.new_key_id(), name=name, secret_hash=keys.hash_secret(secret), created_at=_now(), credits=credits
        )
        with self._session() as session:
            session.add(row)
        return _key_info(row), keys.token(row.id, secret)

    def list_keys(self) -> list[KeyInfo]:
        with self._session() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)).all()
        return [_key_info(row) for row in rows]

    def get_key(self, key_id: str) -> KeyInfo | None:
        with self._session() as session:
            row = session.get(ApiKeyRow, key_id)
        return _key_info(row) if row is not None else None

    def has_keys(self) -> bool:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(ApiKeyRow)) > 0

    def revoke_key(self, key_id: str) -> bool:
        """True when an active key was revoked; False when there is none by that id."""
        with self._session() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
            return result.rowcount == 1

    def verify_token(self, token: str) -> KeyInfo | None:
        """The active key this bearer token belongs to, else None."""
        pair = keys.split_token(token)
        return self.verify_pair(*pair) if pair else None

    def verify_pair(self, key_id: str, secret: str) -> KeyInfo | None:
        """Same check as ``verify_token``, for clients that send id and secret separately."""
        with self._session() as session:
            row = session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None or not keys.secret_matches(secret, row.secret_hash):
            return None
        return _key_info(row)

    # credits: one per analyzed image, whichever API asked

    def charge(self, key_id: str, amount: int = 1) -> int | None:
        """Take ``amount`` credits from an active key in one conditional UPDATE, so concurrent
        requests (on any number of servers) can never spend more than the balance.

        Returns the balance left (None: unlimited); raises CreditsExhausted, taking nothing,
        when the balance is short."""
        with self._session() as session:
            taken = session.execute(
                update(ApiKeyRow)
                .where(
                    ApiKeyRow.id == key_id,
                    ApiKeyRow.revoked_at.is_(None),
                    or_(ApiKeyRow.credits.is_(None), ApiKeyRow.credits >= amount),
                )
                .values(credits=ApiKeyRow.credits - amount)  # NULL (unlimited) stays NULL
                .returning(ApiKeyRow.credits)
                .execution_options(synchronize_session=False)
            ).first()
            if taken is not None:
                return taken.credits
            balance = session.scalar(select(ApiKeyRow.credits).where(ApiKeyRow.id == key_id))
        raise CreditsExhausted(
            f"API key {key_id} has {balance or 0} credits left and this request needs {amount}"
            f" (one per image): top it up with `pixelproof keys credit {key_id} N`"
        )

    def refund(self, key_id: str, amount: int = 1) -> None:
        """Give back credits charged for a request that then failed."""
        self._update_credits(key_id, ApiKeyRow.credits + amount, ApiKeyRow.credits.is_not(None))

    def add_credits(self, key_id: str, amount: int) -> KeyInfo | None:
        """Top up a key (an unlimited key stays unlimited); None when there is no such key."""
        if amount < 1:
            raise ValueError("a top-up must add at least one credit")
        return self._update_credits(key_id, ApiKeyRow.credits + amount)

    def set_credits(self, key_id: str, credits: int | None) -> KeyInfo | None:
        """Set a key's balance (None: unlimited); None when there is no such key."""
        if credits is not None and credits < 0:
            raise ValueError("credits cannot be negative")
        return self._update_credits(key_id, credits)

    def _update_credits(self, key_id: str, value, *conditions) -> KeyInfo | None:
        with self._session() as session:
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, *conditions)
                .values(credits=value)
                .execution_options(synchronize_session=False)
            )
            row = session.get(ApiKeyRow, key_id)
            return _key_info(row) if row is not None else None

    # feedback

    def save_feedback(self, feedback: Feedback) -> None:
        with self._session() as session:
            session.add(
                FeedbackRow(
                    created_at=feedback.created_at,
                    sha256=feedback.sha256,
                    label=feedback.label,
                    model=feedback.model,
                    vendor_class=feedback.vendor_class,
                    source_url=feedback.source_url,
                    api_key_id=feedback.api_key_id,
                )
            )

    def latest_feedback(self) -> list[Feedback]:
        """The most recent label for each image (by sha256), oldest image first."""
        with self._session() as session:
            rows = session.scalars(select(FeedbackRow).order_by(FeedbackRow.created_at, FeedbackRow.id)).all()
        latest = {row.sha256: row for row in rows}  # later rows replace earlier ones
        return [
            Feedback(
                sha256=row.sha256,
                label=row.label,
                model=row.model,
                vendor_class=row.vendor_class,
                created_at=row.created_at,
                source_url=row.source_url,
                api_key_id=row.api_key_id,
            )
            for row in latest.values()
        ]

    # usage

    def record_usage(self, key_id: str, images: int = 1) -> None:
        insert = self._insert(UsageRow).values(api_key_id=key_id, day=_now().date(), images=images)
        with self._session() as session:
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[UsageRow.api_key_id, UsageRow.day], set_={"images": UsageRow.images + images}
                )
            )

    def usage(self, key_id: str) -> dict[date, int]:
        """Images analyzed per day with this key."""
        with self._session() as session:
            rows = session.execute(
                select(UsageRow.day, UsageRow.images).where(UsageRow.api_key_id == key_id).order_by(UsageRow.day)
            ).all()
        return {day: images for day, images in rows}

    # near-duplicate index

    def index_images(self, images: list[IndexedImage]) -> int:
        """Add images not indexed yet (by sha256); returns how many were new.

        An image analyzed before keeps the date it was first seen then."""
        if not images:
            return 0
        with self._session() as session:
            _bump_index_generation(session)
            earlier = dict(
                session.execute(
                    select(MediaRow.sha256, MediaRow.first_seen).where(MediaRow.sha256.in_({i.sha256 for i in images}))
                ).all()
            )
            now = _now()
            values = [
                {
                    "sha256": image.sha256,
                    "source": image.source,
                    "width": image.width,
                    "height": image.height,
                    "pdq": image.pdq,
                    "pdq_quality": image.pdq_quality,
                    "phash": image.phash,
                    "embedding": image.embedding,
                    "first_seen": earlier.get(image.sha256, now),
                }
                for image in images
            ]
            insert = self._insert(IndexedImageRow).on_conflict_do_nothing(index_elements=[IndexedImageRow.sha256])
            return len(session.execute(insert.returning(IndexedImageRow.id), values).all())

    def unindex(self, sha256s: list[str] = (), sources: list[str] = ()) -> int:
        """Remove images by content hash, or by source: a file's path, or a folder's (all below it)."""
        matches = [IndexedImageRow.sha256.in_(sha256s)] if sha256s else []
        for source in sources:
            below = source.rstrip("/") + "/"
            matches += [IndexedImageRow.source == source, IndexedImageRow.source.startswith(below, autoescape=True)]
        if not matches:
            return 0
        with self._session() as session:
            generation = _bump_index_generation(session)
            removed = session.execute(delete(IndexedImageRow).where(or_(*matches))).rowcount
            if removed:
                session.execute(
                    update(ImageIndexStateRow).where(ImageIndexStateRow.id == 1).values(last_removal=generation)
                )
            return removed

    def index_state(self) -> IndexState:
        with self._session() as session:
            row = session.get(ImageIndexStateRow, 1)
            return IndexState(token=row.token, generation=row.generation, last_removal=row.last_removal)

    def indexed_hashes(self, after_id: int = 0) -> IndexedHashes:
        """Hashes (and embeddings) of the images with ids above ``after_id``, in id order."""
        query = (
            select(
                IndexedImageRow.id,
                IndexedImageRow.pdq,
                IndexedImageRow.phash,
                IndexedImageRow.pdq_quality,
                IndexedImageRow.embedding,
            )
            .where(IndexedImageRow.id > after_id)
            .order_by(IndexedImageRow.id)
        )
        with self._session() as session:
            rows = session.execute(query).all()
        embedded = [row for row in rows if row.embedding is not None]
        return IndexedHashes(
            ids=[row.id for row in rows],
            pdq=b"".join(row.pdq for row in rows),
            phash=b"".join(row.phash for row in rows),
            pdq_quality=[row.pdq_quality for row in rows],
            embedded_ids=[row.id for row in embedded],
            embeddings=b"".join(row.embedding for row in embedded),
        )

    def indexed_id(self, sha256: str) -> int | None:
        """The id of the indexed image with exactly these bytes, if any."""
        with self._session() as session:
            return session.scalar(select(IndexedImageRow.id).where(IndexedImageRow.sha256 == sha256))

    def indexed_images(self, ids: list[int]) -> list[IndexedImage]:
        with self._session() as session:
            rows = session.scalars(select(IndexedImageRow).where(IndexedImageRow.id.in_(ids))).all()
        return [
            IndexedImage(
                id=row.id,
                sha256=row.sha256,
                source=row.source,
                width=row.width,
                height=row.height,
                pdq=row.pdq,
                pdq_quality=row.pdq_quality,
                phash=row.phash,
                embedding=row.embedding,
                first_seen=row.first_seen,
            )
            for row in rows
        ]

    def index_summary(self) -> IndexSummary:
        with self._session() as session:
            images, embedded, first, last = session.execute(
                select(
                    func.count(),
                    func.count(IndexedImageRow.embedding),
                    func.min(IndexedImageRow.first_seen),
                    func.max(IndexedImageRow.first_seen),
                )
            ).one()
        return IndexSummary(images=images, embedded=embedded, first_added=first, last_added=last)


def _bump_index_generation(session: Session) -> int:
    """Done first in a changing transaction: from here on the state row is locked (see tables)."""
    return session.execute(
        update(ImageIndexStateRow)
        .where(ImageIndexStateRow.id == 1)
        .values(generation=ImageIndexStateRow.generation + 1)
        .returning(ImageIndexStateRow.generation)
        .execution_options(synchronize_session=False)
    ).scalar_one()
