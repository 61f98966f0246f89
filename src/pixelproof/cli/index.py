"""`pixelproof index add | remove | stats`: the index of your own images that reverse_search looks in."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import track

from ..errors import PixelproofError
from ..index import Corpus, indexed_image, open_embedder
from ..media import decode
from ..media.files import read_file
from ..settings import Settings
from ..media.paths import Missing, collect
from .progress import FEW_FILES
from .store_options import DataDirOption, DbOption, errors, open_store, settings_from

app = typer.Typer(
    help="The near-duplicate index `reverse_search` looks in: your images' perceptual hashes and CLIP embeddings.",
    no_args_is_help=True,
)
BATCH = 256  # images per transaction
SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@contextmanager
def _corpus(settings: Settings) -> Iterator[Corpus]:
    with open_store(settings) as store:
        yield Corpus(store, settings)


@app.command()
def add(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, folders (searched recursively), globs: 'shots/**/*.jpg'.")],
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Add images to the index (their hashes, CLIP embedding, size and path; never the pixels). Files already
    indexed are skipped."""
    settings = settings_from(data_dir=data_dir, db=db)
    files = collect(paths)
    if missing := [entry.why for entry in files if isinstance(entry, Missing)]:
        raise typer.BadParameter("; ".join(missing), param_hint="PATH...")  # nothing is added then
    embedder, skipped = open_embedder(settings)
    if skipped:
        errors.print(escape(f"{skipped}; images are indexed by their hashes only"), highlight=False)
    added, failed, batch = 0, [], []
    with _corpus(settings) as corpus:
        for path in track(files, "Indexing", console=errors, disable=len(files) <= FEW_FILES or not errors.is_terminal):
            try:
                media = decode(read_file(path, settings.max_upload_bytes), settings)
            except PixelproofError as exc:
                failed.append(f"{path}: {exc.code}: {exc.message}")
                continue
            except OSError as exc:
                failed.append(f"{path}: unreadable: {exc.strerror or exc}")
                continue
            embedding = embedder(media) if embedder else None
            batch.append(indexed_image(media, str(path.resolve()), embedding=embedding))
            if len(batch) == BATCH:
                added, batch = added + corpus.add(batch), []
        added += corpus.add(batch)
        corpus.save()
        total = corpus.size()
    for failure in failed:
        errors.print(escape(failure), highlight=False)
    skipped = len(files) - len(failed) - added
    typer.echo(f"Added {added} image(s), {skipped} already indexed, {len(failed)} failed; {total} in the index.")


@app.command()
def remove(
    keys: Annotated[
        list[str], typer.Argument(metavar="KEY...", help="SHA-256 of an image, or the path it was added from (a folder: all below it).")
    ],
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Remove images from the index, by content hash or by the path they were added from (which may be gone)."""
    sha256s = [key.lower() for key in keys if SHA256.fullmatch(key)]
    sources = [str(Path(key).resolve()) for key in keys if not SHA256.fullmatch(key)]
    with _corpus(settings_from(data_dir=data_dir, db=db)) as corpus:
        removed = corpus.remove(sha256s, sources)
        corpus.save()
    if not removed:
        errors.print("no indexed image matches " + ", ".join(map(repr, keys)), highlight=False)
        raise typer.Exit(1)
    typer.echo(f"Removed {removed} image(s).")


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="As one JSON object.")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """How many images the index holds (how many with a CLIP embedding), since when, and where it lives."""
    with _corpus(settings_from(data_dir=data_dir, db=db)) as corpus:
        summary = corpus.stats()
    if as_json:
        typer.echo(summary.model_dump_json())
        return
    when = "" if not summary.images else f", added {summary.first_added:%Y-%m-%d} – {summary.last_added:%Y-%m-%d}"
    typer.echo(
        f"{summary.images} image(s){when}; {summary.embedded} with a CLIP embedding\n"
        f"database: {summary.database}\nsaved index: {summary.saved_copy}"
    )
