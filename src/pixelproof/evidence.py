"""The shared vocabulary: what analyzers report and fusion weighs.

It stands on the ground floor so that fusion and the report can speak it without knowing
that analyzers exist: an analyzer's findings are typed ``Evidence``, which translates itself
into ``Signal``s, the common terms fusion weighs into a verdict.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Strength = Literal["decisive", "strong", "weak"]


class GeneratorGuess(BaseModel):
    """Which generator one analyzer thinks made the image."""

    family: str = "unknown"
    probabilities: dict[str, float] = Field(default_factory=dict)
    detail: str | None = None  # e.g. the model or product name a file names


class Generator(GeneratorGuess):
    """The guess the verdict names, with the analyzer it came from."""

    source: str | None = None


# The kinds of evidence the built-in analyzers report. ``Signal.kind`` is open: fusion weighs a
# signal by its side, strength and score, never by its kind, so a new kind needs no edit here.
KNOWN_KINDS = ("pixels", "provenance", "watermark", "metadata", "quality")


class Signal(BaseModel):
    """One piece of evidence in the common terms fusion weighs."""

    kind: str = Field(description=f"what the evidence is about; known kinds: {', '.join(KNOWN_KINDS)}")
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
