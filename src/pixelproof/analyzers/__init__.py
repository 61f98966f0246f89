"""Stage 2: analyzers, each turning decoded media into typed evidence.

A plug-in needs only this package: the shared vocabulary (``Evidence``, ``Signal``,
``GeneratorGuess``, defined in ``pixelproof.evidence``) is handed on here with the interface.
"""

from ..evidence import Evidence, GeneratorGuess, Signal
from .base import Analyzer, NotApplicable
from .registry import UnknownAnalyzer, available, register, select

__all__ = [
    "Analyzer",
    "Evidence",
    "GeneratorGuess",
    "NotApplicable",
    "Signal",
    "UnknownAnalyzer",
    "available",
    "register",
    "select",
]
