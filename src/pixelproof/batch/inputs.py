"""The INPUT... arguments of `pixelproof batch`, expanded to one item per image.

An argument is a local file, folder or glob (expanded exactly as `scan` expands it), a location
on a filesystem fsspec knows (``s3://bucket/shots/``, where the user has it installed), an
http(s) URL, a text file of such arguments (one a line), or a CSV/Parquet table with a ``path``
or ``url`` column and an optional ``external_id`` column carried through to the output.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fsspec
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..cli.paths import Missing, collect
from ..media.files import is_image

URL_SCHEMES = ("http://", "https://")
TABLE_READERS = {".csv": pa_csv.read_csv, ".parquet": pq.read_table, ".pq": pq.read_table}
LIST_SUFFIXES = (".txt", ".lst")


class BadInput(ValueError):
    """An input the command cannot start with (a table without a path or url column)."""


@dataclass(frozen=True)
class Item:
    """One image to analyze. ``path`` is how the user named it: the row's key, and what a resumed
    run matches on; ``source`` is where to read it (an absolute local path, a filesystem URL or an
    http(s) URL); ``missing`` says why a named path has nothing behind it."""

    path: str
    source: str
    external_id: str | None = None
    missing: str | None = None


def collect_items(args: list[str]) -> list[Item]:
    """Every image the arguments name, in argument order, each source once."""
    seen: set[str] = set()
    items = []
    for arg in args:
        for item in _expand(arg, lists_allowed=True):
            if item.missing or item.source not in seen:
                seen.add(item.source)
                items.append(item)
    return items


def _expand(arg: str, *, lists_allowed: bool) -> Iterator[Item]:
    if arg.startswith(URL_SCHEMES):
        yield Item(arg, arg)
    elif (reader := TABLE_READERS.get(Path(arg).suffix.lower())) and ("://" in arg or _listing(arg)):
        yield from _table_items(arg, reader)
    elif "://" in arg:
        yield from _remote(arg)
    elif lists_allowed and arg.lower().endswith(LIST_SUFFIXES) and _listing(arg):
        for line in Path(arg).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                yield from _expand(line.strip(), lists_allowed=False)
    else:
        for entry in collect([arg]):
            if isinstance(entry, Missing):
                yield Item(entry.arg, entry.arg, missing=entry.why)
            else:
                yield Item(str(entry), os.path.abspath(entry))


def _listing(arg: str) -> bool:
    """A file that lists inputs: there, and not itself an image (an image is analyzed, whatever its name)."""
    path = Path(arg)
    return path.is_file() and not is_image(path)


def _remote(arg: str) -> Iterator[Item]:
    """Files at a filesystem URL. Not sniffed here (that is a read per file): a file that is not an
    image becomes an error row."""
    fs, root = fsspec.core.url_to_fs(arg)
    if any(char in root for char in "*?["):
        found = sorted(fs.glob(root))
    elif fs.isdir(root):
        found = sorted(fs.find(root))
    elif fs.exists(root):
        found = [root]
    else:
        yield Item(arg, arg, missing=f"{arg} does not exist")
        return
    for name in found:
        url = fs.unstrip_protocol(name)
        yield Item(url, url)


def _table_items(location: str, reader) -> Iterator[Item]:
    with fsspec.open(location, "rb") as f:
        table = reader(f)
    column = next((name for name in ("path", "url") if name in table.column_names), None)
    if column is None:
        raise BadInput(f"{location} has no 'path' or 'url' column (its columns: {', '.join(table.column_names)})")
    ids = table.column("external_id").to_pylist() if "external_id" in table.column_names else [None] * table.num_rows
    for value, external_id in zip(table.column(column).to_pylist(), ids, strict=True):
        if not value:
            continue
        for item in _expand(str(value), lists_allowed=False):
            yield Item(item.path, item.source, None if external_id is None else str(external_id), item.missing)
