"""The one-call Python API: ``pixelproof.analyze("photo.jpg")``, as ``httpx.get`` is to a client.

It runs on a default ``Engine`` made at the first call and kept for the process, so the
models load once, whatever thread calls first. Asking for other ``settings`` makes a fresh
engine for that call (its models load again): to analyze many images with your own
settings, make one ``Engine(settings)`` and call its ``analyze``.
"""

import os
import threading
from typing import BinaryIO

from .analyzers import available
from .errors import TooLarge
from .pipeline import Engine
from .report import Report
from .settings import Settings

Image = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process's default engine, made by whichever call comes first."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default


def analyze(
    image: Image,
    *,
    only: list[str] | None = None,
    excluding: list[str] | None = None,
    heatmap: bool | None = None,
    settings: Settings | None = None,
) -> Report:
    """Analyze an image given as a path, its bytes or a binary file object opened on it.

    ``only`` / ``excluding`` name analyzers (``list_analyzers()``; an unknown name raises
    ``UnknownAnalyzer``), ``heatmap`` asks the pixel model for region scores. Input refused
    (not an image, over the size limit, corrupt) raises a ``MediaError``; every error of ours
    is a ``PixelproofError`` with a ``code``.
    """
    engine = default_engine() if settings is None else Engine(settings)
    data = _read(image, engine.settings.max_upload_bytes)
    return engine.analyze(data, only=only, excluding=excluding, heatmap=heatmap)


def list_analyzers() -> list[str]:
    """The names of the analyzers this installation runs, plug-ins included."""
    return list(available())


def _read(image: Image, limit: int) -> bytes:
    if isinstance(image, bytes | bytearray | memoryview):
        return bytes(image)
    if isinstance(image, str | os.PathLike):
        with open(image, "rb") as file:
            return _read_at_most(file, limit)
    return _read_at_most(image, limit)


def _read_at_most(file: BinaryIO, limit: int) -> bytes:
    """The file's bytes; one past the limit is enough to refuse it, so a huge file never lands in memory."""
    data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the image is over the limit of {limit} bytes")
    return data
