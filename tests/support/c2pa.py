"""C2PA fixtures made here: a test CA and signer, manifests signed with c2pa-python's Builder.

Shared by the C2PA analyzer's tests and every adapter test that needs a signed image.
"""

import datetime as dt
import io
import time

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _name(common_name: str, organization: str) -> x509.Name:
    cn = x509.NameAttribute(NameOID.COMMON_NAME, common_name)
    return x509.Name([cn, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def _key_usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certs,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


class TestPKI:
    """A root CA and a claim-signing certificate under it (C2PA's profile: v3, not self-signed,
    digitalSignature key usage, an EKU C2PA accepts (here emailProtection), key identifiers).
    ``leaf_seconds``: the signing certificate is valid for only that long (the library refuses
    to sign with an expired one, so a test signs first and lets it expire: ``expire``)."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, leaf_seconds: int | None = None):
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        leaf_window = (now - dt.timedelta(days=1), now + dt.timedelta(seconds=leaf_seconds)) if leaf_seconds else None
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("Pixelproof Test Root CA", "Pixelproof Test CA")
        self.ca = (
            self._builder(ca_name, ca_name, self.ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(sign_certs=True), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.leaf = (
            self._builder(_name("Pixelproof Test Signer", "Pixelproof Test Org"), ca_name, self.key.public_key(), now, leaf_window)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign_certs=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

    @staticmethod
    def _builder(subject, issuer, public_key, now, window=None) -> x509.CertificateBuilder:
        not_before, not_after = window or (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    def expire(self) -> None:
        """Wait until the signing certificate has expired (a state, however long it takes)."""
        while dt.datetime.now(dt.UTC) <= self.leaf.not_valid_after_utc + dt.timedelta(seconds=1):
            time.sleep(0.2)

    @property
    def ca_pem(self) -> bytes:
        return self.ca.public_bytes(serialization.Encoding.PEM)

    def signer(self) -> c2pa.Signer:
        chain = (self.leaf.public_bytes(serialization.Encoding.PEM) + self.ca_pem).decode()
        return c2pa.Signer.from_callback(
            lambda data: self.key.sign(data, ec.ECDSA(hashes.SHA256())), c2pa.C2paSigningAlg.ES256, chain, None
        )


PKI = TestPKI()
# The fixture-making side of the library: no thumbnails, and no network either.
BUILD_CONTEXT = c2pa.Context.from_dict(
    {"verify": {"remote_manifest_fetch": False}, "builder": {"thumbnail": {"enabled": False}}}
)


def plain_jpeg(color=(90, 140, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def c2pa_action(action: str, source_type: str | None = None, agent: str | None = None, **extra) -> dict:
    entry = {"action": action, **extra}
    if source_type:
        entry["digitalSourceType"] = IPTC + source_type
    if agent:
        entry["softwareAgent"] = {"name": agent}
    return entry


PARENT_ID = "xmp:iid:pixelproof-test-parent"
OPENED = c2pa_action("c2pa.opened", parameters={"ingredientIds": [PARENT_ID]})


def c2pa_manifest(generator: str, *actions: dict, title="image.jpg") -> dict:
    return {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": list(actions)}}],
    }


def sign(
    manifest: dict, source: bytes, parent: bytes | None = None, remote_url: str | None = None, pki: TestPKI = PKI
) -> bytes:
    builder = c2pa.Builder(manifest, BUILD_CONTEXT)
    if parent is not None:
        ingredient = {"title": "parent.jpg", "relationship": "parentOf", "instance_id": PARENT_ID}
        builder.add_ingredient(ingredient, "image/jpeg", io.BytesIO(parent))
    if remote_url:
        builder.set_no_embed()
        builder.set_remote_url(remote_url)
    out = io.BytesIO()
    builder.sign(pki.signer(), "image/jpeg", io.BytesIO(source), out)
    return out.getvalue()


AI_CREATED = c2pa_action("c2pa.created", "trainedAlgorithmicMedia", "GPT-4o")
AI_IMAGE = sign(c2pa_manifest("ChatGPT", AI_CREATED), plain_jpeg())  # signed by "ChatGPT", created by "GPT-4o"
CAMERA_IMAGE = sign(
    c2pa_manifest("Pixelproof Test Camera", c2pa_action("c2pa.created", "digitalCapture")), plain_jpeg((30, 60, 99))
)
