"""The C2PA trust list as a pinned artifact: PEM blocks taken from a native library, in groups.

encypher-c2pa embeds four published lists one after another (C2PA conformance trust list,
C2PA time-stamping authorities, IPTC Verified News Publishers, CAWG identity roots). They
serve different purposes, so the bundle keeps them apart under ``# group:`` lines. Where
each list begins is read from the certificates themselves: the time-stamping list starts
at the first CA whose key usage is time-stamping, the publishers' list holds the
end-entity certificates, and the identity roots are the CAs that follow them.
"""

import re
from dataclasses import dataclass

from .certificates import TIME_STAMPING, Certificate, pem_certificates

CLAIM_SIGNING, TIME_STAMPING_GROUP, PUBLISHERS, IDENTITY = "claim-signing", "time-stamping", "news-publishers", "identity"
GROUPS = {  # name: what the list is, as the page and the docs say it
    CLAIM_SIGNING: "C2PA conformance trust list",
    TIME_STAMPING_GROUP: "C2PA time-stamping authority list",
    PUBLISHERS: "IPTC Verified News Publishers (end-entity certificates)",
    IDENTITY: "CAWG identity roots (Mozilla e-mail roots, Encypher identity root)",
}
MARKER = "# group: "
_MARKERS = re.compile(rb"^# group: *(\S+) *$", re.MULTILINE)
HEADER = (
    "# C2PA trust anchors in groups, extracted by pixelproof (models/trustlist.py) from the PEM\n"
    "# blocks of encypher-c2pa's native library. Each group goes to its own use; see docs/provenance.md.\n"
)


@dataclass(frozen=True)
class Entry:
    group: str
    certificate: Certificate


def extract(library: bytes) -> bytes:
    """The grouped PEM bundle of a library's certificates: deterministic, one copy per group."""
    groups: dict[str, list[Certificate]] = {name: [] for name in GROUPS}
    group = CLAIM_SIGNING
    for cert in pem_certificates(library):
        group = _next_group(group, cert)
        if all(kept.sha256 != cert.sha256 for kept in groups[group]):
            groups[group].append(cert)
    if not all(groups.values()):
        empty = [name for name, certs in groups.items() if not certs]
        raise ValueError(f"the library's certificates do not fall into the four lists (empty: {', '.join(empty)})")
    text = HEADER + "".join(
        f"{MARKER}{name}\n" + "".join(f"# {_label(cert)}\n{cert.pem()}" for cert in certs) for name, certs in groups.items()
    )
    return text.encode()


def _next_group(group: str, cert: Certificate) -> str:
    if not cert.ca:
        return PUBLISHERS
    if group in (PUBLISHERS, IDENTITY):
        return IDENTITY
    if TIME_STAMPING in cert.key_usages:
        return TIME_STAMPING_GROUP
    return group


def _label(cert: Certificate) -> str:
    return ", ".join(f"{key}={value}" for key, value in cert.subject if key in ("CN", "O", "OU")) or "unnamed"


def read(text: bytes) -> list[Entry]:
    """The entries of a bundle; certificates before any ``# group:`` line are claim-signing
    anchors, so a plain PEM bundle of your own CAs reads as one group."""
    first, *marked = _MARKERS.split(text)
    entries = [Entry(CLAIM_SIGNING, cert) for cert in pem_certificates(first)]
    for name, body in zip(marked[::2], marked[1::2], strict=True):
        group = name.decode(errors="replace")
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r} (known: {', '.join(GROUPS)})")
        entries += [Entry(group, cert) for cert in pem_certificates(body)]
    return entries
