"""The report: one Pydantic model, the single source for every API shape we answer in."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field

from ..__version__ import __version__
from ..evidence import Evidence, Signal
from ..fusion import Verdict
from ..media import MediaMeta

E = TypeVar("E", bound=Evidence)


class Declared(Protocol[E]):
    """What reading an analyzer's evidence back needs of it: its name and its evidence model
    (an ``Analyzer`` class has both; the report need not know analyzers exist)."""

    name: str
    evidence_model: type[E]


class AnalyzerSection(BaseModel):
    status: Literal["processed", "rejected", "errored"]
    version: str
    reason: str | None = None
    duration_ms: float
    evidence: dict[str, Any] | None = None
    signals: list[Signal] = Field(default_factory=list)


class Timings(BaseModel):
    decode_ms: float
    analyzers_ms: float
    fusion_ms: float
    total_ms: float


class Report(BaseModel):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    external_id: str | None = None
    filename: str | None = None  # the uploaded file's name, as the client sent it; None for a URL
    pixelproof_version: str = __version__
    media: MediaMeta
    verdict: Verdict
    analyzers: dict[str, AnalyzerSection]
    timings: Timings

    def evidence(self, analyzer: "Declared[E]") -> E | None:
        """Typed evidence of one analyzer (its class, say ``PixelAnalyzer``), or None when it did
        not process this image."""
        section = self.analyzers.get(analyzer.name)
        if section is None or section.status != "processed" or section.evidence is None:
            return None
        return analyzer.evidence_model.model_validate(section.evidence)
