"""Persistence: reports, media seen, API keys with their credits and usage, and users' feedback
(SQLite or PostgreSQL)."""

from .feedback import Feedback
from .keys import CreditsExhausted, KeyInfo
from .store import Store

__all__ = ["CreditsExhausted", "Feedback", "KeyInfo", "Store"]
