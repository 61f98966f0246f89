"""Near-duplicates in the user's own index: has this picture, re-encoded, resized or captured
in a screenshot, been seen before, and since when? And which indexed pictures does it look
like (a crop of one, or another shot of the same scene)?

The index holds what ``pixelproof index add`` put there (and, with the ``index_analyzed``
setting, every image this analyzer saw, which the engine adds once the report is made: the
analyzer only reads). A match is not evidence of AI or not: it says where an earlier copy
came from, which a moderator weighs alongside the verdict. Without an index the
analyzer declines at the cost of one file check (SQLite) or one row read. Without the CLIP
model only the hashes are searched, and the evidence says why.
"""

import threading

from ..evidence import Evidence, Signal
from ..index import Corpus, Embedder, Match, database_exists, open_embedder, query_views
from ..index.corpus import SIMILAR_MIN
from ..media import Media
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer, NotApplicable
from .registry import register

HOW_TO_ADD = "add images with `pixelproof index add PATH...`, or set PIXELPROOF_INDEX_ANALYZED=true"


class ReverseSearchEvidence(Evidence):
    was_found: bool  # a copy was found (a hash match); "similar" matches alone do not count
    matches: list[Match]  # copies closest first, then similar images most similar first; at most 10
    indexed_images: int  # how many images were searched
    # New to the index, so the engine adds it once the report is made (setting ``index_analyzed``):
    # the analyzer itself only reads.
    added_to_index: bool = False
    similar_skipped: str | None = None  # why no similar-image search ran; None: it ran

    def signals(self) -> list[Signal]:
        copies = [m for m in self.matches if m.kind == "copy"]
        matches = copies or self.matches
        if not matches:
            return []
        first = min(matches, key=lambda m: m.first_seen)
        where = f" ({first.source})" if first.source else ""
        if copies:
            how = "a copy in a larger picture" if first.region else "a near-duplicate"
            what = f"The image is {how} of {len(copies)} indexed image(s)"
        else:
            what = (
                f"The image looks like {len(matches)} indexed image(s) (CLIP similarity ≥ {SIMILAR_MIN}; "
                "a crop, or another picture of the same scene)"
            )
        summary = f"{what}; the earliest was first seen on {first.first_seen:%Y-%m-%d}{where}."
        return [Signal(kind="provenance", points_to=None, strength="weak", summary=summary)]


@register
class ReverseSearchAnalyzer(Analyzer):
    name = "reverse_search"
    version = "1.0.0"
    evidence_model = ReverseSearchEvidence
    judges_pixels = True
    description = (
        "Near-duplicates in your own image index (re-encodes, resizes, screenshots) and similar images "
        "(crops, same scene): where and since when."
    )

    def __init__(self, settings):
        super().__init__(settings)
        self._corpus: Corpus | None = None
        self._embedder: Embedder | None = None
        self._skipped: str | None = None  # why there is no embedder
        self._opening = threading.Lock()

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> ReverseSearchEvidence:
        corpus = self._open()
        searched = corpus.size()
        if not searched and not self.settings.index_analyzed:
            raise NotApplicable(f"the near-duplicate index is empty: {HOW_TO_ADD}")
        embedding = self._embedder(media) if self._embedder else None
        views = query_views(media, embedding)
        matches = corpus.search(views) if searched else []
        added = self.settings.index_analyzed and not corpus.holds(media.meta.sha256)
        return ReverseSearchEvidence(
            was_found=any(m.kind == "copy" for m in matches),
            matches=matches,
            indexed_images=searched,
            added_to_index=added,
            similar_skipped=self._skipped,
        )

    def _open(self) -> Corpus:
        with self._opening:
            if self._corpus is None:
                if not (self.settings.index_analyzed or database_exists(self.settings)):
                    raise NotApplicable(f"no near-duplicate index exists yet: {HOW_TO_ADD}")
                self._corpus = Corpus.open(self.settings)
                self._embedder, self._skipped = open_embedder(self.settings)
            return self._corpus
