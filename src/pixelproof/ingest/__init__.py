"""Getting image bytes from outside (URLs fetched server-side, with SSRF protection) and
posting webhooks out under the same checks."""

from .url import check_url, fetch_url, post_json

__all__ = ["check_url", "fetch_url", "post_json"]
