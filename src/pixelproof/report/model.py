"""The report: one Pydantic model, the single source for every API shape we answer in."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from .. import __version__
from ..analyzers import Evidence, Signal
from ..fusion import Verdict
from ..media import MediaMeta

E = TypeVar("E", bound=Evidence)


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

    def evidence(self, name: str, model: type[E]) -> E | None:
        """Typed evidence of one analyzer, or None when it did not process this image."""
        section = self.analyzers.get(name)
        if section is None or section.status != "processed" or section.evidence is None:
            return None
        return model.model_validate(section.evidence)
