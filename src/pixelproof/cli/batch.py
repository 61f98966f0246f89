"""`pixelproof batch INPUT... --out DIR`: many images on Ray Data, resumable, into Parquet.

Ray is an optional extra: this module imports it only when the command runs, so the rest of
the command line works without it, and a missing extra is one clear line, not a traceback.
"""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from .scan import NO_IMAGES, PATH_MISSING, chosen_analyzers
from .scan_pool import Job

if TYPE_CHECKING:
    from ..batch.run import Summary

NEEDS_EXTRA = 4  # exit status: Ray (the [ray] extra) is not installed
RAY_MODULES = ("ray", "pyarrow", "fsspec", "pandas")


def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="Files, folders, globs, s3://-style locations, http(s) URLs, a .txt list of them, "
            "or a .csv/.parquet table with a 'path' or 'url' column (and 'external_id').",
        ),
    ],
    out: Annotated[str, typer.Option("--out", metavar="DIR", help="Output folder (local or s3://-style); re-use it to resume.")],
    as_json: Annotated[bool, typer.Option("--json", help="Also write JSON lines (as `scan --json`).")] = False,
    address: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="An existing Ray cluster: auto or ray://host:port (default: a local runtime)."),
    ] = None,
    cpus: Annotated[int | None, typer.Option(min=1, metavar="N", help="CPUs of the local runtime (default: all).")] = None,
    cpus_per_actor: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="CPUs per actor (default: the model's threads).")
    ] = None,
    only: Annotated[list[str] | None, typer.Option(metavar="NAMES", help="Run only these analyzers (repeat or comma-separate).")] = None,
    excluding: Annotated[list[str] | None, typer.Option(metavar="NAMES", help="Skip these analyzers.")] = None,
) -> None:
    """Analyze many images on Ray Data: Parquet files under DIR/parquet/, one record per image.

    Records have the columns of `scan --json`, plus external_id; a file that cannot be analyzed
    is a record with an error, never a failed run. Running again with the same --out skips
    images already recorded with the same SHA-256.

    \b
    Exit status:
      0  every input was there (records may still carry errors)
      1  some input was not there; the rest was analyzed
      2  usage error
      3  no images found
      4  Ray is not installed: pip install 'pixelproof[ray]'
    """
    stderr = Console(stderr=True)
    try:
        from ..batch.inputs import BadInput, collect_items
        from ..batch.run import run_batch
        from ..models.runtime import default_threads
        from ..batch.runtime import ray_runtime
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in RAY_MODULES:
            stderr.print(f"pixelproof batch needs Ray ({exc.name} is missing): pip install 'pixelproof[ray]'", markup=False)
            raise typer.Exit(NEEDS_EXTRA) from None
        raise
    job = Job(analyzers=chosen_analyzers(only, excluding), full=False)
    try:
        items = collect_items(inputs)
    except BadInput as exc:
        raise typer.BadParameter(str(exc), param_hint="INPUT") from None
    if not items:
        stderr.print(f"no images found in {', '.join(inputs)}", markup=False, highlight=False)
        raise typer.Exit(NO_IMAGES)
    with ray_runtime(address, cpus):
        summary = run_batch(items, out, job, cpus_per_actor=cpus_per_actor or default_threads(), as_json=as_json)
    for name in summary.unreadable_records:
        stderr.print(f"skipped an unreadable record file (its images are analyzed again): {name}", markup=False)
    typer.echo(summary_line(summary))
    if any(item.missing for item in items):
        raise typer.Exit(PATH_MISSING)


def summary_line(summary: "Summary") -> str:
    """``7 analyzed, 3 already done, in 12.0 s (0.6 images/s): 4 human, 2 uncertain, 1 error (corrupt_media: 1)``."""
    rate = summary.analyzed / summary.seconds if summary.seconds else 0.0
    labels = ", ".join(f"{n} {label}" for label, n in summary.labels.most_common())
    errors = ", ".join(f"{code}: {n}" for code, n in summary.errors.most_common())
    return (
        f"{summary.analyzed} analyzed, {summary.skipped} already done, in {summary.seconds:.1f} s "
        f"({rate:.1f} images/s)" + (f": {labels}" if labels else "") + (f" ({errors})" if errors else "")
    )
