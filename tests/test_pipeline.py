"""The engine and fusion, end to end on real decoded images."""

import io

import pytest
from PIL import Image

from pixelproof.analyzers import DEFAULT_OPTIONS, Analyzer, UnknownAnalyzer, available, register, unregister
from pixelproof.analyzers.registry import BUILTIN
from pixelproof.evidence import Evidence, GeneratorGuess, Signal
from pixelproof.errors import UnsupportedType
from pixelproof.fusion import fuse
from pixelproof.pipeline import Engine


def _jpeg(make: str | None = None) -> bytes:
    image = Image.new("RGB", (64, 48), (120, 30, 200))
    exif = image.getexif()
    if make:
        exif[271] = make
        exif[272] = "Model X"
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


class _Broken(Analyzer):
    name = "broken-for-test"
    version = "0"
    evidence_model = Evidence

    def analyze(self, media, options=DEFAULT_OPTIONS):
        raise RuntimeError("boom")


@pytest.fixture
def broken_analyzer():
    register(_Broken)
    yield _Broken.name
    unregister(_Broken.name)


@pytest.mark.slow
def test_report_has_media_meta_sections_and_timings():
    data = _jpeg(make="Nikon")
    report = Engine().analyze(data, external_id="case-1")
    assert report.external_id == "case-1"
    assert (report.media.width, report.media.height, report.media.format) == (64, 48, "jpeg")
    assert report.media.size_bytes == len(data)
    section = report.analyzers["metadata"]
    assert section.status == "processed"
    assert section.evidence["camera_make"] == "Nikon"
    assert report.timings.total_ms >= report.timings.decode_ms


def test_inspect_decodes_like_analyze_and_narrows_formats():
    data = _jpeg()
    engine = Engine()
    assert engine.inspect(data) == engine.analyze(data, only=["metadata"]).media
    with pytest.raises(UnsupportedType, match="jpeg images are not accepted here"):
        engine.inspect(data, formats=("png", "webp"))


def test_without_a_model_score_the_verdict_is_honestly_uncertain():
    report = Engine().analyze(_jpeg(make="Canon"), only=["metadata"])
    assert report.verdict.label == "uncertain"
    assert report.verdict.ai_generated is None
    assert any("weak evidence" in line for line in report.verdict.explanation)


@pytest.mark.slow
def test_an_analyzer_failure_does_not_fail_the_report(broken_analyzer):
    report = Engine().analyze(_jpeg())
    section = report.analyzers[broken_analyzer]
    assert section.status == "errored"
    assert "RuntimeError: boom" in section.reason
    assert report.analyzers["metadata"].status == "processed"


@pytest.mark.slow
def test_only_and_excluding_select_analyzers(broken_analyzer):
    assert list(Engine().analyze(_jpeg(), only=["metadata"]).analyzers) == ["metadata"]
    assert "metadata" not in Engine().analyze(_jpeg(), excluding=["metadata"]).analyzers
    with pytest.raises(UnknownAnalyzer):
        Engine().analyze(_jpeg(), only=["no-such-analyzer"])


SCORERS = ("pixels",)  # as the pipeline passes them: the analyzers that declare a score priority


def _sig(**kw) -> Signal:
    return Signal(summary="s", source=kw.pop("source", "x"), **kw)


def test_decisive_provenance_wins_over_the_pixel_score_and_says_so():
    verdict = fuse(
        [
            _sig(kind="pixels", ai_probability=0.1, uncertain_band=(0.3, 0.7), source="pixels"),
            _sig(
                kind="provenance",
                points_to="ai",
                strength="decisive",
                source="c2pa",
                generator=GeneratorGuess(family="openai"),
            ),
        ],
        SCORERS,
    )
    assert verdict.label == "ai" and verdict.decided_by == "c2pa"
    assert verdict.generator.family == "openai"
    assert "provenance wins" in verdict.explanation[0]


def test_disagreeing_decisive_signals_give_uncertain():
    verdict = fuse(
        [
            _sig(kind="provenance", points_to="ai", strength="decisive"),
            _sig(kind="provenance", points_to="human", strength="decisive"),
        ],
        SCORERS,
    )
    assert verdict.label == "uncertain" and verdict.ai_generated is None


@pytest.mark.parametrize("p,label", [(0.9, "ai"), (0.5, "uncertain"), (0.1, "human")])
def test_model_score_is_labelled_by_its_band(p, label):
    verdict = fuse([_sig(kind="pixels", ai_probability=p, uncertain_band=(0.3, 0.7), source="pixels")], SCORERS)
    assert verdict.label == label and verdict.ai_generated == p


def test_weak_signals_never_decide_alone():
    verdict = fuse([_sig(kind="metadata", points_to="human", strength="weak")], SCORERS)
    assert verdict.label == "uncertain"


def test_quality_signals_widen_the_band():
    pixels = _sig(kind="pixels", ai_probability=0.75, uncertain_band=(0.3, 0.7), source="pixels")
    assert fuse([pixels], SCORERS).label == "ai"
    verdict = fuse([pixels, _sig(kind="quality", widen_band=0.1)], SCORERS)
    assert verdict.label == "uncertain" and verdict.uncertain_band == (0.2, 0.8)
    assert "widened" in verdict.explanation[0]


# The plug-in contract: the verdict's score is declared, never taken from whoever sorts first


class _ScoreEvidence(Evidence):
    p: float

    def signals(self) -> list[Signal]:
        return [
            Signal(
                kind="plugin-score",  # a kind of evidence the core does not know
                points_to="ai" if self.p >= 0.5 else "human",
                strength="strong",
                summary=f"its own score {self.p:.2f}",
                ai_probability=self.p,
                uncertain_band=(0.4, 0.6),
            )
        ]


class _FirstByName(Analyzer):
    """A third-party analyzer named to run before every built-in, with a confident probability."""

    name = "aaa"
    version = "0"
    evidence_model = _ScoreEvidence

    def analyze(self, media, options=DEFAULT_OPTIONS) -> _ScoreEvidence:
        return _ScoreEvidence(p=0.99)


class _DeclaredScorer(Analyzer):
    name = "zzz-scorer"
    version = "0"
    evidence_model = _ScoreEvidence
    score_priority = 1

    def analyze(self, media, options=DEFAULT_OPTIONS) -> _ScoreEvidence:
        return _ScoreEvidence(p=0.02)


@pytest.fixture
def plugins():
    for cls in (_FirstByName, _DeclaredScorer):
        register(cls)
    yield
    for cls in (_FirstByName, _DeclaredScorer):
        unregister(cls.name)


def test_a_plugin_named_first_cannot_take_the_verdict_over(plugins):
    report = Engine().analyze(_jpeg(), only=["aaa", "metadata"])
    assert report.evidence(_FirstByName).p == 0.99  # it ran, and its evidence reads back typed
    assert (report.verdict.label, report.verdict.ai_generated, report.verdict.decided_by) == ("uncertain", None, None)
    assert "aaa: its own score 0.99" in report.verdict.explanation


def test_the_analyzer_that_declares_a_score_priority_decides_whatever_the_names(plugins):
    verdict = Engine().analyze(_jpeg(), only=["aaa", "zzz-scorer"]).verdict
    assert (verdict.label, verdict.ai_generated, verdict.decided_by) == ("human", 0.02, "zzz-scorer")


def test_fusion_takes_the_pixel_score_when_a_plugin_sorts_first():
    plugin = _sig(kind="plugin-score", ai_probability=0.99, uncertain_band=(0.4, 0.6), source="aaa")
    pixels = _sig(kind="pixels", ai_probability=0.1, uncertain_band=(0.3, 0.7), source="pixels")
    verdict = fuse([plugin, pixels], SCORERS)
    assert (verdict.label, verdict.ai_generated, verdict.decided_by) == ("human", 0.1, "pixels")


def test_unregistering_an_unknown_analyzer_is_a_typed_error():
    with pytest.raises(UnknownAnalyzer):
        unregister("no-such-analyzer")


def test_each_built_in_analyzer_lives_in_the_module_of_its_name():
    for module in BUILTIN:
        assert available()[module.rpartition(".")[2]].__module__ == module
