"""The basic metadata analyzer and the decoder against real-world files in ../shared/fixtures."""

import io

import pytest
from PIL import Image

from pixelproof.analyzers.metadata import MetadataAnalyzer
from pixelproof.media import decode
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.shared import SHARED, expectations, fixture_rows

ENGINE = Engine(Settings(max_upload_bytes=50 * 1024 * 1024))


@pytest.mark.slow
def test_format_fixtures_meet_their_expectations():
    rows = fixture_rows("formats/")
    assert rows, "the fixtures manifest lists no formats/ files"
    checked = 0
    for row in rows:
        expect = expectations(row)
        data = (SHARED / "fixtures" / row["path"]).read_bytes()
        report = ENGINE.analyze(data, only=["metadata"])
        evidence = report.evidence(MetadataAnalyzer)
        where = row["path"]
        if "size" in expect:
            assert f"{report.media.width}x{report.media.height}" == expect["size"], where
            checked += 1
        if "format" in expect:
            assert report.media.format == expect["format"].lower(), where
        if "exif.make" in expect:
            assert evidence.camera_make == expect["exif.make"], where
            assert evidence.camera_model == expect["exif.model"], where
        if "orientation" in expect:
            assert evidence.orientation == int(expect["orientation"]), where
        if "display_size" in expect:
            height, width, _ = decode(data, ENGINE.settings).rgb.shape
            assert f"{width}x{height}" == expect["display_size"], where
    assert checked == len(rows)


@pytest.mark.parametrize("make", ["Canon", "NIKON CORPORATION"])
def test_camera_exif_is_weak_human_evidence(make):
    image = Image.new("RGB", (32, 32))
    exif = image.getexif()
    exif[271] = make
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    report = ENGINE.analyze(buf.getvalue(), only=["metadata"])
    [signal] = report.analyzers["metadata"].signals
    assert (signal.points_to, signal.strength) == ("human", "weak")
    assert make in signal.summary
