"""Stage 4: the one typed report every adapter translates."""

from .model import AnalyzerSection, Report, Timings

__all__ = ["AnalyzerSection", "Report", "Timings"]
