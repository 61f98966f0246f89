"""Getting image bytes from outside: URLs fetched server-side, with SSRF protection."""

from .url import fetch_url

__all__ = ["fetch_url"]
