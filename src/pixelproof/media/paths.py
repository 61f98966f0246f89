"""The PATH... arguments of `scan`, `batch` and `index add`: files, folders and globs, expanded to files.

A path that names nothing is kept, in its place, as a ``Missing`` entry, so each command can
decide what a typo costs (`scan` reports a row and exits 1; `index add` refuses to start).
"""

import glob
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .files import images_under, is_image


@dataclass(frozen=True)
class Missing:
    """A path argument with nothing behind it: a row of its own, in its place."""

    arg: str
    why: str


def collect(args: Iterable[str]) -> list[Path | Missing]:
    """Files to scan, in argument order, each once, and the arguments that name nothing."""
    seen: set[Path] = set()
    files: list[Path | Missing] = []
    for arg in args:
        for path in _expand(arg):
            if isinstance(path, Missing):
                files.append(path)
            elif (key := path.resolve()) not in seen:
                seen.add(key)
                files.append(path)
    return files


def _expand(arg: str) -> Iterator[Path | Missing]:
    path = Path(arg)
    if path.is_dir():
        yield from images_under(path)
    elif path.exists():
        yield path  # named explicitly: scanned even when it is not an image, so its row says why
    elif any(char in arg for char in "*?["):
        # Expanded here, so a quoted glob works and `**` recurses in every shell.
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield Missing(arg, f"no file matches the pattern {arg}")
        for match in map(Path, matches):
            if match.is_dir():
                yield from images_under(match)
            elif is_image(match):
                yield match
    else:
        yield Missing(arg, f"{arg} does not exist")
