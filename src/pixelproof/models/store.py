"""Where fetched model files live, and the check that they are the files we pinned.

Every load verifies the file's SHA-256, so a corrupted or swapped model is refused instead
of silently producing different scores. Hashing 90 MB per image would be wasteful, so a
verified file is remembered per process by its size and modification time.
"""

import hashlib
import os
import threading
from pathlib import Path

from ..errors import ModelMissing, PixelproofError
from ..settings import Settings
from .registry import PINNED, Artifact

_verified: dict[Path, tuple[int, int]] = {}
_lock = threading.Lock()


class ModelTampered(PixelproofError):
    """A model file (or the wheel it came from) does not have the pinned hash."""

    code = "model_tampered"
    http_status = 503


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def artifact(name: str) -> Artifact:
    try:
        return PINNED[name]
    except KeyError:
        raise ModelMissing(f"unknown model {name!r}; known: {', '.join(PINNED)}") from None


def path_for(name: str, settings: Settings) -> Path:
    return settings.models_dir / artifact(name).filename


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def remember_verified(path: Path) -> None:
    with _lock:
        _verified[path] = _stamp(path)


def load_path(name: str, settings: Settings) -> Path:
    """The path of ``name``'s file after checking its hash; raises if absent or altered."""
    spec = artifact(name)
    path = path_for(name, settings)
    if not path.is_file():
        raise ModelMissing(
            f"model {name!r} is not in the cache ({path}); run `pixelproof models fetch` to download it"
        )
    stamp = _stamp(path)
    with _lock:
        if _verified.get(path) == stamp:
            return path
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise ModelTampered(
            f"model file {path} has SHA-256 {actual}, expected {spec.sha256}: it was altered or corrupted; "
            "delete it and run `pixelproof models fetch`"
        )
    with _lock:
        _verified[path] = stamp
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so readers never see half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def state(name: str, settings: Settings) -> str:
    """``verified``, ``missing`` or ``altered``: what ``models list`` shows."""
    try:
        load_path(name, settings)
    except ModelTampered:
        return "altered"
    except ModelMissing:
        return "missing"
    return "verified"
