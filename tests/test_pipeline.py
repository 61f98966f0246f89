"""The engine and fusion, end to end on real decoded images."""

import io

import pytest
from PIL import Image

from pixelproof.analyzers import Analyzer, Evidence, GeneratorGuess, Signal, UnknownAnalyzer, register
from pixelproof.analyzers import registry
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

    def analyze(self, media):
        raise RuntimeError("boom")


@pytest.fixture
def broken_analyzer():
    register(_Broken)
    yield _Broken.name
    registry._REGISTRY.pop(_Broken.name)


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
        ]
    )
    assert verdict.label == "ai" and verdict.decided_by == "c2pa"
    assert verdict.generator.family == "openai"
    assert "provenance wins" in verdict.explanation[0]


def test_disagreeing_decisive_signals_give_uncertain():
    verdict = fuse(
        [
            _sig(kind="provenance", points_to="ai", strength="decisive"),
            _sig(kind="provenance", points_to="human", strength="decisive"),
        ]
    )
    assert verdict.label == "uncertain" and verdict.ai_generated is None


@pytest.mark.parametrize("p,label", [(0.9, "ai"), (0.5, "uncertain"), (0.1, "human")])
def test_model_score_is_labelled_by_its_band(p, label):
    verdict = fuse([_sig(kind="pixels", ai_probability=p, uncertain_band=(0.3, 0.7))])
    assert verdict.label == label and verdict.ai_generated == p


def test_weak_signals_never_decide_alone():
    verdict = fuse([_sig(kind="metadata", points_to="human", strength="weak")])
    assert verdict.label == "uncertain"


def test_quality_signals_widen_the_band():
    pixels = _sig(kind="pixels", ai_probability=0.75, uncertain_band=(0.3, 0.7))
    assert fuse([pixels]).label == "ai"
    verdict = fuse([pixels, _sig(kind="quality", widen_band=0.1)])
    assert verdict.label == "uncertain" and verdict.uncertain_band == (0.2, 0.8)
    assert "widened" in verdict.explanation[0]
