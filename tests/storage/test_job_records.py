"""Job records on SQLite and PostgreSQL: claiming, one report per image, credits given back."""

import io

import pytest
from PIL import Image

from pixelproof.pipeline import Engine
from pixelproof.storage import Store
from pixelproof.storage.jobs import JobNotFound, NewItem

ENGINE = Engine()


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (seed, 90, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as store:
        yield store


def _job(store: Store, key_id: str, count: int, callback_url: str | None = None):
    items = [NewItem(filename=f"{i}.png", data=_png(i), external_id=f"id-{i}") for i in range(count)]
    return store.create_job(key_id, '{"only": ["metadata"]}', items, callback_url)


def test_items_are_claimed_in_order_once_and_the_job_finishes_after_the_last(store):
    key, _ = store.create_key("k")
    job = _job(store, key.id, 2)
    first, second = store.claim_item(), store.claim_item()
    assert (first.filename, second.filename, store.claim_item()) == ("0.png", "1.png", None)
    assert store.get_job(job.id, key.id).state == "running"

    report = ENGINE.analyze(first.data, external_id=first.external_id, only=["metadata"])
    store.complete_item(first, report)
    assert not store.finish_if_complete(job.id)
    store.fail_item(second, "corrupt_media", "unreadable")
    assert store.finish_if_complete(job.id) and not store.finish_if_complete(job.id)  # only one call finishes it

    finished = store.get_job(job.id, key.id)
    assert finished.state == "done" and finished.counts["done"] == finished.counts["failed"] == 1
    results = list(store.job_results(job.id, key.id))
    assert [(r.report_id, r.error_code) for r in results] == [(report.id, None), (None, "corrupt_media")]
    assert store.get_report(report.id) == report


def test_an_item_left_running_is_queued_again_and_nothing_was_stored_for_it(store):
    key, _ = store.create_key("k")
    job = _job(store, key.id, 1)
    assert store.claim_item() is not None
    assert store.requeue_interrupted() == 1
    again = store.claim_item()
    assert again.job_id == job.id and store.find_reports() == []


def test_an_item_taken_twice_gets_one_report_and_keeps_its_credit(store):
    """Two workers on one item (one took it again after a requeue): the first to finish wins."""
    key, _ = store.create_key("k", credits=1)
    store.charge(key.id, 1)
    job = _job(store, key.id, 1)
    first = store.claim_item()
    store.requeue_interrupted()
    second = store.claim_item()
    assert store.complete_item(second, ENGINE.analyze(second.data, only=["metadata"]))
    assert not store.complete_item(first, ENGINE.analyze(first.data, only=["metadata"]))
    store.fail_item(first, "time_budget_exceeded", "late")
    assert len(store.find_reports()) == 1
    assert store.get_job(job.id, key.id).counts["done"] == 1
    assert store.get_key(key.id).credits == 0  # the image was analyzed: no refund for the late failure


def test_failed_and_cancelled_items_give_their_credits_back(store):
    key, _ = store.create_key("k", credits=10)
    store.charge(key.id, 3)  # what POST /v1/jobs reserves for three images
    job = _job(store, key.id, 3)
    store.fail_item(store.claim_item(), "url_fetch_failed", "no answer")
    cancelled, now = store.cancel_job(job.id, key.id)
    assert now and cancelled.state == "cancelled" and cancelled.counts["cancelled"] == 2
    assert store.get_key(key.id).credits == 10
    assert store.cancel_job(job.id, key.id)[1] is False  # a finished job stays as it is
    assert store.claim_item() is None


def test_a_job_is_not_found_for_another_key(store):
    owner, _ = store.create_key("owner")
    other, _ = store.create_key("other")
    job = _job(store, owner.id, 1)
    for attempt in (
        lambda: store.get_job(job.id, other.id),
        lambda: list(store.job_results(job.id, other.id)),
        lambda: store.cancel_job(job.id, other.id),
    ):
        with pytest.raises(JobNotFound):
            attempt()


def test_webhook_attempts_and_the_secret_are_kept(store):
    key, _ = store.create_key("k")
    secret = store.webhook_secret(key.id)
    assert secret.startswith("whsec_") and store.webhook_secret(key.id) == secret
    assert store.webhook_secret("nosuchkey") is None
    job = _job(store, key.id, 1, callback_url="https://hooks.example/x")
    store.fail_item(store.claim_item(), "corrupt_media", "unreadable")
    store.finish_if_complete(job.id)
    assert store.webhooks_pending() == [job.id]
    store.record_webhook_attempt(job.id, 503, "the receiver answered HTTP 503")
    store.set_webhook_state(job.id, "delivered")
    attempts = store.get_job(job.id, key.id).webhook_attempts
    assert [(a.status_code, a.error) for a in attempts] == [(503, "the receiver answered HTTP 503")]
    assert store.webhooks_pending() == []


def test_a_task_queue_claims_an_image_only_while_it_is_queued(store):
    key, _ = store.create_key("k")
    _job(store, key.id, 1)
    claimed = store.claim_item()
    assert store.claim_queued_item(claimed.id) is None  # running: another worker has it
    store.requeue_item(claimed.id)  # its worker died
    again = store.claim_queued_item(claimed.id)
    assert again is not None and store.complete_item(again, ENGINE.analyze(again.data))
    store.requeue_item(claimed.id)  # a late recovery leaves a settled image as it is
    assert store.claim_queued_item(claimed.id) is None
    assert store.job(claimed.job_id).counts["done"] == 1


def test_on_postgresql_the_tasks_are_queued_with_the_work_they_run(postgres):
    from pixelproof.storage.queue import ANALYZE, WEBHOOK, queue_app

    url = postgres.fresh_url()
    with Store.open(url) as store:
        key, _ = store.create_key("k")
        job = _job(store, key.id, 2, callback_url="http://127.0.0.1:9/hook")
    with Store.open(url) as store:  # the procrastinate schema is not applied twice
        store.cancel_job(job.id, key.id)
    with queue_app(url).open() as queue:
        tasks = [(j.task_name, j.task_kwargs) for j in sorted(queue.job_manager.list_jobs(), key=lambda j: j.id)]
    items = [{"job_id": job.id, "item_id": i} for i in (1, 2)]
    assert tasks == [(ANALYZE, items[0]), (ANALYZE, items[1]), (WEBHOOK, {"job_id": job.id})]
