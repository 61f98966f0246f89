"""Which C2PA signers we trust: the fetched trust list by default, a bundle of your own instead.

c2pa-python checks each signature against the anchors we hand it. This module decides which
those are, says in the evidence where they came from, and names the anchor that a trusted
signer's chain ends at (the library says that a chain is trusted, not through which anchor).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ..errors import ModelMissing, PixelproofError
from ..models import C2PA_TRUST_LIST, ModelTampered, load_path
from ..models.certificates import NotACertificate
from ..models.trustlist import CLAIM_SIGNING, GROUPS, PUBLISHERS, TIME_STAMPING_GROUP, Entry, read

CUSTOM = "PIXELPROOF_C2PA_TRUST_PEM"
# The groups handed to c2pa-python, as the kind of trust list its settings call them. The
# CAWG identity roots are not: c2pa-rs 0.91 accepts a claim signer that chains to an anchor
# of any kind, and every Mozilla e-mail root would make any S/MIME certificate a trusted signer.
_KINDS = {CLAIM_SIGNING: "manifest", TIME_STAMPING_GROUP: "tsa"}


class C2paTrustError(PixelproofError):
    """The configured trust anchors cannot be used (a deployment error, not the file's)."""

    code = "c2pa_trust_invalid"
    http_status = 500


class TrustSource(BaseModel):
    source: Literal["default", "custom", "none"]  # the fetched trust list, PIXELPROOF_C2PA_TRUST_PEM, or no anchors
    detail: str


class TrustAnchor(BaseModel):
    common_name: str | None = None
    organization: str | None = None
    trust_list: str  # the list it is on


@dataclass(frozen=True)
class Trust:
    source: TrustSource
    entries: tuple[Entry, ...] = ()

    def library_settings(self) -> dict:
        """c2pa-rs ``trust`` settings: one anchor list per group, publishers as allowed signers."""
        anchors = [
            {"trust_kind": kind, "trust_anchors": pem, "trust_uri": f"pixelproof:{group}"}
            for group, kind in _KINDS.items()
            if (pem := self._pem(group))
        ]
        if publishers := self._pem(PUBLISHERS):
            allowed = {"trust_kind": "manifest", "trust_anchors": "", "allowed_list": publishers}
            anchors.append({**allowed, "trust_uri": f"pixelproof:{PUBLISHERS}"})
        return {"anchors": anchors} if anchors else {}

    def anchor_for(self, certificate: dict) -> TrustAnchor | None:
        """The anchor of a trusted signing certificate (crJSON ``certificateInfo``), found by name:
        the certificate itself when it is an allowed publisher's, else its issuer followed up
        the anchors to the topmost one; None when the issuer is not itself on a list."""
        serial = _serial(certificate.get("serialNumber"))
        for entry in self._used(PUBLISHERS):
            if entry.certificate.serial == serial and _key(entry.certificate.subject) == _key(certificate.get("subject")):
                return self._anchor(entry)
        by_name: dict[tuple, Entry] = {}
        for entry in self._used(*_KINDS):
            by_name.setdefault(_key(entry.certificate.subject), entry)
        found, seen = by_name.get(_key(certificate.get("issuer"))), set()
        while found and not found.certificate.self_issued and found.certificate.sha256 not in seen:
            seen.add(found.certificate.sha256)
            parent = by_name.get(_key(found.certificate.issuer))
            if parent is None:
                break
            found = parent
        return self._anchor(found) if found else None

    def _used(self, *groups: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.group in groups]

    def _pem(self, group: str) -> str:
        return "".join(entry.certificate.pem() for entry in self._used(group))

    def _anchor(self, entry: Entry) -> TrustAnchor:
        name = GROUPS[entry.group] if self.source.source == "default" else f"{CUSTOM} ({entry.group})"
        cert = entry.certificate
        return TrustAnchor(common_name=cert.name("CN"), organization=cert.name("O"), trust_list=name)


def load_trust(settings) -> Trust:
    """The anchors the settings ask for: a bundle of your own, else the fetched list, else none."""
    if settings.c2pa_trust_pem:
        where = f"{CUSTOM}={settings.c2pa_trust_pem}"
        entries = _read(settings.c2pa_trust_pem, where)
        return Trust(TrustSource(source="custom", detail=f"{where}: {_counts(entries)}"), entries)
    if not settings.c2pa_trust_list:
        return _untrusting("the default trust list is switched off (PIXELPROOF_C2PA_TRUST_LIST=false)")
    try:
        path = load_path(C2PA_TRUST_LIST.name, settings)
    except ModelMissing:
        return _untrusting("the C2PA trust list is not fetched (run `pixelproof models fetch`)")
    except ModelTampered as exc:
        raise C2paTrustError(exc.message) from None
    entries = _read(path, str(path))
    return Trust(TrustSource(source="default", detail=f"{C2PA_TRUST_LIST.requirement}: {_counts(entries)}"), entries)


def _untrusting(why: str) -> Trust:
    return Trust(TrustSource(source="none", detail=f"{why}: no signer can be trusted"))


def _read(path: Path, where: str) -> tuple[Entry, ...]:
    try:
        entries = tuple(read(path.read_bytes()))
    except (OSError, ValueError, NotACertificate) as exc:
        raise C2paTrustError(f"{where}: cannot read it ({exc})") from None
    if not entries:
        raise C2paTrustError(f"{where}: no PEM certificate in it")
    return entries


def _counts(entries: tuple[Entry, ...]) -> str:
    groups = ", ".join(f"{sum(e.group == g for e in entries)} {g}" for g in GROUPS if any(e.group == g for e in entries))
    return f"{len({e.certificate.sha256 for e in entries})} certificates ({groups})"


def _key(name) -> tuple:
    """A distinguished name compared by its CN, O and OU (crJSON gives a dict, we read pairs)."""
    values = dict(name) if isinstance(name, (dict, tuple)) else {}
    return tuple(values.get(attribute) for attribute in ("CN", "O", "OU"))


def _serial(value) -> int | None:
    try:
        return int(str(value), 16)
    except ValueError:
        return None
