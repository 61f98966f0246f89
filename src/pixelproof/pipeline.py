"""The engine that runs the stages in order: decode → analyzers → fusion → report, then (with
the ``index_analyzed`` setting) adds the analyzed image to the near-duplicate index.

Adapters (CLI, HTTP, compat APIs) call ``Engine.analyze`` and translate the report; they
never run analyzers or fusion themselves.
"""

import threading
import time

from .analyzers import DEFAULT_OPTIONS, AnalysisOptions, Analyzer, NotApplicable, available, scorers, select
from .analyzers.reverse_search import ReverseSearchAnalyzer
from .budget import Budget, governing
from .errors import ClientGone, PixelproofError, TimeBudgetExceeded
from .fusion import fuse
from .index import Corpus, Embedder, indexed_image, open_embedder
from .media import Media, MediaMeta, decode
from .report import AnalyzerSection, Report, Timings
from .settings import Settings


TOO_SMALL = "too small to judge"  # how a pixel analyzer's section says it declined a tiny image


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class Engine:
    """Holds settings and lazily built analyzer instances (models load once per process)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._instances: dict[str, Analyzer] = {}
        self._lock = threading.Lock()
        self._index: tuple[Corpus, Embedder | None] | None = None  # opened at the first image to add

    def analyzer(self, name: str) -> Analyzer:
        with self._lock:
            if name not in self._instances:
                self._instances[name] = available()[name](self.settings)
            return self._instances[name]

    def analyze(
        self,
        data: bytes,
        *,
        external_id: str | None = None,
        only: list[str] | None = None,
        excluding: list[str] | None = None,
        heatmap: bool | None = None,
        budget: Budget | None = None,
    ) -> Report:
        """Analyze image bytes; raises a MediaError for input we refuse to analyze.

        ``heatmap`` asks the pixel analyzer for region scores (None: the server's setting).
        ``budget`` is checked before decoding and before each analyzer: once it is spent or
        abandoned, the next check raises and the report is never built."""
        names = select(only, excluding)
        options = AnalysisOptions(heatmap=heatmap)
        if budget:
            budget.check()
        start = time.perf_counter()
        media = decode(data, self.settings)
        decode_ms = _ms(start)
        report = self._report(media, names, options, decode_ms, start, external_id, budget)
        self._add_to_index(media, report)
        return report

    def inspect(self, data: bytes, *, formats: tuple[str, ...] | None = None) -> MediaMeta:
        """Decode ``data`` as ``analyze`` would and analyze nothing: the same refusals, and the
        identity (size, format, SHA-256) an API keys feedback or its own admission rules on.
        ``formats`` narrows the accepted formats, for an API that takes fewer than we do."""
        settings = self.settings
        if formats is not None:
            settings = settings.model_copy(update={"formats": tuple(f for f in formats if f in settings.formats)})
        return decode(data, settings).meta

    def _report(
        self,
        media: Media,
        names: list[str],
        options: AnalysisOptions,
        decode_ms: float,
        start: float,
        external_id,
        budget,
    ) -> Report:
        sections: dict[str, AnalyzerSection] = {}
        signals = []
        t_analyzers = time.perf_counter()
        with governing(budget):  # analyzers check it inside their loops too (budget.checkpoint)
            for name in names:
                if budget:
                    budget.check()
                section = self.run_analyzer(name, media, options)
                sections[name] = section
                signals.extend(section.signals)
        analyzers_ms = _ms(t_analyzers)
        t_fusion = time.perf_counter()
        verdict = fuse(signals, scorers(names))
        fusion_ms = _ms(t_fusion)
        return Report(
            external_id=external_id,
            media=media.meta,
            verdict=verdict,
            analyzers=sections,
            timings=Timings(decode_ms=decode_ms, analyzers_ms=analyzers_ms, fusion_ms=fusion_ms, total_ms=_ms(start)),
        )

    def _add_to_index(self, media: Media, report: Report) -> None:
        """With the ``index_analyzed`` setting, an image that reverse_search found new to the index
        is added to it once its report is made: analyzers only read."""
        found = report.evidence(ReverseSearchAnalyzer)
        if not (found and found.added_to_index):
            return
        with self._lock:
            if self._index is None:
                self._index = (Corpus.open(self.settings), open_embedder(self.settings)[0])
        corpus, embedder = self._index
        corpus.add([indexed_image(media, None, embedder(media) if embedder else None)])

    def run_analyzer(self, name: str, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> AnalyzerSection:
        """Run one analyzer with the request's ``options``; whatever it does, the report still gets built."""
        start = time.perf_counter()
        cls = available()[name]
        version = cls.version
        if cls.judges_pixels and min(media.meta.width, media.meta.height) < self.settings.min_side:
            reason = (
                f"{TOO_SMALL}: {media.meta.width}×{media.meta.height} px, under the {self.settings.min_side} px "
                "a side this analyzer needs"
            )
            return AnalyzerSection(status="rejected", version=version, reason=reason, duration_ms=_ms(start))
        try:
            analyzer = self.analyzer(name)
            evidence = analyzer.analyze(media, options)
            signals = [sig.model_copy(update={"source": name}) for sig in evidence.signals()]
        except NotApplicable as exc:
            return AnalyzerSection(status="rejected", version=version, reason=str(exc), duration_ms=_ms(start))
        except (TimeBudgetExceeded, ClientGone):  # from a checkpoint: the whole request stops, no report
            raise
        except PixelproofError as exc:
            return AnalyzerSection(status="errored", version=version, reason=exc.message, duration_ms=_ms(start))
        except Exception as exc:  # noqa: BLE001 - an analyzer bug must not fail the report
            reason = f"{type(exc).__name__}: {exc}"
            return AnalyzerSection(status="errored", version=version, reason=reason, duration_ms=_ms(start))
        return AnalyzerSection(
            status="processed",
            version=version,
            duration_ms=_ms(start),
            evidence=evidence.model_dump(mode="json"),
            signals=signals,
        )
