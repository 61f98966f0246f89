"""The one interface every analyzer implements: decoded media in, typed evidence out.

An analyzer never decides the verdict. It reports what it saw (its ``Evidence``) and
translates that into ``Signal``s, the common terms the fusion stage weighs. Adding a
detector therefore means adding one module in this folder and nothing else.
"""

from abc import ABC, abstractmethod
from typing import ClassVar

from ..evidence import Evidence
from ..media import Media
from ..settings import Settings


class NotApplicable(Exception):
    """Raised by an analyzer that declines this media (status ``rejected``, with the reason)."""


class Analyzer(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    evidence_model: ClassVar[type[Evidence]]
    description: ClassVar[str] = ""
    accepts: ClassVar[tuple[str, ...]] = ()  # per-request options ``analyze`` takes as keywords
    # Judges the picture itself (not what the file says about it): the pipeline declines it for
    # images under the ``min_side`` setting, which still get the provenance analyzers.
    judges_pixels: ClassVar[bool] = False

    def __init__(self, settings: Settings):
        self.settings = settings

    @abstractmethod
    def analyze(self, media: Media) -> Evidence:
        """Return evidence, raise NotApplicable to decline; any other exception is an error."""
