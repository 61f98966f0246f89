"""Generation settings that image generators write into their own output files.

AUTOMATIC1111-style ``parameters`` (also written by Forge, SD.Next, Civitai and trainers),
ComfyUI ``prompt``/``workflow`` graphs, InvokeAI (every version), Fooocus, SwarmUI,
NovelAI (including the "stealth" copy hidden in the alpha channel's low bits) and Draw
Things XMP. Finding one is decisive: cameras and photo editors never write a sampler, a
seed and a checkpoint name. It can be forged, but only on purpose.

The analyzer is here; each tool's reader is a module of its own (``_a1111``, ``_comfyui``,
``_fooocus``, ``_invokeai``, ``_novelai``, ``_swarmui``, ``_drawthings``) behind the
recognition table in ``_recognise``; ``_carriers`` finds the texts, ``_record`` holds the record.
"""

from pydantic import Field

from ...media import Media
from ...evidence import Evidence, Signal
from ..base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from ..carriers import png_text_chunks
from ..registry import register
from ._carriers import from_exif, from_png_text, from_stealth
from ._drawthings import from_xmp
from ._record import PROMPT_LIMIT, Generation

__all__ = ["PROMPT_LIMIT", "Generation", "GeneratorTextAnalyzer", "GeneratorTextEvidence"]


class GeneratorTextEvidence(Evidence):
    generations: list[Generation] = Field(default_factory=list)  # in the order found; first is the main one
    png_text: list[str] = Field(default_factory=list)  # every PNG tEXt/zTXt/iTXt keyword, in file order

    def signals(self) -> list[Signal]:
        return [g.signal() for g in self.generations]


@register
class GeneratorTextAnalyzer(Analyzer):
    name = "generator_text"
    version = "1.0.0"
    evidence_model = GeneratorTextEvidence
    description = "Generation settings written by A1111/Forge, ComfyUI, InvokeAI, Fooocus, NovelAI, Draw Things."

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> GeneratorTextEvidence:
        chunks = png_text_chunks(media.data)
        generations = from_png_text(chunks)
        generations += from_exif(media)
        generations += from_xmp(media, chunks)
        if not generations and media.meta.format in ("png", "webp"):
            generations += from_stealth(media)
        return GeneratorTextEvidence(generations=generations, png_text=[c.keyword for c in chunks])
