"""Evidence → verdict.

Rules, strongest first:
1. Decisive signals (a signed AI manifest, a generator's own metadata, a decoded watermark)
   settle the label; if decisive signals disagree, the verdict is ``uncertain``.
2. Otherwise a calibrated model probability decides, with its uncertain band: the one of the
   first analyzer in ``scorers`` that gave one (the pipeline lists those that declare a
   ``score_priority``: the pixel model). Any other probability is listed, never decides.
3. Strong and weak signals are listed and explained but never overrule a model alone;
   with no model score there is no number, and the label is honestly ``uncertain``.
4. Signals about input quality widen the model's uncertain band (never narrow it).
"""

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from ..evidence import Generator, Signal

DECISIVE_AI = 0.99
DECISIVE_HUMAN = 0.01


class Verdict(BaseModel):
    ai_generated: float | None = Field(None, ge=0.0, le=1.0, description="calibrated P(AI); null: no evidence")
    label: Literal["ai", "human", "uncertain"] = "uncertain"
    uncertain_band: tuple[float, float] | None = None
    generator: Generator = Field(default_factory=Generator)
    decided_by: str | None = None
    explanation: list[str] = Field(default_factory=list)


def _generator(signals: list[Signal]) -> Generator:
    for sig in signals:
        if sig.generator and sig.generator.family != "unknown":
            return Generator(**sig.generator.model_dump(), source=sig.source)
    for sig in signals:
        if sig.generator:
            return Generator(**sig.generator.model_dump(), source=sig.source)
    return Generator()


def fuse(signals: list[Signal], scorers: Sequence[str]) -> Verdict:
    """The verdict on ``signals``; ``scorers``: the analyzers whose probability may be the score,
    first first."""
    notes = [f"{s.source}: {s.summary}" for s in signals]
    decisive = [s for s in signals if s.strength == "decisive" and s.points_to]
    scored = [s for s in signals if s.ai_probability is not None and s.source in scorers]
    scores = sorted(scored, key=lambda s: scorers.index(s.source))

    if decisive:
        sides = {s.points_to for s in decisive}
        if len(sides) > 1:
            return Verdict(explanation=["Decisive signals disagree, so no label is given."] + notes)
        side = sides.pop()
        first = decisive[0]
        why = f"Decided by {first.source}: {first.summary}"
        if scores:
            why += f" The pixel model's score ({scores[0].ai_probability:.2f}) is shown but provenance wins."
        ordered = decisive + [s for s in signals if s not in decisive]
        return Verdict(
            ai_generated=DECISIVE_AI if side == "ai" else DECISIVE_HUMAN,
            label=side,
            generator=_generator(ordered) if side == "ai" else Generator(),
            decided_by=first.source,
            explanation=[why] + notes,
        )

    if scores:
        score = scores[0]
        p = score.ai_probability
        low, high = score.uncertain_band or (0.5, 0.5)
        widen = max((s.widen_band for s in signals), default=0.0)
        band = (round(max(0.0, low - widen), 4), round(min(1.0, high + widen), 4))
        label = "ai" if p >= band[1] else "human" if p < band[0] else "uncertain"
        why = f"Decided by {score.source} (probability {p:.2f})."
        if widen:
            why += f" Input quality widened the uncertain band to {band[0]:.2f}–{band[1]:.2f}."
        return Verdict(
            ai_generated=p,
            label=label,
            uncertain_band=band if score.uncertain_band or widen else None,
            generator=_generator(signals) if label != "human" else Generator(),
            decided_by=score.source,
            explanation=[why] + notes,
        )

    return Verdict(explanation=["No analyzer produced decisive evidence or a model score."] + notes)
