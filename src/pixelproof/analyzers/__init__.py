"""Stage 2: analyzers, each turning decoded media into typed evidence.

A plug-in needs only this package: the shared vocabulary (``Evidence``, ``Signal``,
``GeneratorGuess``, defined in ``pixelproof.evidence``) is handed on here with the interface.
"""

from ..evidence import Evidence, GeneratorGuess, Signal
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer, NotApplicable
from .registry import UnknownAnalyzer, available, register, scorers, select, unregister

__all__ = [
    "DEFAULT_OPTIONS",
    "AnalysisOptions",
    "Analyzer",
    "Evidence",
    "GeneratorGuess",
    "NotApplicable",
    "Signal",
    "UnknownAnalyzer",
    "available",
    "register",
    "scorers",
    "select",
    "unregister",
]
