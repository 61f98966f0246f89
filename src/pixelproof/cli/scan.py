"""`pixelproof scan PATH...`: analyze local files, folders and globs, in parallel.

Rows come out in input order, whichever worker finishes first. A bad image is a row
carrying a typed error, never a failed run; a path that is not there is a row too, and makes
the exit status 1 once the rest is scanned (a typo in a script must not pass unseen).
"""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..analyzers import UnknownAnalyzer, select
from .paths import Missing, collect
from .progress import FEW_FILES, progress_bar
from .scan_output import table, write_lines
from .scan_pool import Job, analyzed

PATH_MISSING = 1  # exit status: some path given was not there (the rest was scanned)
NO_IMAGES = 3  # exit status: nothing to scan (2 is a usage error, as in every click command)


def _names(values: list[str] | None) -> list[str]:
    """``--only a,b`` and ``--only a --only b`` mean the same."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def chosen_analyzers(only: list[str] | None, excluding: list[str] | None) -> list[str]:
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
    job = Job(analyzers=chosen_analyzers(only, excluding), full=full, heatmap=heatmap)
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
            Console(file=out, width=None if out.isatty() else 160).print(table(rows))
    finally:
        if output:
            out.close()
    if any(isinstance(entry, Missing) for entry in entries):
        raise typer.Exit(PATH_MISSING)
