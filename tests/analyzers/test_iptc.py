"""One IPTC Digital Source Type vocabulary: the c2pa and metadata analyzers read every term alike."""

import io

import pytest
from PIL import Image

from pixelproof.analyzers import _iptc
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.c2pa import c2pa_action, c2pa_manifest, plain_jpeg, sign

ENGINE = Engine(Settings(c2pa_trust_list=False))  # no anchors: a signed capture is weak, as unsigned XMP is
# The terms of https://cv.iptc.org/newscodes/digitalsourcetype/ (2024-Q3), retired ones last.
IPTC_TERMS = {
    "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print", "humanEdits",
    "compositeCapture", "algorithmicallyEnhanced", "digitalCreation", "dataDrivenMedia", "trainedAlgorithmicMedia",
    "algorithmicMedia", "screenCapture", "virtualRecording", "composite", "compositeSynthetic",
    "compositeWithTrainedAlgorithmicMedia", "minorHumanEdits", "digitalArt",
}  # fmt: skip


def _xmp_jpeg(term: str) -> bytes:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        f' Iptc4xmpExt:DigitalSourceType="{_iptc.NAMESPACE}{term}"/></rdf:RDF></x:xmpmeta>'
    )
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (40, 90, 140)).save(buf, "JPEG", xmp=xmp.encode())
    return buf.getvalue()


def _points_to(data: bytes, analyzer: str) -> list:
    section = ENGINE.analyze(data, only=[analyzer]).analyzers[analyzer]
    assert section.status == "processed", section.reason
    return [(s.points_to, s.strength) for s in section.signals if s.points_to]


def test_the_table_holds_the_whole_vocabulary():
    assert set(_iptc.ORIGINS) == IPTC_TERMS
    assert _iptc.AI_GENERATED == {"trainedAlgorithmicMedia"}
    assert _iptc.AI_PART == {"compositeWithTrainedAlgorithmicMedia"}
    assert _iptc.CAPTURE == {
        "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print", "compositeCapture"
    }  # fmt: skip
    assert _iptc.term(f"{_iptc.NAMESPACE}digitalCapture/") == _iptc.term("digitalCapture") == "digitalCapture"
    assert _iptc.term(None) is None


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("trainedAlgorithmicMedia", [("ai", "decisive")]),
        ("algorithmicMedia", []),  # pure algorithm, no training data: not generative AI, not a capture
        ("compositeSynthetic", []),  # synthetic elements, AI or not: says nothing of AI
        ("negativeFilm", [("human", "weak")]),
        ("screenCapture", []),
    ],
)
def test_c2pa_and_metadata_read_a_term_alike(term, expected):
    signed = sign(c2pa_manifest("Pixelproof Test Tool", c2pa_action("c2pa.created", term)), plain_jpeg())
    assert _points_to(signed, "c2pa") == expected
    assert _points_to(_xmp_jpeg(term), "metadata") == expected
