"""Stage 1: sniff, bound and decode the bytes."""

from .decode import Media, MediaMeta, decode
from .sniff import MIME, sniff

__all__ = ["MIME", "Media", "MediaMeta", "decode", "sniff"]
