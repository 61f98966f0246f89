"""The one interface every analyzer implements: decoded media in, typed evidence out.

An analyzer never decides the verdict. It reports what it saw (its ``Evidence``) and
translates that into ``Signal``s, the common terms the fusion stage weighs. Adding a
detector therefore means adding one module in this folder (and its name in the registry's
``BUILTIN``), or one entry point in a package of its own.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from ..evidence import Evidence
from ..media import Media
from ..settings import Settings


@dataclass(frozen=True)
class AnalysisOptions:
    """Per-request choices, in one typed form handed to every analyzer: each reads those it knows."""

    heatmap: bool | None = None  # the pixel analyzer's region scores; None: the ``heatmap`` setting


DEFAULT_OPTIONS = AnalysisOptions()


class NotApplicable(Exception):
    """Raised by an analyzer that declines this media (status ``rejected``, with the reason)."""


class Analyzer(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    evidence_model: ClassVar[type[Evidence]]  # what ``analyze`` returns, and what ``Report.evidence`` reads back
    description: ClassVar[str] = ""
    # Judges the picture itself (not what the file says about it): the pipeline declines it for
    # images under the ``min_side`` setting, which still get the provenance analyzers.
    judges_pixels: ClassVar[bool] = False
    # Whether its calibrated ``ai_probability`` may be the verdict's score, and before which
    # others: the highest priority present decides. None (the default): its probabilities are
    # listed in the explanation and never decide, so a plug-in cannot take the verdict over.
    score_priority: ClassVar[int | None] = None

    def __init__(self, settings: Settings):
        self.settings = settings

    @abstractmethod
    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> Evidence:
        """Return evidence, raise NotApplicable to decline; any other exception is an error."""
