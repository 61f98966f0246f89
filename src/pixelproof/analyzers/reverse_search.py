"""Near-duplicates in the user's own index: has this picture, re-encoded, resized or captured
in a screenshot, been seen before, and since when?

The index holds what ``pixelproof index add`` put there (and, with the ``index_analyzed``
setting, every image analyzed). A match is not evidence of AI or not: it says where an
earlier copy came from, which a moderator weighs alongside the verdict. Without an index the
analyzer declines at the cost of one file check (SQLite) or one row read.
"""

import threading

from ..index import Corpus, Match, database_exists, indexed_image, query_views
from ..media import Media
from .base import Analyzer, Evidence, NotApplicable, Signal
from .registry import register

HOW_TO_ADD = "add images with `pixelproof index add PATH...`, or set PIXELPROOF_INDEX_ANALYZED=true"


class ReverseSearchEvidence(Evidence):
    was_found: bool
    matches: list[Match]  # closest first, at most 10
    indexed_images: int  # how many images were searched
    added_to_index: bool = False  # this image was added (setting ``index_analyzed``)

    def signals(self) -> list[Signal]:
        if not self.was_found:
            return []
        first = min(self.matches, key=lambda m: m.first_seen)
        where = f" ({first.source})" if first.source else ""
        how = "a copy in a larger picture" if first.region else "a near-duplicate"
        summary = (
            f"The image is {how} of {len(self.matches)} indexed image(s); "
            f"the earliest was first seen on {first.first_seen:%Y-%m-%d}{where}."
        )
        return [Signal(kind="provenance", points_to=None, strength="weak", summary=summary)]


@register
class ReverseSearchAnalyzer(Analyzer):
    name = "reverse_search"
    version = "1.0.0"
    evidence_model = ReverseSearchEvidence
    description = "Near-duplicates in your own image index (re-encodes, resizes, screenshots): where and since when."

    def __init__(self, settings):
        super().__init__(settings)
        self._corpus: Corpus | None = None
        self._opening = threading.Lock()

    def analyze(self, media: Media) -> ReverseSearchEvidence:
        corpus = self._open()
        searched = corpus.size()
        if not searched and not self.settings.index_analyzed:
            raise NotApplicable(f"the near-duplicate index is empty: {HOW_TO_ADD}")
        views = query_views(media)
        matches = corpus.search(views) if searched else []
        added = self.settings.index_analyzed and corpus.add([indexed_image(media, None, views.whole)]) == 1
        return ReverseSearchEvidence(
            was_found=bool(matches), matches=matches, indexed_images=searched, added_to_index=added
        )

    def _open(self) -> Corpus:
        with self._opening:
            if self._corpus is None:
                if not (self.settings.index_analyzed or database_exists(self.settings)):
                    raise NotApplicable(f"no near-duplicate index exists yet: {HOW_TO_ADD}")
                self._corpus = Corpus.open(self.settings)
            return self._corpus
