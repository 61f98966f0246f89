"""The Store on SQLite and on a real PostgreSQL server."""

import hashlib
import io
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from PIL import Image
from sqlalchemy.exc import IntegrityError

from pixelproof.api.reports import MAX_OFFSET
from pixelproof.pipeline import Engine
from pixelproof.storage import Store
from pixelproof.storage.tables import Base


def _png(color=(10, 200, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as store:
        yield store


ENGINE = Engine()


def _report(data: bytes, external_id: str | None = None):
    """A real report; storage does not care which analyzers ran, and metadata is the quickest."""
    return ENGINE.analyze(data, external_id=external_id, only=["metadata"])


def _ours(name, type_, parent_names) -> bool:
    """procrastinate's tables (PostgreSQL job queue) are its own schema, applied by migration 0006."""
    return not (type_ == "table" and name.startswith("procrastinate_"))


def test_migrations_build_exactly_the_declared_schema(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        assert compare_metadata(context, Base.metadata) == []


def test_reopening_an_upgraded_database_keeps_its_data(db_url):
    report = _report(_png())
    with Store.open(db_url) as store:
        store.save_report(report)
    with Store.open(db_url) as store:
        assert store.get_report(report.id) == report


def test_report_round_trips_unchanged(store):
    report = _report(_png(), external_id="case-7")
    store.save_report(report)
    assert store.get_report(report.id) == report
    assert store.get_report("no-such-id") is None


def test_find_reports_filters_by_external_id_newest_first_with_paging(store):
    older = [_report(_png((i, 0, 0)), external_id="batch") for i in range(3)]
    other = _report(_png(), external_id="other")
    for report in older + [other]:
        store.save_report(report)
    newest_first = [r.id for r in reversed(older)]
    assert [r.id for r in store.find_reports(external_id="batch")] == newest_first
    assert [r.id for r in store.find_reports(external_id="batch", limit=2, offset=1)] == newest_first[1:]
    assert store.find_reports(limit=1)[0].id == other.id
    assert store.find_reports(external_id="nobody") == []
    assert store.find_reports(offset=MAX_OFFSET) == []  # the largest offset the API lets through


def test_media_is_counted_once_per_distinct_file(store):
    data = _png()
    for _ in range(3):
        store.save_report(_report(data))
    store.save_report(_report(_png((1, 2, 3))))
    assert store.media_seen(hashlib.sha256(data).hexdigest()) == 3
    assert store.media_seen("0" * 64) == 0


def test_key_lifecycle(store):
    assert not store.has_keys()
    info, token = store.create_key("ci")
    assert store.has_keys()
    assert token.startswith(f"pp_{info.id}_")
    assert info.active and info.credits is None and info.created_at.tzinfo is not None
    assert store.verify_token(token) == info
    secret = token.removeprefix(f"pp_{info.id}_")
    assert store.verify_pair(info.id, secret) == info

    assert store.verify_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify_token("pp_nothex_" + secret) is None
    assert store.verify_token("") is None
    assert store.verify_pair("000000000000", secret) is None

    assert store.revoke_key(info.id) is True
    assert store.revoke_key(info.id) is False
    assert store.revoke_key("000000000000") is False
    assert store.verify_token(token) is None
    assert store.verify_pair(info.id, secret) is None
    [listed] = store.list_keys()
    assert listed.id == info.id and not listed.active


def test_only_the_hash_of_a_secret_is_stored(store):
    info, token = store.create_key("ci")
    secret = token.removeprefix(f"pp_{info.id}_")
    with store.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_keys"))
    assert secret not in dump


def test_usage_accumulates_per_key_and_day(store):
    a, _ = store.create_key("a")
    b, _ = store.create_key("b")
    store.record_usage(a.id)
    store.record_usage(a.id, images=4)
    store.record_usage(b.id)
    today = datetime.now(UTC).date()
    assert store.usage(a.id) == {today: 5}
    assert store.usage(b.id) == {today: 1}


def test_reports_remember_the_key_that_made_them(store):
    info, _ = store.create_key("a")
    report = _report(_png())
    store.save_report(report, api_key_id=info.id)
    with store.engine.connect() as conn:
        [key_id] = conn.exec_driver_sql("SELECT api_key_id FROM reports").one()
    assert key_id == info.id


def test_reports_must_name_an_existing_key(store):
    with pytest.raises(IntegrityError):
        store.save_report(_report(_png()), api_key_id="000000000000")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'p.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unknown_database_scheme_is_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        Store.open("mysql://localhost/x")
