"""``import pixelproof; pixelproof.analyze(...)``: the documented one-call API, on real images."""

import io
import threading

import pytest
from PIL import PngImagePlugin

import pixelproof
from pixelproof import _api
from pixelproof.analyzers import UnknownAnalyzer
from pixelproof.errors import TooLarge, UnsupportedType

from tests.support.images import encode, scene

PARAMETERS = (
    "a lighthouse at dusk\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 96x64, Model: sd_xl_base_1.0, Version: v1.10.1"
)


def _generated_png() -> bytes:
    """A picture as AUTOMATIC1111 saves it: its generation parameters in a PNG text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", PARAMETERS)
    return encode(scene(96, 64, seed=3), "PNG", pnginfo=info)


def test_the_public_names_are_exported():
    assert sorted(pixelproof.__all__) == sorted(
        ["Engine", "PixelproofError", "Report", "Settings", "Verdict", "__version__", "analyze", "list_analyzers"]
    )
    for name in pixelproof.__all__:
        assert getattr(pixelproof, name) is not None
    assert issubclass(UnknownAnalyzer, pixelproof.PixelproofError)
    with pytest.raises(AttributeError):
        pixelproof.no_such_name  # noqa: B018


def test_a_path_bytes_and_a_file_object_give_the_same_report(tmp_path):
    data = _generated_png()
    path = tmp_path / "lighthouse.png"
    path.write_bytes(data)
    reports = [
        pixelproof.analyze(path, only=["generator_text"]),
        pixelproof.analyze(str(path), only=["generator_text"]),
        pixelproof.analyze(data, only=["generator_text"]),
        pixelproof.analyze(io.BytesIO(data), only=["generator_text"]),
    ]
    for report in reports:
        assert isinstance(report, pixelproof.Report)
        assert report.media.sha256 == reports[0].media.sha256
        assert (report.verdict.label, report.verdict.decided_by) == ("ai", "generator_text")
        assert report.verdict.generator.family == "stable_diffusion"
    with path.open("rb") as file:
        assert pixelproof.analyze(file, excluding=pixelproof.list_analyzers()).analyzers == {}


def test_one_default_engine_whatever_thread_comes_first(monkeypatch):
    monkeypatch.setattr(_api, "_default", None)  # as in a fresh process: no engine made yet
    engines = []
    start = threading.Barrier(8)

    def first_call() -> None:
        start.wait()
        engines.append(_api.default_engine())

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(engines) == 8 and all(engine is engines[0] for engine in engines)
    assert isinstance(engines[0], pixelproof.Engine)


def test_settings_give_an_engine_of_their_own(tmp_path):
    settings = pixelproof.Settings(data_dir=tmp_path, max_upload_bytes=1000)
    with pytest.raises(TooLarge):
        pixelproof.analyze(io.BytesIO(_generated_png()), only=["generator_text"], settings=settings)
    assert pixelproof.analyze(_generated_png(), only=["generator_text"]).verdict.label == "ai"  # the default's limit


def test_errors_are_typed():
    with pytest.raises(UnknownAnalyzer, match="no-such-analyzer"):
        pixelproof.analyze(_generated_png(), only=["no-such-analyzer"])
    with pytest.raises(UnsupportedType):
        pixelproof.analyze(b"not an image at all")
    assert "generator_text" in pixelproof.list_analyzers()
