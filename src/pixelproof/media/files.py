"""Image files on disk: which files are images, and reading one within the upload limit.

A file is an image when its first bytes say so (``sniff``), never because of its name: `scan`,
`index add`, `eval` and `feedback export` all find images here, so a folder means the same
set of files to each of them.
"""

import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import TooLarge
from .sniff import sniff

SNIFF_BYTES = 64


def is_image(path: Path) -> bool:
    """A regular file whose first bytes are a format we recognise."""
    if not path.is_file():  # checked first: opening a FIFO would block
        return False
    try:
        with path.open("rb") as f:
            return sniff(f.read(SNIFF_BYTES)) is not None
    except OSError:
        return False


def images_under(folder: Path) -> Iterator[Path]:
    """Image files below ``folder``, folder by folder, each folder's names sorted."""
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if is_image(path := Path(root, name)):
                yield path


def read_file(path: Path, limit: int) -> bytes:
    """The file's bytes; TooLarge, before reading, when it is over ``limit`` bytes, so a huge
    file never lands in memory. OSError when it cannot be read."""
    refuse_over(path.stat().st_size, limit)
    return path.read_bytes()


def refuse_over(size: int, limit: int) -> None:
    """TooLarge when a file of ``size`` bytes is over ``limit``: checked before reading it."""
    if size > limit:
        raise TooLarge(f"{size} bytes is over the limit of {limit} bytes")
