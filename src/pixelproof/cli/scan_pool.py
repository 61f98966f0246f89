"""`pixelproof scan`'s workers: one Engine per process, one row per file, rows in input order.

`pixelproof batch` makes its rows here too, so both commands write the same row for a file."""

import hashlib
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from ..errors import PixelproofError
from ..media.files import read_file
from ..pipeline import Engine
from ..report import Report
from .paths import Missing



@dataclass(frozen=True)
class Job:
    analyzers: list[str]
    full: bool
    heatmap: bool | None = None


_worker: tuple[Engine, Job] | None = None


def start_worker(job: Job) -> None:
    """Each worker process holds one Engine, so models load once per process, not per file."""
    global _worker
    _worker = (Engine(), job)


def analyze_file(path: str) -> dict:
    """One file in, one output row out: a report, or the typed error that stopped it."""
    engine, job = _worker
    return analyzed_row(engine, job, path, lambda: read_file(Path(path), engine.settings.max_upload_bytes))


def analyzed_row(engine: Engine, job: Job, path: str, load: Callable[[], bytes], done: Collection[str] = ()) -> dict | None:
    """The row of the bytes ``load`` returns, under the name ``path``; None when their SHA-256 is
    in ``done`` (a resumed `batch` has that row already, so the image is read, never re-analyzed)."""
    data = None
    try:
        data = load()
        if done and hashlib.sha256(data).hexdigest() in done:
            return None
        report = engine.analyze(data, only=job.analyzers, heatmap=job.heatmap)
    except PixelproofError as exc:
        return error_row(path, exc.code, exc.message, data)
    except OSError as exc:
        return error_row(path, "unreadable", f"cannot read the file: {exc.strerror or exc}", data)
    except Exception as exc:  # noqa: BLE001 - one bad file must not end a scan of thousands
        return error_row(path, "internal_error", f"{type(exc).__name__}: {exc}", data)
    if job.full:
        return {"path": path, "error": None, **report.model_dump(mode="json")}
    return _row(path, report)


def _row(path: str, report: Report) -> dict:
    verdict = report.verdict
    return {
        "path": path,
        "sha256": report.media.sha256,
        "report_id": report.id,
        "label": verdict.label,
        "ai_generated": verdict.ai_generated,
        "generator": verdict.generator.model_dump(mode="json"),
        "decided_by": verdict.decided_by,
        "evidence": {name: section.evidence for name, section in report.analyzers.items()},
        "not_processed": {
            name: {"status": section.status, "reason": section.reason}
            for name, section in report.analyzers.items()
            if section.status != "processed"
        },
        "error": None,
    }


def error_row(path: str, code: str, message: str, data: bytes | None) -> dict:
    return {
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest() if data else None,
        "report_id": None,
        "label": None,
        "ai_generated": None,
        "generator": None,
        "decided_by": None,
        "evidence": {},
        "not_processed": {},
        "error": {"code": code, "message": message},
    }


def _in_order(entries: list[Path | Missing], rows: Iterator[dict]) -> Iterator[dict]:
    for entry in entries:
        yield error_row(entry.arg, "not_found", entry.why, None) if isinstance(entry, Missing) else next(rows)


@contextmanager
def analyzed(entries: list[Path | Missing], job: Job, workers: int) -> Iterator[Iterator[dict]]:
    """Rows in the order of ``entries``; a process pool when there is more than one worker.

    The workers are forked on entry, before the caller starts any thread (the progress bar
    runs one): forking a threaded process can deadlock, and fork starts in milliseconds where
    spawn re-imports everything in each worker.
    """
    paths = [str(path) for path in entries if not isinstance(path, Missing)]
    workers = min(workers, len(paths))
    if workers <= 1:
        start_worker(job)
        yield _in_order(entries, map(analyze_file, paths))
        return
    context = get_context("fork" if "fork" in get_all_start_methods() else None)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker, initargs=(job,))
    try:
        # Submitting forks every worker now; chunks keep per-file overhead low on big folders.
        chunksize = max(1, min(16, len(paths) // (workers * 8)))
        yield _in_order(entries, pool.map(analyze_file, paths, chunksize=chunksize))
    finally:
        pool.shutdown(cancel_futures=True)
