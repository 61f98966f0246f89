"""`pixelproof feedback export`: users' labels (Sightengine ``/1.0/feedback.json``) as a labelled
manifest that `pixelproof eval` reads.

The server keeps only each image's SHA-256, never the image. Point ``--images`` at folders
that hold the images and every label whose file is found gets its path; the others keep the
SHA-256 in the ``path`` column, so no label is lost.
"""

import csv
import hashlib
import os
from pathlib import Path
from typing import Annotated

import typer

from ..media.files import images_under
from .store_options import DataDirOption, DbOption, open_store, settings_from

app = typer.Typer(help="Users' labels sent through the feedback API.", no_args_is_help=True)

COLUMNS = ("path", "label", "sha256", "model", "class", "source_url", "submitted_at")


def _files_by_hash(folders: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(images_under(folder)):
            with path.open("rb") as f:
                found.setdefault(hashlib.file_digest(f, "sha256").hexdigest(), path)
    return found


@app.command()
def export(
    out: Annotated[Path, typer.Argument(metavar="CSV", help="The CSV to write (path,label,… as `pixelproof eval` reads it).")],
    images: Annotated[
        list[Path] | None,
        typer.Option(
            "--images", metavar="DIR", exists=True, file_okay=False, help="A folder to find the labelled images in (repeatable)."
        ),
    ] = None,
    matched_only: Annotated[
        bool, typer.Option("--matched-only", help="Leave out labels whose image was not found.")
    ] = False,
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Write the latest label of every image; paths are relative to the CSV's folder."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        labels = store.latest_feedback()
    files = _files_by_hash(images or [])
    out.parent.mkdir(parents=True, exist_ok=True)
    written = matched = 0
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for item in labels:
            path = files.get(item.sha256)
            if path is None and matched_only:
                continue
            location = os.path.relpath(path.resolve(), out.resolve().parent) if path else item.sha256
            writer.writerow(
                (
                    location,
                    item.label,
                    item.sha256,
                    item.model,
                    item.vendor_class,
                    item.source_url or "",
                    item.created_at.isoformat(),
                )
            )
            written += 1
            matched += path is not None
    typer.echo(
        f"Wrote {written} labels to {out} ({matched} with the image's path, {written - matched} by SHA-256 only)."
    )
