"""Prometheus metrics at ``GET /metrics`` (docs/operations.md lists every series).

Requests are labelled by their route's template (``/v1/reports/{report_id}``), never the raw
path, so the number of series stays bounded whatever clients send. Each app has its own
registry (tests build many apps in one process). What lives in the database (jobs by state)
or is a fact of this machine (the model self-check) is read when Prometheus scrapes.

Several server processes behind one port: start them with ``PROMETHEUS_MULTIPROC_DIR`` set
(an empty folder, the same for all, set before the first import of ``prometheus_client``);
every process then writes its counters there and whichever answers a scrape sums them all.
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import get_args

from fastapi import Depends, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import TimeBudgetExceeded
from ..report import Report
from ..storage import Store
from ..storage.jobs import JobState
from .auth import authenticate
from .errors import RetryLater, documented
from .health import Health, ModelState

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # others are labelled "other"
UNMATCHED = "unmatched"  # the route label of a path no route serves (a 404)
TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}  # what the OpenAPI document says of a 200
# An analysis takes from milliseconds (a refusal) to the time budget's tens of seconds.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """Every metric of one app; the API's parts record into it as things happen."""

    def __init__(self, store: Store, health: Callable[[], Health]):
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "pixelproof_http_request_duration_seconds",
            "HTTP requests by method, route template and status, and how long they took (its _count: requests)",
            ["method", "route", "status"],
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.analyzers = Histogram(
            "pixelproof_analyzer_duration_seconds",
            "Time each analyzer took on an image (API and job analyses), by its outcome",
            ["analyzer", "status"],
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.waiting = self._admission_gauge("waiting", "Requests waiting for an analysis slot or a URL fetch")
        self.in_use = self._admission_gauge("in_use", "Analysis slots or URL fetches taken")
        self.capacity = self._admission_gauge("capacity", "Analysis slots or URL fetches there are")
        self.refusals = Counter(
            "pixelproof_admission_refusals",
            "Requests admission refused, by error code (rate_limited, server_busy, time_budget_exceeded)",
            ["code"],
            registry=self.registry,
        )
        self._scraped = _ScrapedState(store, health)
        self.registry.register(self._scraped)

    def _admission_gauge(self, name: str, description: str) -> Gauge:
        """By queue (``analysis``, ``fetch``); with several processes, summed over those running."""
        return Gauge(
            f"pixelproof_admission_{name}", description, ["queue"], multiprocess_mode="livesum", registry=self.registry
        )

    def admission_queue(self, queue: str, capacity: int) -> None:
        """Show ``queue``'s series from the start: its capacity, none waiting, none in use."""
        self.capacity.labels(queue).set(capacity)
        self.waiting.labels(queue)
        self.in_use.labels(queue)

    def observe_report(self, report: Report) -> None:
        for name, section in report.analyzers.items():
            self.analyzers.labels(name, section.status).observe(section.duration_ms / 1000)

    @contextmanager
    def counting_refusals(self) -> Iterator[None]:
        """Count a refusal for a limit (429, 503) raised in the block by its code; it goes on."""
        try:
            yield
        except (RetryLater, TimeBudgetExceeded) as exc:
            self.refusals.labels(exc.code).inc()
            raise

    def exposition(self) -> bytes:
        """The text Prometheus scrapes: this process's registry, or with several processes the
        sum of all of theirs plus what is read at scrape time."""
        if not MULTIPROCESS:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self._scraped)
        return generate_latest(registry)

    def process_exited(self) -> None:
        """Drop this process's live gauges (its waiting and in-use counts) from the sums."""
        if MULTIPROCESS:
            multiprocess.mark_process_dead(os.getpid())


class _ScrapedState(Collector):
    """Read at each scrape: jobs by state from the (shared) database, and the model self-check
    as /healthz reports it (every process checks the same models on the same machine)."""

    def __init__(self, store: Store, health: Callable[[], Health]):
        self.store = store
        self.health = health

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("pixelproof_jobs", "Async jobs in the database, by state", labels=["state"])
        counts = self.store.job_counts()
        for state in get_args(JobState):
            jobs.add_metric([state], counts.get(state, 0))
        yield jobs
        selfcheck = GaugeMetricFamily(
            "pixelproof_model_selfcheck",
            "1 for each model's self-check state as /healthz reports it, 0 for the others",
            labels=["model", "state"],
        )
        for model, health in self.health().models.items():
            for state in get_args(ModelState):
                selfcheck.add_metric([model, state], int(health.state == state))
        yield selfcheck


def install(app: FastAPI, metrics: Metrics, *, public: bool) -> None:
    """Serve ``GET /metrics`` (behind the API key unless ``public``) and count every request."""
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)  # added last: the outermost

    @app.get(
        "/metrics",
        response_class=Response,
        tags=["health"],
        summary="Prometheus metrics" + (" (no auth)" if public else ""),
        dependencies=[] if public else [Depends(authenticate)],
        responses={200: TEXT, **({} if public else documented(401))},
    )
    def prometheus_metrics() -> Response:
        """Requests, analyzer durations, admission, jobs and the model self-check, in Prometheus's
        text format (docs/operations.md)."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """ASGI middleware, outermost: times every HTTP request and counts it under its route's
    template and its status, including those answered before routing (413 on a declared body
    size) and those that failed (500)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before any answer: Starlette's outer handler sends 500
        start = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"  # any token parses as one
            labels = (method, route_template(scope), str(status))
            self.metrics.requests.labels(*labels).observe(time.perf_counter() - start)


def route_template(scope: Scope) -> str:
    """The path template of the route that served this request (or answered 405 for its
    method), read from the scope routing left behind. A route of an included router knows only
    its own part (``/reports/{report_id}``): the router's prefix, always literal here, is what
    the request path has in front of the part that route matches."""
    route, path = scope.get("route"), scope["path"]
    if route is None:  # a mount's own app (the docs' assets: a mount adds app_root_path), or no route
        mount = scope["root_path"].removeprefix(scope["app_root_path"]) if "app_root_path" in scope else None
        return f"{mount}/{{path}}" if mount else UNMATCHED
    for start, char in enumerate(path):
        if char == "/" and route.path_regex.match(path[start:]):
            return path[:start] + route.path
    return route.path
