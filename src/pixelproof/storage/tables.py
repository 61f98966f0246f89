"""The schema. Changing it means adding an Alembic revision under ``migrations/versions``."""

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone, so we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    credits: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    # Signs this key's job webhooks (HMAC needs the secret itself, unlike the token's hash);
    # made at the first `pixelproof keys webhook-secret` or the first job with a callback.
    webhook_secret: Mapped[str | None] = mapped_column(String(64))


class KeyRateRow(Base):
    """A key's token bucket for analyses per minute, shared by every server process; its row is
    also the lock that serialises the key's admissions (key_limit_records)."""

    __tablename__ = "key_rates"

    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, when ``tokens`` was right


class KeyAnalysisRow(Base):
    """An analysis a key has running, on whichever server process: counted against its limit at
    once until it ends, or until ``expires_at`` if its process died without saying so."""

    __tablename__ = "key_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class ReportRow(Base):
    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(16))
    ai_generated: Mapped[float | None] = mapped_column(Float)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"))
    report: Mapped[str] = mapped_column(Text)  # Report.model_dump_json()


class MediaRow(Base):
    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    md5: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    times_seen: Mapped[int] = mapped_column(Integer)


class UsageRow(Base):
    __tablename__ = "usage"

    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    images: Mapped[int] = mapped_column(Integer)


class FeedbackRow(Base):
    """A user's label for an image, by content hash: the server never keeps the image itself."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(16))  # ai | human
    model: Mapped[str] = mapped_column(String(64))  # the vendor model named, e.g. Sightengine's genai
    vendor_class: Mapped[str] = mapped_column(String(64))  # the class as the client sent it, e.g. not-ai
    source_url: Mapped[str | None] = mapped_column(Text)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"))


class IndexedImageRow(Base):
    """An image in the user's near-duplicate index: its perceptual hashes, never its pixels."""

    __tablename__ = "indexed_images"
    # Ids are never reused (SQLite's AUTOINCREMENT; PostgreSQL sequences never go back): an id
    # in an old report never names another image.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str | None] = mapped_column(Text)  # the file's absolute path when added from disk
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))
    pdq_quality: Mapped[int] = mapped_column(Integer)
    phash: Mapped[bytes] = mapped_column(LargeBinary(8))
    # float16 CLIP embedding (pixelproof.index.embedding); None: indexed without the CLIP model
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ImageIndexStateRow(Base):
    """One row saying how far the index has changed, so in-memory copies know when to catch up.

    Every change bumps ``generation`` first, in its own transaction: the row lock serialises
    writers, so ids are committed in increasing order. ``last_removal`` is the generation of
    the last removal; a copy older than that must reload, a newer one only fetches additions.
    ``token`` names this database, so a saved copy of another one is never mistaken for it.
    """

    __tablename__ = "image_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(Integer)
    last_removal: Mapped[int] = mapped_column(Integer)


class JobRow(Base):
    """A batch of images analyzed in the background (``POST /v1/jobs``) for one key."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    options: Mapped[str] = mapped_column(Text)  # JobOptions as JSON: only, excluding, heatmap
    callback_url: Mapped[str | None] = mapped_column(Text)
    webhook_state: Mapped[str | None] = mapped_column(String(16))  # pending | delivered | failed; None: no callback


class JobItemRow(Base):
    """One image of a job; ``report_id`` is written in the transaction that stores the report,
    so an item is analyzed into at most one report, whatever happens to the server."""

    __tablename__ = "job_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed | cancelled
    url: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(255))  # an archive member's name
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # an archive member's bytes, dropped once analyzed
    external_id: Mapped[str | None] = mapped_column(String(255))
    report_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id"))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)


class WebhookAttemptRow(Base):
    """One try at delivering a job's webhook: when, and what the receiver answered."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no HTTP answer (refused, timed out)
    error: Mapped[str | None] = mapped_column(Text)
