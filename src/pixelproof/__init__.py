"""pixelproof: tells whether an image was made by a generative AI model, and shows the evidence.

    import pixelproof

    report = pixelproof.analyze("photo.jpg")  # a path, bytes or a binary file object
    print(report.verdict.label, report.verdict.ai_generated)

The names below are imported at first use (PEP 562), so ``import pixelproof`` stays cheap
(milliseconds, where the engine's imports take seconds) for the CLI and for code that only
needs ``pixelproof.errors``.
"""

from .__version__ import __version__

TYPE_CHECKING = False  # type checkers read it as True; importing ``typing`` here would cost ~40 ms

__all__ = [
    "Engine",
    "PixelproofError",
    "Report",
    "Settings",
    "Verdict",
    "__version__",
    "analyze",
    "list_analyzers",
]

_HOMES = {
    "Engine": "pixelproof.pipeline",
    "PixelproofError": "pixelproof.errors",
    "Report": "pixelproof.report",
    "Settings": "pixelproof.settings",
    "Verdict": "pixelproof.fusion",
    "analyze": "pixelproof._api",
    "list_analyzers": "pixelproof._api",
}

if TYPE_CHECKING:
    from ._api import analyze, list_analyzers
    from .errors import PixelproofError
    from .fusion import Verdict
    from .pipeline import Engine
    from .report import Report
    from .settings import Settings


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'pixelproof' has no attribute {name!r}")
    import importlib  # here, not above: its import costs as much as the rest of this module

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # imported once: later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
