"""Typed errors shared by every adapter.

Each error carries a stable machine-readable ``code`` and the HTTP status an adapter
should answer with, so the HTTP API, the compat APIs and the CLI all say the same thing
about the same bad input.
"""


class PixelproofError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MediaError(PixelproofError):
    """The bytes are not an image we can analyze."""


class UnsupportedType(MediaError):
    code = "unsupported_media_type"
    http_status = 415


class TooLarge(MediaError):
    code = "too_large"
    http_status = 413


class DecompressionBomb(MediaError):
    code = "decompression_bomb"
    http_status = 413


class CorruptMedia(MediaError):
    code = "corrupt_media"
    http_status = 422


class TooSmall(MediaError):
    code = "too_small"
    http_status = 422


class EmptyMedia(MediaError):
    code = "empty_media"
    http_status = 400


class UrlRefused(PixelproofError):
    """A URL we will not fetch (scheme, address, redirect, size)."""

    code = "url_refused"
    http_status = 400


class UrlFetchFailed(PixelproofError):
    """A permitted URL that could not be fetched (timeout, HTTP error from the remote)."""

    code = "url_fetch_failed"
    http_status = 400


class ModelMissing(PixelproofError):
    """A model file is not in the cache; ``pixelproof models fetch`` puts it there."""

    code = "model_missing"
    http_status = 503


class TimeBudgetExceeded(PixelproofError):
    """A request ran past ``time_budget_s``; its work was stopped at the next check."""

    code = "time_budget_exceeded"
    http_status = 503


class ClientGone(PixelproofError):
    """The client hung up while its image was analyzed, so the work was abandoned. Nobody reads
    the answer; the status (nginx's "client closed request") only labels the server log."""

    code = "client_disconnected"
    http_status = 499
