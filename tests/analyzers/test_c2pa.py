"""The C2PA analyzer: manifests signed here with a certificate chain made here, and real files.

Every fixture is built in the test: a CA and an ES256 signing certificate from ``cryptography``,
manifests signed with c2pa-python's ``Builder`` and a signer callback. Nothing is mocked: the
analyzer runs inside the real ``Engine`` and the C2PA library really validates.
"""

import io
import socket
import struct
import threading
import time

import c2pa
import pytest

from pixelproof.analyzers.c2pa import C2paAnalyzer, C2paEvidence
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.c2pa import (
    AI_CREATED, AI_IMAGE, CAMERA_IMAGE, OPENED, PKI, TestPKI, c2pa_action, c2pa_manifest, plain_jpeg, sign
)
from tests.support.shared import SHARED, expectations, fixture_rows

# The manifest's C2PA expectations (xmp_dst and xmp_credit~ belong to the metadata analyzer).
C2PA_KEYS = (
    "c2pa", "c2pa_fail", "c2pa_error", "remote_url~", "source_type", "claim_generator~", "software_agent~", "signer~"
)
MB = 1024 * 1024
UNTRUSTED = Engine(Settings(c2pa_trust_list=False))  # no anchors, whatever the model cache holds


def c2pa_report(data: bytes, engine: Engine = UNTRUSTED):
    report = engine.analyze(data, only=["c2pa"])
    section = report.analyzers["c2pa"]
    assert section.status == "processed", section.reason
    return report, report.evidence(C2paAnalyzer)


def _trusting_engine(tmp_path) -> Engine:
    bundle = tmp_path / "anchors.pem"
    bundle.write_bytes(PKI.ca_pem)
    return Engine(Settings(c2pa_trust_pem=bundle))


@pytest.mark.slow
def test_signed_ai_declaration_decides_the_verdict():
    report, evidence = c2pa_report(AI_IMAGE)
    assert evidence.state == "valid-untrusted" and evidence.failures == []
    active = evidence.active
    assert active.claim_generator == "ChatGPT/1.0"
    assert active.signer.organization == "Pixelproof Test Org"
    assert active.signer.common_name == "Pixelproof Test Signer"
    assert "O=Pixelproof Test CA" in active.signer.certificate.issuer
    assert [(a.action, a.digital_source_type, a.software_agent) for a in active.actions] == [
        ("c2pa.created", "trainedAlgorithmicMedia", "GPT-4o")
    ]
    assert evidence.source_type == "trainedAlgorithmicMedia" and evidence.ai_claim == "generated"
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("ai", "decisive")
    assert "GPT-4o" in signal.summary and "Pixelproof Test Org" in signal.summary
    verdict = report.verdict
    assert (verdict.label, verdict.decided_by, verdict.generator.family) == ("ai", "c2pa", "openai")


def test_user_trust_anchors_make_the_signer_trusted(tmp_path):
    _, evidence = c2pa_report(AI_IMAGE, _trusting_engine(tmp_path))
    assert evidence.state == "trusted" and evidence.failures == []


def test_camera_capture_is_strong_human_evidence_only_from_a_trusted_signer(tmp_path):
    report, evidence = c2pa_report(CAMERA_IMAGE, _trusting_engine(tmp_path))
    assert (evidence.state, evidence.source_type, evidence.ai_claim) == ("trusted", "digitalCapture", None)
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("human", "strong")
    assert report.verdict.label == "uncertain"  # strong evidence explains but never decides alone

    report, evidence = c2pa_report(CAMERA_IMAGE)
    assert evidence.state == "valid-untrusted"
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("human", "weak")
    assert "anyone could have made them" in signal.summary


def test_an_edit_keeps_the_parent_manifest_as_an_ingredient(tmp_path):
    edited = sign(
        c2pa_manifest("Pixelproof Test Editor", OPENED, c2pa_action("c2pa.color_adjustments", agent="Editor 2")),
        plain_jpeg((35, 65, 205)),
        parent=CAMERA_IMAGE,
    )
    report, evidence = c2pa_report(edited, _trusting_engine(tmp_path))
    assert evidence.state == "trusted" and len(evidence.manifests) == 2
    [ingredient] = evidence.active.ingredients
    assert (ingredient.title, ingredient.relationship) == ("parent.jpg", "parentOf")
    parent = next(m for m in evidence.manifests if m.label == ingredient.manifest)
    assert parent.claim_generator == "Pixelproof Test Camera/1.0"
    assert evidence.source_type == "digitalCapture"  # the asset's origin, through its parent
    assert evidence.software_agent == "Editor 2"
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("human", "strong")


def test_a_generative_edit_makes_the_image_partly_ai():
    edited = sign(
        c2pa_manifest(
            "Pixelproof Test Editor",
            OPENED,
            c2pa_action("c2pa.edited", "compositeWithTrainedAlgorithmicMedia", "Adobe Firefly"),
        ),
        plain_jpeg((36, 66, 206)),
        parent=CAMERA_IMAGE,
    )
    report, evidence = c2pa_report(edited)
    assert evidence.source_types == ["compositeWithTrainedAlgorithmicMedia", "digitalCapture"]
    assert evidence.ai_claim == "partly"
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("ai", "decisive") and "partly AI" in signal.summary
    assert (report.verdict.label, report.verdict.generator.family) == ("ai", "other")
    assert report.verdict.generator.detail == "Adobe Firefly"


def _flip_scan_byte(jpeg: bytes) -> bytes:
    """Change one byte of entropy-coded pixel data (after the last SOS), keeping the file decodable."""
    at = jpeg.rindex(b"\xff\xda") + 40
    while jpeg[at] == 0xFF or jpeg[at] ^ 0x01 == 0xFF:
        at += 1
    return jpeg[:at] + bytes([jpeg[at] ^ 0x01]) + jpeg[at + 1 :]


def test_pixels_changed_after_signing_invalidate_thec2pa_manifest():
    report, evidence = c2pa_report(_flip_scan_byte(AI_IMAGE))
    assert evidence.state == "invalid"
    assert "assertion.dataHash.mismatch" in [f.code for f in evidence.failures]
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("ai", "strong")  # at most strong: integrity failed
    assert "fails validation" in signal.summary and "assertion.dataHash.mismatch" in signal.summary
    assert report.verdict.label == "uncertain"


@pytest.fixture(scope="module")
def expired() -> dict[str, bytes]:
    """An AI declaration and a camera capture, both signed with a certificate that then expired."""
    short_lived = TestPKI(leaf_seconds=2)
    capture = c2pa_manifest("Pixelproof Test Camera", c2pa_action("c2pa.created", "digitalCapture"))
    signed = {
        "ai": sign(c2pa_manifest("ChatGPT", AI_CREATED), plain_jpeg(), pki=short_lived),
        "capture": sign(capture, plain_jpeg((30, 60, 99)), pki=short_lived),
    }
    short_lived.expire()
    return signed


def test_an_ai_declaration_counts_when_only_the_signers_credential_has_expired(expired):
    report, evidence = c2pa_report(expired["ai"])
    assert evidence.state == "invalid" and evidence.bound
    assert [f.code for f in evidence.failures] == ["signingCredential.expired"]
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("ai", "decisive")
    assert "signingCredential.expired" in signal.summary and "binding to these bytes hold" in signal.summary
    assert (report.verdict.label, report.verdict.decided_by) == ("ai", "c2pa")


def test_an_expired_credential_with_changed_pixels_is_not_decisive(expired):
    report, evidence = c2pa_report(_flip_scan_byte(expired["ai"]))
    assert not evidence.bound
    [signal] = report.analyzers["c2pa"].signals
    assert (signal.points_to, signal.strength) == ("ai", "strong")
    assert report.verdict.label == "uncertain"


def test_a_camera_capture_with_an_expired_credential_is_no_evidence_of_a_real_photo(expired):
    report, evidence = c2pa_report(expired["capture"])
    assert evidence.state == "invalid" and evidence.bound
    assert [s.points_to for s in report.analyzers["c2pa"].signals] == [None]  # forgers would gain: stay strict


def test_real_ai_products_with_expired_credentials_are_decided_ai():
    """Gemini and ChatGPT outputs whose signing certificate has since expired (real files)."""
    rows = [
        row for row in fixture_rows("c2pa/")
        if expectations(row).get("c2pa_fail", "").endswith("signingCredential.expired") and row["label"] == "ai"
    ]  # fmt: skip
    assert len(rows) >= 3
    engine = Engine(Settings(max_upload_bytes=50 * MB, c2pa_trust_list=False))
    for row in rows:
        report = engine.analyze((SHARED / "fixtures" / row["path"]).read_bytes(), only=["c2pa"])
        assert (report.verdict.label, report.verdict.decided_by) == ("ai", "c2pa"), row["path"]


def test_plain_image_has_no_store_and_no_signal():
    report, evidence = c2pa_report(plain_jpeg())
    assert (evidence.state, evidence.store_present, evidence.manifests) == ("none", False, [])
    assert report.analyzers["c2pa"].signals == []


def _app11(jpeg: bytes, payload: bytes) -> bytes:
    """Insert an APP11 (JUMBF) segment right after the SOI marker."""
    return jpeg[:2] + b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_a_broken_store_is_reported_unreadable():
    # A JUMBF superbox whose description names a C2PA store, and then the data ends.
    c2pa_uuid = b"c2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"
    description = b"jumd" + c2pa_uuid + b"\x03c2pa\x00"
    truncated = b"JP\x00\x01\x00\x00\x00\x01" + struct.pack(">I", 40) + b"jumb" + struct.pack(">I", 32) + description
    report, evidence = c2pa_report(_app11(plain_jpeg(), truncated))
    assert (evidence.state, evidence.store_present) == ("unreadable", True)
    assert evidence.error and evidence.error_detail
    [signal] = report.analyzers["c2pa"].signals
    assert signal.points_to is None


class LoopbackListener:
    """A TCP listener on 127.0.0.1 that counts the connections it is offered."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/manifest.c2pa"

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> int:
        time.sleep(0.3)  # a connection attempt in flight is counted before we look
        return self.connections

    def close(self):
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener():
    server = LoopbackListener()
    yield server
    server.close()


def test_remote_manifest_is_reported_and_never_fetched(listener):
    manifest = c2pa_manifest("ChatGPT", c2pa_action("c2pa.created", "trainedAlgorithmicMedia"))
    remote_only = sign(manifest, plain_jpeg(), remote_url=listener.url)
    # Without JUMBF the analyzer stops at the cheap look; with a broken JUMBF box it asks the
    # library, whose settings must keep it offline too.
    broken_box = _app11(remote_only, b"JP\x00\x01\x00\x00\x00\x01" + struct.pack(">I", 16) + b"jumb" + bytes(8))
    for data in (remote_only, broken_box):
        report, evidence = c2pa_report(data)
        assert (evidence.state, evidence.remote_url) == ("remote-unresolved", listener.url)
        [signal] = report.analyzers["c2pa"].signals
        assert signal.points_to is None and f"Remote manifest at {listener.url}, not fetched" in signal.summary
    assert listener.settle() == 0

    # The control: c2pa-python's defaults do fetch, so the listener would have seen us.
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader("image/jpeg", io.BytesIO(remote_only))
    assert listener.settle() >= 1


def test_unusable_trust_bundle_is_a_clear_analyzer_error(tmp_path):
    missing = Engine(Settings(c2pa_trust_pem=tmp_path / "absent.pem")).analyze(AI_IMAGE, only=["c2pa"])
    assert missing.analyzers["c2pa"].status == "errored"
    assert "PIXELPROOF_C2PA_TRUST_PEM" in missing.analyzers["c2pa"].reason
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    empty = Engine(Settings(c2pa_trust_pem=tmp_path / "empty.pem")).analyze(AI_IMAGE, only=["c2pa"])
    assert "no PEM certificate" in empty.analyzers["c2pa"].reason


def _check(row: dict, evidence: C2paEvidence) -> list[str]:
    """Every C2PA expectation of one manifest row that the evidence does not meet."""
    expect = {key: value for key, value in expectations(row).items() if key in C2PA_KEYS}
    active = evidence.active
    signer = active.signer.organization if active and active.signer else None
    actual = {
        "c2pa": evidence.state,
        "c2pa_fail": "+".join(sorted(f.code for f in evidence.failures)),
        "c2pa_error": evidence.error,
        "source_type": "+".join(evidence.source_types) or "none",
    }
    contains = {
        "remote_url~": evidence.remote_url,
        "claim_generator~": active.claim_generator if active else None,
        "software_agent~": evidence.software_agent,
        "signer~": signer,
    }
    misses = []
    for key, wanted in expect.items():
        if key in actual and key in ("c2pa_fail", "source_type"):
            ok = sorted(wanted.split("+")) == sorted(actual[key].split("+"))
        elif key in actual:
            ok = actual[key] == wanted
        else:
            ok = wanted in (contains[key] or "")
        if not ok:
            misses.append(f"{row['path']}: {key} expected {wanted!r}, got {actual.get(key, contains.get(key))!r}")
    return misses


@pytest.mark.slow
def test_real_world_files_meet_their_c2pa_expectations():
    rows = [row for row in fixture_rows() if any(key in C2PA_KEYS for key in expectations(row))]
    assert len(rows) >= 26, "the fixtures manifest lists fewer C2PA files than expected"
    # The expectations were made without trust anchors (see the fixtures README).
    engine = Engine(Settings(max_upload_bytes=50 * MB, c2pa_trust_list=False))
    misses = []
    for row in rows:
        _, evidence = c2pa_report((SHARED / "fixtures" / row["path"]).read_bytes(), engine)
        misses += _check(row, evidence)
    assert misses == []
