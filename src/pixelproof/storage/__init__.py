"""Persistence: reports, media seen, API keys and their usage (SQLite or PostgreSQL)."""

from .keys import KeyInfo
from .store import Store

__all__ = ["KeyInfo", "Store"]
