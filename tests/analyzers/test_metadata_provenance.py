"""EXIF/XMP/IPTC AI labels and camera data: files built here, then the real-world fixtures and photos."""

import base64
import csv
import io
import json
import os
import signal
import struct
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from pixelproof.analyzers.exiftool import ExifTool, ExifToolError
from pixelproof.analyzers.metadata import IPTC_SOURCES, IptcFields, MetadataEvidence
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.shared import SHARED, expectations, fixture_rows

ENGINE = Engine(Settings(max_upload_bytes=50 * 1024 * 1024))  # default min_side: 1 px files still get provenance
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _analyze(data: bytes, only=("metadata",)):
    report = ENGINE.analyze(data, only=list(only))
    section = report.analyzers["metadata"]
    assert section.status == "processed", section.reason
    return report, MetadataEvidence(**section.evidence)


def _xmp(properties: str, namespaces: str = "") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        f" {namespaces}>{properties}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def _jpeg(*segments: bytes, exif: Image.Exif | None = None) -> bytes:
    """A JPEG with raw APPn segments inserted right after SOI, as cameras and editors write them."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (40, 90, 140)).save(buf, "JPEG", exif=exif.tobytes() if exif else b"")
    data = buf.getvalue()
    return data[:2] + b"".join(segments) + data[2:]


def _xmp_app1(xmp: bytes) -> bytes:
    return _segment(0xFFE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp)


def _iptc_app13(datasets: list[tuple[int, str]]) -> bytes:
    """Photoshop APP13 with an IPTC-IIM (8BIM 0x0404) resource holding record 2 datasets."""
    iim = b"".join(b"\x1c\x02" + bytes([n]) + struct.pack(">H", len(v.encode())) + v.encode() for n, v in datasets)
    iim += b"\x00" * (len(iim) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    return _segment(0xFFED, b"Photoshop 3.0\x00" + resource)


def _png(texts: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _exif(ifd0: dict | None = None, sub: dict | None = None, gps: dict | None = None) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    for ifd, values in ((ExifTags.IFD.Exif, sub), (ExifTags.IFD.GPSInfo, gps)):
        for tag, value in (values or {}).items():
            exif.get_ifd(ifd)[tag] = value
    return exif


def _ai_signals(report) -> list[tuple[str, str | None]]:
    return [(s.strength, s.generator.family) for s in report.analyzers["metadata"].signals if s.points_to == "ai"]


def test_xmp_digital_source_type_trained_algorithmic_media_is_decisive():
    xmp = _xmp(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>")
    report, evidence = _analyze(_jpeg(_xmp_app1(xmp)))
    assert evidence.xmp_present and evidence.digital_source_type == "trainedAlgorithmicMedia"
    assert evidence.iptc.digital_source_type == DST + "trainedAlgorithmicMedia"
    assert _ai_signals(report) == [("decisive", "unknown")]
    assert report.verdict.label == "ai" and report.verdict.decided_by == "metadata"


def test_composite_is_decisive_but_partly():
    xmp = _xmp(f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{DST}compositeWithTrainedAlgorithmicMedia"/>')
    report, evidence = _analyze(_jpeg(_xmp_app1(xmp)))
    [declaration] = evidence.ai_declarations
    assert (declaration.strength, declaration.partial) == ("decisive", True)
    assert "partly" in report.analyzers["metadata"].signals[0].summary


@pytest.mark.parametrize(("term", "points_to"), [("digitalCapture", "human"), ("algorithmicMedia", None)])
def test_other_source_types_are_not_ai_labels(term, points_to):
    report, evidence = _analyze(
        _jpeg(_xmp_app1(_xmp(f"<Iptc4xmpExt:DigitalSourceType>{DST}{term}</Iptc4xmpExt:DigitalSourceType>")))
    )
    assert evidence.digital_source_type == term and evidence.ai_declarations == []
    assert [(s.points_to, s.strength) for s in report.analyzers["metadata"].signals] == (
        [("human", "weak")] if points_to else []
    )


def test_google_ai_credit_in_xmp_and_in_iptc_iim():
    xmp = _xmp(
        f'<rdf:Description Iptc4xmpExt:DigitalSourceType="{DST}trainedAlgorithmicMedia"'
        ' photoshop:Credit="Made with Google AI"/>'
    )
    report, evidence = _analyze(_png({"XML:com.adobe.xmp": xmp.decode()}))
    assert evidence.iptc.credit_line == "Made with Google AI"
    assert _ai_signals(report) == [("decisive", "google"), ("decisive", "google")]

    datasets = [(110, "Edited with Google AI"), (5, "Beach"), (25, "sea"), (25, "sand"), (90, "Nice"), (101, "France")]
    report, evidence = _analyze(_jpeg(_iptc_app13(datasets)))
    assert evidence.iptc_iim_present
    assert (evidence.iptc.title, evidence.iptc.keywords, evidence.iptc.city) == ("Beach", ["sea", "sand"], "Nice")
    [declaration] = evidence.ai_declarations
    assert (declaration.label, declaration.where, declaration.partial) == (
        "google_ai_credit",
        "IPTC Credit (2:110)",
        True,
    )


def test_midjourney_job_id_in_png_description():
    job = str(uuid.uuid4())
    report, evidence = _analyze(
        _png({"Description": f"a lighthouse --ar 16:9 --v 6 Job ID: {job}", "Author": "someone"})
    )
    [declaration] = evidence.ai_declarations
    assert (declaration.label, declaration.generator) == ("midjourney_job", "Midjourney")
    assert _ai_signals(report) == [("decisive", "midjourney")]
    assert evidence.iptc.creator == "someone"


def test_xai_signature_pair():
    signature = "Signature: " + base64.b64encode(bytes(range(96))).decode()
    exif = _exif({ExifTags.Base.ImageDescription: signature, ExifTags.Base.Artist: str(uuid.uuid4())})
    report, evidence = _analyze(_jpeg(exif=exif))
    assert [d.label for d in evidence.ai_declarations] == ["xai_signature"]
    assert _ai_signals(report) == [("decisive", "other")]
    # Half of the pair is not the pair.
    short = _exif({ExifTags.Base.ImageDescription: signature, ExifTags.Base.Artist: "Jane Doe"})
    assert _analyze(_jpeg(exif=short))[1].ai_declarations == []


def test_ideogram_make_is_decisive_and_no_camera():
    report, evidence = _analyze(_jpeg(exif=_exif({ExifTags.Base.Make: "Ideogram AI"})))
    assert [d.label for d in evidence.ai_declarations] == ["ai_maker"]
    assert [(s.points_to, s.strength) for s in report.analyzers["metadata"].signals] == [("ai", "decisive")]


def test_tc260_aigc_label_in_xmp_and_png_text():
    label = {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "abc123"}
    xmp = _xmp(
        f"<TC260:AIGC>{json.dumps(label)}</TC260:AIGC>",
        'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"',
    )
    _, evidence = _analyze(_jpeg(_xmp_app1(xmp)))
    [declaration] = evidence.ai_declarations
    assert (declaration.label, declaration.strength, declaration.value) == ("tc260_aigc", "decisive", "AI-generated")
    assert declaration.generator == "001191110108MA01KP2T5U00000"
    _, evidence = _analyze(_png({"AIGC": json.dumps({"AIGC": {"Label": "3", "ContentProducer": "x"}})}))
    [declaration] = evidence.ai_declarations
    assert (declaration.where, declaration.strength) == ("PNG text AIGC", "strong")


@pytest.mark.parametrize(
    ("software", "expected"),
    [("Adobe Firefly", [("strong", "other")]), ("DALL-E 3", [("strong", "openai")]), ("Adobe Photoshop 25.0", [])],
)
def test_ai_tools_in_software_tags_are_strong(software, expected):
    report, _ = _analyze(_jpeg(exif=_exif({ExifTags.Base.Software: software})))
    assert _ai_signals(report) == expected


def test_camera_data_lens_serial_gps_and_makernotes():
    sub = {
        ExifTags.Base.LensModel: "RF24-70mm F2.8 L IS USM",
        ExifTags.Base.BodySerialNumber: "083021000123",
        ExifTags.Base.MakerNote: b"Nikon\x00\x02\x10\x00\x00MM\x00*",
        ExifTags.Base.DateTimeOriginal: "2024:05:01 10:00:00",
    }
    gps = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    exif = _exif({ExifTags.Base.Make: "NIKON CORPORATION", ExifTags.Base.Model: "NIKON Z 9"}, sub, gps)
    report, evidence = _analyze(_jpeg(exif=exif))
    assert (evidence.camera_make, evidence.camera_model, evidence.lens_model) == (
        "NIKON CORPORATION",
        "NIKON Z 9",
        "RF24-70mm F2.8 L IS USM",
    )
    assert (evidence.body_serial, evidence.gps_present, evidence.makernotes) == ("083021000123", True, "nikon")
    assert evidence.iptc.date_created == "2024:05:01 10:00:00"
    assert [(s.points_to, s.strength) for s in report.analyzers["metadata"].signals] == [("human", "weak")]
    # A GPS block without a position is not "GPS present"; a MakerNote without a signature falls back to Make.
    exif = _exif(
        {ExifTags.Base.Make: "Canon"}, {ExifTags.Base.MakerNote: b"\x19\x00\x01\x00"}, {0: b"\x02\x02\x00\x00"}
    )
    _, evidence = _analyze(_jpeg(exif=exif))
    assert (evidence.gps_present, evidence.makernotes) == (False, "canon")


def test_every_iptc_field_has_a_source():
    assert list(IPTC_SOURCES) == list(IptcFields.model_fields)


def test_iptc_fields_from_xmp_structures_and_lists():
    xmp = _xmp(
        "<dc:subject><rdf:Bag><rdf:li>fox</rdf:li><rdf:li>snow</rdf:li></rdf:Bag></dc:subject>"
        '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Fox</rdf:li></rdf:Alt></dc:title>'
        '<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<Iptc4xmpExt:City>Oslo</Iptc4xmpExt:City><Iptc4xmpExt:CountryName>Norway</Iptc4xmpExt:CountryName>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated><photoshop:Headline>Winter</photoshop:Headline>"
    )
    _, evidence = _analyze(_jpeg(_xmp_app1(xmp)))
    iptc = evidence.iptc
    assert (iptc.keywords, iptc.title, iptc.headline, iptc.location_created) == (
        ["fox", "snow"],
        "Fox",
        "Winter",
        "Oslo; Norway",
    )


def test_hostile_xmp_is_refused_not_expanded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="&c;"/></rdf:RDF></x:xmpmeta>'
    )
    _, evidence = _analyze(_jpeg(_xmp_app1(bomb)))
    assert evidence.xmp_present and evidence.iptc.title is None
    _, evidence = _analyze(_jpeg(_xmp_app1(b"<not xml")))
    assert evidence.xmp_present and evidence.ai_declarations == []


# --- the real-world fixtures and photos ------------------------------------------------------

# What each manifest key means for us: (the report, our evidence, the expected value) → met?
METADATA_CHECKS = {
    "xmp_dst": lambda r, e, v: e.digital_source_type == v and ("decisive", "google") in _ai_signals(r),
    "xmp_credit~": lambda r, e, v: v in (e.iptc.credit_line or ""),
    "exif.make": lambda r, e, v: e.camera_make == v,
    "exif.model": lambda r, e, v: e.camera_model == v,
    "makernotes": lambda r, e, v: e.makernotes == v,
    "gps": lambda r, e, v: e.gps_present == (v == "yes"),
}


def test_fixture_metadata_meets_every_expectation():
    rows = [row for row in fixture_rows() if METADATA_CHECKS.keys() & expectations(row).keys()]
    assert rows, "the fixtures manifest lists no metadata expectations"
    failures = []
    for row in rows:
        report, evidence = _analyze((SHARED / "fixtures" / row["path"]).read_bytes())
        for key, value in expectations(row).items():
            if key in METADATA_CHECKS and not METADATA_CHECKS[key](report, evidence, value):
                failures.append(f"{row['path']}: {key}={value}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_no_ai_label_on_real_fixtures():
    for row in fixture_rows():
        if row["label"] == "real":
            report, evidence = _analyze((SHARED / "fixtures" / row["path"]).read_bytes())
            assert _ai_signals(report) == [], (row["path"], evidence.ai_declarations)


@pytest.mark.slow
def test_no_ai_label_on_real_photos_with_metadata():
    """Every real photo in ../shared/data that carries EXIF/XMP/IPTC: no AI label may fire."""
    manifest = SHARED / "data" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): real-photo check skipped")
    with manifest.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["label"] == "real" and r["metadata_kinds"]]
    assert rows
    for row in rows:
        report = ENGINE.analyze((SHARED / "data" / row["path"]).read_bytes(), only=["metadata", "generator_text"])
        flagged = [s.summary for section in report.analyzers.values() for s in section.signals if s.points_to == "ai"]
        assert flagged == [], (row["path"], flagged)


# --- the optional exiftool deep report -------------------------------------------------------

needs_exiftool = pytest.mark.skipif(
    not ExifTool.available(), reason="exiftool is not installed (libimage-exiftool-perl)"
)


def _camera_jpeg(make: str) -> bytes:
    return _jpeg(exif=_exif({ExifTags.Base.Make: make}))


@needs_exiftool
def test_exiftool_report_is_opt_in():
    data = _jpeg(
        _xmp_app1(_xmp(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"))
    )
    assert _analyze(data)[1].exiftool is None
    report = Engine(Settings(exiftool=True)).analyze(data, only=["metadata"])
    deep = report.analyzers["metadata"].evidence["exiftool"]
    assert deep["XMP-iptcExt:DigitalSourceType"] == DST + "trainedAlgorithmicMedia"


@pytest.mark.slow
@needs_exiftool
def test_one_exiftool_process_serves_threads_and_is_replaced_when_it_dies():
    tool = ExifTool()
    try:
        assert tool.report(_camera_jpeg("First"))["IFD0:Make"] == "First"
        pid = tool.pid
        with ThreadPoolExecutor(4) as pool:
            makes = [f"Camera{i}" for i in range(12)]
            answers = list(pool.map(lambda make: tool.report(_camera_jpeg(make))["IFD0:Make"], makes))
        assert answers == makes and tool.pid == pid
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert tool.report(_camera_jpeg("Again"))["IFD0:Make"] == "Again"
        assert tool.pid not in (None, pid)
    finally:
        tool.close()
    assert tool.pid is None


def test_a_stuck_or_missing_exiftool_is_a_clear_error(tmp_path):
    stuck = tmp_path / "exiftool"
    stuck.write_text("#!/bin/sh\nwhile read -r line; do :; done\n")  # reads requests, never answers
    stuck.chmod(0o755)
    tool = ExifTool(str(stuck), timeout=0.3)
    with pytest.raises(ExifToolError, match="no answer"):
        tool.report(b"\xff\xd8\xff")
    assert tool.pid is None
    with pytest.raises(ExifToolError, match="not installed"):
        ExifTool(str(tmp_path / "absent")).report(b"x")
