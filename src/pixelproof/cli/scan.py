"""`pixelproof scan PATH...`: analyze local files, folders and globs, in parallel.

Rows come out in input order, whichever worker finishes first. A bad image is a row
carrying a typed error, never a failed run; a path that is not there is a row too, and makes
the exit status 1 once the rest is scanned (a typo in a script must not pass unseen).
"""

import csv
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..analyzers import UnknownAnalyzer, select
from ..errors import PixelproofError
from ..media.files import read_file
from ..pipeline import Engine
from ..report import Report
from .paths import Missing, collect
from .progress import progress_bar

FEW_FILES = 3  # up to this many, a run is over before a progress bar says anything
CSV_COLUMNS = "path label ai_generated generator decided_by sha256 report_id error_code error_message".split()
LABEL_STYLES = {"ai": "bold red", "human": "bold green", "uncertain": "yellow", "error": "magenta"}
PATH_MISSING = 1  # exit status: some path given was not there (the rest was scanned)
NO_IMAGES = 3  # exit status: nothing to scan (2 is a usage error, as in every click command)


# -- one file, in a worker ----------------------------------------------------------------------


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
    data = None
    try:
        data = read_file(Path(path), engine.settings.max_upload_bytes)
        report = engine.analyze(data, only=job.analyzers, heatmap=job.heatmap)
    except PixelproofError as exc:
        return _error_row(path, exc.code, exc.message, data)
    except OSError as exc:
        return _error_row(path, "unreadable", f"cannot read the file: {exc.strerror or exc}", data)
    except Exception as exc:  # noqa: BLE001 - one bad file must not end a scan of thousands
        return _error_row(path, "internal_error", f"{type(exc).__name__}: {exc}", data)
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


def _error_row(path: str, code: str, message: str, data: bytes | None) -> dict:
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
        yield _error_row(entry.arg, "not_found", entry.why, None) if isinstance(entry, Missing) else next(rows)


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


# -- output ---------------------------------------------------------------------------------------


def _csv_row(row: dict) -> list:
    error = row["error"] or {}
    generator = row["generator"] or {}
    values = {
        **row,
        "generator": generator.get("family"),
        "error_code": error.get("code"),
        "error_message": error.get("message"),
    }
    return ["" if values[column] is None else values[column] for column in CSV_COLUMNS]


def _table(rows: list[dict]) -> Table:
    labels = Counter(row["label"] or "error" for row in rows)
    table = Table(caption=", ".join(_count(n, label) for label, n in labels.most_common()))
    for column in ("File", "Verdict", "P(AI)", "Generator", "Decided by / error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        label = row["label"] or "error"
        generator = row["generator"] or {}
        family = generator.get("family")
        note = f"{row['error']['code']}: {row['error']['message']}" if row["error"] else row["decided_by"] or ""
        table.add_row(
            escape(row["path"]),
            f"[{LABEL_STYLES[label]}]{label}[/]",
            "–" if row["ai_generated"] is None else f"{row['ai_generated']:.2f}",
            escape(family if family and family != "unknown" else ""),
            escape(note),
        )
    return table


def _count(n: int, label: str) -> str:
    """``1 error``, ``2 errors``; the verdicts (ai, human, uncertain) are adjectives."""
    return f"{n} {label}{'s' if label == 'error' and n != 1 else ''}"


def write_lines(rows: Iterable[dict], out: TextIO, fmt: str) -> None:
    """JSON lines or CSV, each row written as soon as its image is done."""
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()  # so `| jq` sees each image at once
    else:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(_csv_row(row))


# -- the command ----------------------------------------------------------------------------------


def _names(values: list[str] | None) -> list[str]:
    """``--only a,b`` and ``--only a --only b`` mean the same."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def _analyzers(only: list[str] | None, excluding: list[str] | None) -> list[str]:
    try:
        names = select(_names(only), _names(excluding))
    except UnknownAnalyzer as exc:
        raise typer.BadParameter(exc.message, param_hint="--only/--excluding") from None
    if not names:
        raise typer.BadParameter("no analyzer is left to run", param_hint="--only/--excluding")
    return names


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def scan(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, folders (searched recursively), globs: 'shots/**/*.jpg'.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per image (JSON lines).")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One CSV row per image.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, metavar="N", help="Worker processes (default: one per CPU).")] = None,
    only: Annotated[list[str] | None, typer.Option(metavar="NAMES", help="Run only these analyzers (repeat or comma-separate).")] = None,
    excluding: Annotated[list[str] | None, typer.Option(metavar="NAMES", help="Skip these analyzers.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Write each whole report as a JSON line.")] = False,
    heatmap: Annotated[
        bool | None,
        typer.Option("--heatmap/--no-heatmap", help="Region scores of the pixel model (see --full); default: PIXELPROOF_HEATMAP."),
    ] = None,
) -> None:
    """Analyze images on disk: a table, JSON lines or CSV, one row per image.

    A file that cannot be analyzed (unreadable, not an image, corrupt, too large) is a row with
    an error; so is a path that is not there (error code not_found).

    \b
    Exit status:
      0  every path was there (rows may still carry errors)
      1  some path was not there; the rest was scanned
      2  usage error
      3  no images found
    """
    if as_json and as_csv:
        raise typer.BadParameter("--json and --csv cannot be combined", param_hint="--json/--csv")
    if full and as_csv:
        raise typer.BadParameter("--full writes JSON lines; it cannot be combined with --csv", param_hint="--full")
    fmt = "csv" if as_csv else "json" if as_json or full else "table"
    job = Job(analyzers=_analyzers(only, excluding), full=full, heatmap=heatmap)
    entries = collect(paths)
    stderr = Console(stderr=True)
    if not entries:
        stderr.print(f"no images found in {', '.join(paths)}", markup=False, highlight=False)
        raise typer.Exit(NO_IMAGES)
    try:
        out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {str(output)!r}: {exc.strerror}", param_hint="--output") from None

    rows_on_a_terminal = fmt != "table" and out.isatty()  # a bar on the same screen would overwrite them
    progress = progress_bar(
        "Scanning", stderr, disable=rows_on_a_terminal or not (stderr.is_terminal or len(entries) > FEW_FILES)
    )
    try:
        with analyzed(entries, job, workers or _cpus()) as results, progress:
            rows = progress.track(results, total=len(entries))
            if fmt == "table":
                rows = list(rows)  # printed once the bar is gone
            else:
                write_lines(rows, out, fmt)
        if fmt == "table":
            Console(file=out, width=None if out.isatty() else 160).print(_table(rows))
    finally:
        if output:
            out.close()
    if any(isinstance(entry, Missing) for entry in entries):
        raise typer.Exit(PATH_MISSING)
