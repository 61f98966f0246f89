"""API key tokens: ``pp_<key id>_<secret>``.

The key id is public (it shows in listings and logs); only a SHA-256 of the secret is
stored, so a leaked database does not leak working keys. The same pair also serves as
``api_user``/``api_secret`` for Sightengine-compatible clients.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..errors import PixelproofError

PREFIX = "pp_"
_TOKEN = re.compile(r"pp_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})")


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    credits: int | None = None  # None: unlimited

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AnalysisLimits:
    """What each key may run, counted across every server process on the database."""

    per_minute: int  # analyses it may start a minute (a token bucket); 0: no limit
    at_once: int  # analyses it may have running; 0: no limit
    lease_s: float  # how long a running analysis counts when its process died without ending it


@dataclass(frozen=True)
class OverLimit:
    """Why a key may not start an analysis now, and when it may (None: once one of its running
    analyses ends, which nobody can tell in advance)."""

    limit: Literal["per_minute", "at_once"]
    retry_after_s: float | None


class CreditsExhausted(PixelproofError):
    """The key's balance cannot pay for this request; nothing was analyzed."""

    code = "credits_exhausted"
    http_status = 402


def new_key_id() -> str:
    return secrets.token_hex(6)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def token(key_id: str, secret: str) -> str:
    return f"{PREFIX}{key_id}_{secret}"


def split_token(value: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    match = _TOKEN.fullmatch(value)
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
