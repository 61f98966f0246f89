"""Registry of analyzers, in the spirit of timm's model registry.

Modules in this package register themselves with ``@register`` when imported; third-party
packages can add analyzers through the ``pixelproof.analyzers`` entry-point group.
"""

import importlib
import pkgutil
from importlib.metadata import entry_points

from ..errors import PixelproofError
from .base import Analyzer

_REGISTRY: dict[str, type[Analyzer]] = {}
_loaded = False


class UnknownAnalyzer(PixelproofError):
    code = "unknown_analyzer"
    http_status = 400


def register(cls: type[Analyzer]) -> type[Analyzer]:
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two analyzers are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    package = __name__.rpartition(".")[0]
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if module.name not in ("base", "registry"):
            importlib.import_module(f"{package}.{module.name}")
    for ep in entry_points(group="pixelproof.analyzers"):
        register(ep.load())


def available() -> dict[str, type[Analyzer]]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def select(only: list[str] | None = None, excluding: list[str] | None = None) -> list[str]:
    """Names to run, validated: unknown names are a client error, not silently ignored."""
    names = list(available())
    for given in (only or []) + (excluding or []):
        if given not in names:
            raise UnknownAnalyzer(f"unknown analyzer {given!r}; available: {', '.join(names)}")
    if only:
        names = [n for n in names if n in only]
    return [n for n in names if n not in (excluding or [])]
