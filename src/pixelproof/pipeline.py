"""The engine that runs the stages in order: decode → analyzers → fusion → report.

Adapters (CLI, HTTP, compat APIs) call ``Engine.analyze`` and translate the report; they
never run analyzers or fusion themselves.
"""

import threading
import time

from .analyzers import Analyzer, NotApplicable, available, select
from .budget import Budget
from .errors import PixelproofError
from .fusion import fuse
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
        options = {"heatmap": heatmap} if heatmap is not None else {}
        if budget:
            budget.check()
        start = time.perf_counter()
        media = decode(data, self.settings)
        decode_ms = _ms(start)
        return self._report(media, names, options, decode_ms, start, external_id, budget)

    def inspect(self, data: bytes, *, formats: tuple[str, ...] | None = None) -> MediaMeta:
        """Decode ``data`` as ``analyze`` would and analyze nothing: the same refusals, and the
        identity (size, format, SHA-256) an API keys feedback or its own admission rules on.
        ``formats`` narrows the accepted formats, for an API that takes fewer than we do."""
        settings = self.settings
        if formats is not None:
            settings = settings.model_copy(update={"formats": tuple(f for f in formats if f in settings.formats)})
        return decode(data, settings).meta

    def _report(
        self, media: Media, names: list[str], options: dict, decode_ms: float, start: float, external_id, budget
    ) -> Report:
        sections: dict[str, AnalyzerSection] = {}
        signals = []
        t_analyzers = time.perf_counter()
        for name in names:
            if budget:
                budget.check()
            section = self.run_analyzer(name, media, options)
            sections[name] = section
            signals.extend(section.signals)
        analyzers_ms = _ms(t_analyzers)
        t_fusion = time.perf_counter()
        verdict = fuse(signals)
        fusion_ms = _ms(t_fusion)
        return Report(
            external_id=external_id,
            media=media.meta,
            verdict=verdict,
            analyzers=sections,
            timings=Timings(decode_ms=decode_ms, analyzers_ms=analyzers_ms, fusion_ms=fusion_ms, total_ms=_ms(start)),
        )

    def run_analyzer(self, name: str, media: Media, options: dict | None = None) -> AnalyzerSection:
        """Run one analyzer (with those request ``options`` it accepts); whatever it does, the
        report still gets built."""
        start = time.perf_counter()
        cls = available()[name]
        version = cls.version
        if cls.judges_pixels and min(media.meta.width, media.meta.height) < self.settings.min_side:
            reason = (
                f"{TOO_SMALL}: {media.meta.width}×{media.meta.height} px, under the {self.settings.min_side} px "
                "a side this analyzer needs"
            )
            return AnalyzerSection(status="rejected", version=version, reason=reason, duration_ms=_ms(start))
        accepted = {key: value for key, value in (options or {}).items() if key in cls.accepts}
        try:
            analyzer = self.analyzer(name)
            evidence = analyzer.analyze(media, **accepted)
            signals = [sig.model_copy(update={"source": name}) for sig in evidence.signals()]
        except NotApplicable as exc:
            return AnalyzerSection(status="rejected", version=version, reason=str(exc), duration_ms=_ms(start))
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
