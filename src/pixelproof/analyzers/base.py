"""The one interface every analyzer implements: decoded media in, typed evidence out.

An analyzer never decides the verdict. It reports what it saw (its ``Evidence``) and
translates that into ``Signal``s, the common terms the fusion stage weighs. Adding a
detector therefore means adding one module in this folder and nothing else.
"""

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..media import Media
from ..settings import Settings

Strength = Literal["decisive", "strong", "weak"]


class GeneratorGuess(BaseModel):
    family: str = "unknown"
    probabilities: dict[str, float] = Field(default_factory=dict)
    detail: str | None = None  # e.g. the model or product name a file names


class Signal(BaseModel):
    """One piece of evidence in the common terms fusion weighs."""

    kind: Literal["pixels", "provenance", "watermark", "metadata", "quality"]
    points_to: Literal["ai", "human"] | None = None  # None: informative only
    strength: Strength = "weak"
    summary: str  # plain words for the report and the web page
    ai_probability: float | None = Field(None, ge=0.0, le=1.0)  # calibrated model scores only
    uncertain_band: tuple[float, float] | None = None  # where that probability decides nothing
    generator: GeneratorGuess | None = None
    # Poor inputs (tiny, blurred, heavily compressed) make model scores less reliable: fusion
    # widens the model's uncertain band by this much on each side.
    widen_band: float = Field(0.0, ge=0.0, le=0.5)
    source: str = ""  # the analyzer's name; filled in by the pipeline


class Evidence(BaseModel):
    """Base of every analyzer's typed findings."""

    model_config = ConfigDict(extra="forbid")

    def signals(self) -> list[Signal]:
        return []


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
