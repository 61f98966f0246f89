"""`pixelproof scan`'s workers: one Engine per process, one row per file (rows.py), rows in input order."""

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from ..media.files import read_file
from ..media.paths import Missing
from ..pipeline import Engine
from ..rows import Job, analyzed_row, error_row

_worker: tuple[Engine, Job] | None = None


def start_worker(job: Job) -> None:
    """Each worker process holds one Engine, so models load once per process, not per file."""
    global _worker
    _worker = (Engine(), job)


def analyze_file(path: str) -> dict:
    """One file in, one output row out: a report, or the typed error that stopped it."""
    engine, job = _worker
    return analyzed_row(engine, job, path, lambda: read_file(Path(path), engine.settings.max_upload_bytes))


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
