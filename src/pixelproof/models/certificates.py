"""Just enough DER to sort and name X.509 certificates: names, serial, CA flag, key usages.

A trust list is data we pin by hash, so reading it must never depend on a library's
policy: ``cryptography`` already warns about three roots of the Mozilla store (serial 0)
and announces it will refuse them. This reader checks nothing; the C2PA library verifies.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----")
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
_NAMES = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L"}
_TEXT = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be", 0x1C: "utf-32-be"}
_BASIC_CONSTRAINTS, _EXTENDED_KEY_USAGE = "2.5.29.19", "2.5.29.37"


class NotACertificate(ValueError):
    """The bytes are not a DER certificate this reader understands."""


@dataclass(frozen=True)
class Certificate:
    der: bytes
    subject: tuple[tuple[str, str], ...]  # (attribute, value) in certificate order
    issuer: tuple[tuple[str, str], ...]
    serial: int
    ca: bool
    key_usages: tuple[str, ...]  # extended key usage OIDs

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    def name(self, attribute: str) -> str | None:
        return next((value for key, value in self.subject if key == attribute), None)

    def pem(self) -> str:
        body = base64.b64encode(self.der).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def pem_certificates(text: bytes) -> list[Certificate]:
    """Every PEM certificate in ``text``, in order (duplicates kept)."""
    return [parse(base64.b64decode(b"".join(body.split()))) for body in PEM_BLOCK.findall(text)]


def parse(der: bytes) -> Certificate:
    try:
        _, start, end = _tlv(der, 0)
        tbs = list(_children(der, *_tlv(der, start)[1:]))
        if tbs[0][0] == 0xA0:  # explicit version
            tbs = tbs[1:]
        (_, s0, s1), _, (_, i0, i1), _, (_, n0, n1) = tbs[:5]
        extensions = next(((a, b) for tag, a, b in tbs[6:] if tag == 0xA3), None)
        ca, usages = _extensions(der, *_tlv(der, extensions[0])[1:]) if extensions else (False, ())
        return Certificate(
            der=der[:end],
            subject=_name(der, n0, n1),
            issuer=_name(der, i0, i1),
            serial=int.from_bytes(der[s0:s1], "big", signed=True),
            ca=ca,
            key_usages=usages,
        )
    except (IndexError, ValueError, TypeError) as exc:
        raise NotACertificate(f"not a DER certificate: {exc}") from None


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """Tag, start and end of the contents of the element at ``pos``."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
    if pos + length > len(data):
        raise ValueError("element runs past the end")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int):
    while start < end:
        tag, content, after = _tlv(data, start)
        yield tag, content, after
        start = after


def _oid(raw: bytes) -> str:
    first, parts, value = raw[0], [], 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, (first // 40, first % 40, *parts)))


def _name(data: bytes, start: int, end: int) -> tuple[tuple[str, str], ...]:
    pairs = []
    for _, set_start, set_end in _children(data, start, end):
        for _, a0, a1 in _children(data, set_start, set_end):
            (_, o0, o1), (tag, v0, v1) = list(_children(data, a0, a1))[:2]
            oid = _oid(data[o0:o1])
            pairs.append((_NAMES.get(oid, oid), data[v0:v1].decode(_TEXT.get(tag, "latin-1"), errors="replace")))
    return tuple(pairs)


def _extensions(data: bytes, start: int, end: int) -> tuple[bool, tuple[str, ...]]:
    ca, usages = False, ()
    for _, e0, e1 in _children(data, start, end):
        parts = list(_children(data, e0, e1))
        oid = _oid(data[parts[0][1] : parts[0][2]])
        if oid not in (_BASIC_CONSTRAINTS, _EXTENDED_KEY_USAGE):
            continue
        value = parts[-1][1]  # the OCTET STRING, after an optional critical flag, holds one SEQUENCE
        inner = list(_children(data, *_tlv(data, value)[1:]))
        if oid == _BASIC_CONSTRAINTS:
            ca = bool(inner) and inner[0][0] == 0x01 and data[inner[0][1]] != 0
        else:
            usages = tuple(_oid(data[a:b]) for _, a, b in inner)
    return ca, usages
