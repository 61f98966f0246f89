"""Stage 2: analyzers, each turning decoded media into typed evidence."""

from .base import Analyzer, Evidence, GeneratorGuess, NotApplicable, Signal
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
