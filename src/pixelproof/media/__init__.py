"""Stage 1: sniff, bound and decode the bytes."""

from .decode import Media, MediaMeta, decode
from .sniff import MIME, sniff
from .window import MAX_ASPECT, window

__all__ = ["MAX_ASPECT", "MIME", "Media", "MediaMeta", "decode", "sniff", "window"]
