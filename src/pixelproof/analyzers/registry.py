"""Registry of analyzers, in the spirit of timm's model registry.

The built-in analyzers are listed by module (as datasette lists its ``DEFAULT_PLUGINS``), so
the helpers beside them (detectors, parsers, heads) are never imported for nothing; a module
registers its analyzer with ``@register`` when imported. Third-party packages add analyzers
through the ``pixelproof.analyzers`` entry-point group.
"""

import importlib
from importlib.metadata import entry_points

from ..errors import PixelproofError
from .base import Analyzer

BUILTIN = (
    "pixelproof.analyzers.c2pa",
    "pixelproof.analyzers.deepfake",
    "pixelproof.analyzers.generator_text",
    "pixelproof.analyzers.metadata",
    "pixelproof.analyzers.nsfw",
    "pixelproof.analyzers.pixels",
    "pixelproof.analyzers.quality",
    "pixelproof.analyzers.reverse_search",
    "pixelproof.analyzers.watermark",
)

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


def unregister(name: str) -> None:
    """Forget the analyzer of that name (a test's own, say); unknown names are an error."""
    if _REGISTRY.pop(name, None) is None:
        raise UnknownAnalyzer(f"unknown analyzer {name!r}")


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN:
        importlib.import_module(module)
    for ep in entry_points(group="pixelproof.analyzers"):
        register(ep.load())


def available() -> dict[str, type[Analyzer]]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def scorers(names: list[str]) -> list[str]:
    """Those of ``names`` whose probability may be the verdict's score, by their declared
    ``score_priority``, highest first: an analyzer's name never decides."""
    declared = {name: available()[name].score_priority for name in names}
    return sorted((name for name, priority in declared.items() if priority is not None), key=lambda n: -declared[n])


def select(only: list[str] | None = None, excluding: list[str] | None = None) -> list[str]:
    """Names to run, validated: unknown names are a client error, not silently ignored."""
    names = list(available())
    for given in (only or []) + (excluding or []):
        if given not in names:
            raise UnknownAnalyzer(f"unknown analyzer {given!r}; available: {', '.join(names)}")
    if only:
        names = [n for n in names if n in only]
    return [n for n in names if n not in (excluding or [])]
